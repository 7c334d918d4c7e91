"""Simulated buses for motor tests: the real vendor SDKs talk to `SimulatedServoBus` over a pty."""

import pytest

from lerobot.motors import Motor, MotorNormMode
from lerobot.motors.dynamixel import DynamixelMotorsBus
from lerobot.motors.feetech import FeetechMotorsBus
from lerobot.motors.sim_bus import SimulatedServoBus

VENDORS = {
    "feetech": (FeetechMotorsBus, [(1, "sts3215"), (2, "sts3215"), (3, "sts3215")]),
    "dynamixel": (DynamixelMotorsBus, [(1, "xl430-w250"), (2, "xl330-m288"), (3, "xl330-m288")]),
}


@pytest.fixture(params=sorted(VENDORS))
def vendor(request):
    return request.param


@pytest.fixture
def sim(vendor):
    with SimulatedServoBus.from_models(VENDORS[vendor][1]) as bus:
        yield bus


def make_bus(vendor: str, port: str, **kwargs):
    # The simulator runs as a thread of the test process: on a loaded machine it can miss the SDK's
    # ~34 ms packet timeout now and then, so allow more retries than the default 3.
    kwargs.setdefault("num_retries", 6)
    cls, models = VENDORS[vendor]
    motors = {f"m{i}": Motor(i, model, MotorNormMode.DEGREES) for i, model in models}
    return cls(port, motors, **kwargs)


@pytest.fixture
def bus(vendor, sim):
    b = make_bus(vendor, sim.port)
    b.connect()
    yield b
    b.disconnect()
