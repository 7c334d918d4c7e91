"""Robots and teleoperators on simulated buses, with a scripted calibration.

`PAIRS` lists every (follower, leader) pair; tests parametrized over it cover each registered arm.
"""

import pytest

from lerobot.motors import MotorsBus
from lerobot.motors.sim_bus import ROBOT_PRESETS, SimMotor, SimulatedServoBus
from lerobot.robots import KochFollowerConfig, SO100FollowerConfig, ViperXConfig
from lerobot.teleoperators import KochLeaderConfig, SO100LeaderConfig, WidowXConfig

PAIRS = {
    "so100": (SO100FollowerConfig, SO100LeaderConfig),
    "koch": (KochFollowerConfig, KochLeaderConfig),
    "viperx": (ViperXConfig, WidowXConfig),
}
RANGE_LO, RANGE_HI = 1000, 3000  # raw ticks the scripted user sweeps every (non full-turn) joint through


def make_sim(device_type: str) -> SimulatedServoBus:
    # Shafts start away from the middle so that homing offsets are not trivial.
    motors = [SimMotor(i, model, position=1500.0 + 150 * i) for i, model in ROBOT_PRESETS[device_type]]
    return SimulatedServoBus(motors).start()


def scripted_calibration(sim, device, log: list[str] | None = None):
    """An `input_fn` playing the user: ENTER at the middle, then sweep each joint from RANGE_LO to RANGE_HI.

    `sim`/`device` may be dicts by arm side for two-arm devices (the prompt names the arm: `<id>_<side>`).
    """
    sims = sim if isinstance(sim, dict) else {"": sim}
    arms = device if isinstance(device, dict) else {"": device}

    def input_fn(prompt: str) -> str:
        if log is not None:
            log.append(prompt)
        if "entire range of motion" in prompt:
            side = next(s for s in sims if f"_{s} " in prompt) if len(sims) > 1 else ""
            arm = arms[side]
            ids = [m.id for name, m in arm.bus.motors.items() if name not in arm.full_turn_motors]
            sims[side].sweep(ids, (RANGE_LO, RANGE_HI, 2047))
        return ""

    return input_fn


@pytest.fixture(params=sorted(PAIRS))
def pair(request):
    return request.param


@pytest.fixture
def sims(pair):
    follower_cfg, leader_cfg = PAIRS[pair]
    follower_sim = make_sim(_type(follower_cfg))
    leader_sim = make_sim(_type(leader_cfg))
    yield follower_sim, leader_sim
    follower_sim.stop()
    leader_sim.stop()


def _type(cfg_cls) -> str:
    return cfg_cls.get_choice_name(cfg_cls)


@pytest.fixture(autouse=True)
def _isolated_calibration(tmp_path, monkeypatch):
    """Each test starts without calibration files (HF_LEROBOT_HOME is shared by the whole session).

    The simulated buses run as threads of the test process; on a loaded CI machine they can be starved
    for longer than the SDKs' ~34 ms packet timeout several times in a row, so robot tests allow more
    retries (the fault tests in tests/motors count the default ones)."""
    monkeypatch.setenv("HF_LEROBOT_CALIBRATION", str(tmp_path / "calibration"))
    monkeypatch.setattr(MotorsBus, "DEFAULT_NUM_RETRIES", 10)


def file_camera_flag(video, name: str = "front", flag: str = "--robot.cameras") -> str:
    """The cameras flag for one small OpenCV camera playing `video` (tests/cameras/conftest.py::make_video)."""
    return f"{flag}={{{name}: {{type: opencv, index_or_path: {video}, width: 96, height: 64, fps: 30, warmup_s: 0}}}}"
