"""Calibrate a robot or a teleoperator: `lerobot-calibrate`.

    lerobot-calibrate --robot.type=so100_follower --robot.port=/dev/ttyACM0 --robot.id=my_follower
    lerobot-calibrate --teleop.type=so100_leader --teleop.port=/dev/ttyACM1 --teleop.id=my_leader

The file is written to `$HF_LEROBOT_CALIBRATION/{robots|teleoperators}/<type>/<id>.json`.

This script only parses the flags; calibration is `lerobot.recording.device_setup.calibrate`.
"""

from __future__ import annotations

from lerobot.configs.parser import parse
from lerobot.recording.device_setup import CalibrateConfig, calibrate
from lerobot.utils.cli import command


@command("lerobot-calibrate")
def main(args: list[str] | None = None) -> None:
    import logging

    logging.basicConfig(level=logging.INFO)
    device = calibrate(parse(CalibrateConfig, args))
    print(f"Calibration of {device} saved to {device.calibration_fpath}")


if __name__ == "__main__":
    main()
