"""Getting devices ready to record: find a bus's serial port (`lerobot-find-port`), give each motor its id
(`lerobot-setup-motors`), calibrate a robot or a teleoperator (`lerobot-calibrate`, file written to
`$HF_LEROBOT_CALIBRATION/{robots|teleoperators}/<type>/<id>.json`)."""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lerobot.devices.arm import connecting_to_calibrate
from lerobot.motors.motors_bus import MotorsBus
from lerobot.robots import RobotConfig, make_robot_from_config
from lerobot.teleoperators import TeleoperatorConfig, make_teleoperator_from_config


@dataclass
class CalibrateConfig:
    # The robot to calibrate (or use --teleop.*).
    robot: RobotConfig | None = None
    # The teleoperator to calibrate (or use --robot.*).
    teleop: TeleoperatorConfig | None = None

    def __post_init__(self):
        if (self.robot is None) == (self.teleop is None):
            raise ValueError("Give exactly one device to calibrate: --robot.type=... or --teleop.type=...")


def calibrate(cfg: CalibrateConfig, input_fn=input):
    device = make_robot_from_config(cfg.robot) if cfg.robot else make_teleoperator_from_config(cfg.teleop)
    device.input_fn = input_fn
    with connecting_to_calibrate():  # no "is not calibrated" warning just before calibrating
        device.connect(calibrate=False)
    try:
        device.calibrate()
    finally:
        device.disconnect()
    return device


@dataclass
class SetupConfig:
    # The robot whose motors to set up (or use --teleop.*).
    robot: RobotConfig | None = None
    # The teleoperator whose motors to set up (or use --robot.*).
    teleop: TeleoperatorConfig | None = None

    def __post_init__(self):
        if (self.robot is None) == (self.teleop is None):
            raise ValueError("Give exactly one device to set up: --robot.type=... or --teleop.type=...")


def device_buses(device) -> list[MotorsBus]:
    """The motor buses of a device: its `bus`, or the bus of each of its `arms`."""
    if hasattr(device, "arms"):
        return [arm.bus for arm in device.arms.values()]
    return [device.bus]


def setup_motors(cfg: SetupConfig, input_fn: Callable[[str], str] = input) -> None:
    device = make_robot_from_config(cfg.robot) if cfg.robot else make_teleoperator_from_config(cfg.teleop)
    for bus in device_buses(device):
        bus.connect(handshake=False)
        try:
            for motor in reversed(list(bus.motors)):
                input_fn(
                    f"Connect the controller board ({bus.port}) to the '{motor}' motor only and press ENTER."
                )
                bus.setup_motor(motor)
                print(f"'{motor}' motor id set to {bus.motors[motor].id}")
        finally:
            bus.disconnect(disable_torque=False)


def list_ports() -> set[str]:
    if platform.system() == "Windows":
        from serial.tools import list_ports as lp

        return {p.device for p in lp.comports()}
    return {str(p) for p in Path("/dev").glob("tty*")}


def find_port(
    input_fn: Callable[[str], str] = input,
    ports_fn: Callable[[], set[str]] = list_ports,
    settle_s: float = 0.5,
) -> str:
    before = ports_fn()
    input_fn("Remove the USB cable from your MotorsBus and press Enter when done.")
    time.sleep(settle_s)  # let the OS drop the device
    gone = sorted(before - ports_fn())
    if len(gone) == 1:
        print(f"The port of this MotorsBus is '{gone[0]}'. Reconnect the USB cable.")
        return gone[0]
    if not gone:
        raise OSError("Could not detect the port: no port disappeared. Was the cable of the bus unplugged?")
    raise OSError(f"Could not detect the port: several ports disappeared ({gone}); unplug only one bus.")
