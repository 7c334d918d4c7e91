"""Calibrate a robot or a teleoperator: `lerobot-calibrate`.

    lerobot-calibrate --robot.type=so100_follower --robot.port=/dev/ttyACM0 --robot.id=my_follower
    lerobot-calibrate --teleop.type=so100_leader --teleop.port=/dev/ttyACM1 --teleop.id=my_leader

The file is written to `$HF_LEROBOT_CALIBRATION/{robots|teleoperators}/<type>/<id>.json`.
"""

from __future__ import annotations

from dataclasses import dataclass

from lerobot.configs.parser import parse
from lerobot.devices.arm import connecting_to_calibrate
from lerobot.robots import RobotConfig, make_robot_from_config
from lerobot.teleoperators import TeleoperatorConfig, make_teleoperator_from_config
from lerobot.utils.cli import command


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


@command("lerobot-calibrate")
def main(args: list[str] | None = None) -> None:
    import logging

    logging.basicConfig(level=logging.INFO)
    device = calibrate(parse(CalibrateConfig, args))
    print(f"Calibration of {device} saved to {device.calibration_fpath}")


if __name__ == "__main__":
    main()
