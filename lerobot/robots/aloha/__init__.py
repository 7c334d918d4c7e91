"""ALOHA: two ViperX follower arms (`left_*`, `right_*` features) and 4 RealSense cameras.

Each arm is a `viperx` robot with its own calibration file `<calibration_dir>/<id>_<side>.json`
(default dir `$HF_LEROBOT_CALIBRATION/robots/aloha`). Every command is clamped by `max_relative_target`
(default 5 degrees per step, as in the reference).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lerobot.cameras.configs import CameraConfig
from lerobot.cameras.realsense.configuration_realsense import RealSenseCameraConfig
from lerobot.cameras.utils import make_cameras_from_configs
from lerobot.robots.config import RobotConfig
from lerobot.robots.device import calibration_root
from lerobot.robots.multi_arm import MultiArmRobot
from lerobot.robots.viperx import ViperX, ViperXConfig

SIDES = ("left", "right")


def aloha_cameras() -> dict[str, CameraConfig]:
    serials = {
        "cam_high": "128422271347",
        "cam_low": "130322270656",
        "cam_left_wrist": "218622272670",
        "cam_right_wrist": "130322272300",
    }
    return {
        name: RealSenseCameraConfig(serial_number_or_name=sn, fps=30, width=640, height=480)
        for name, sn in serials.items()
    }


@RobotConfig.register_subclass("aloha")
@dataclass(kw_only=True)
class AlohaConfig(RobotConfig):
    # Serial port of the left arm's motor bus.
    left_arm_port: str = "/dev/ttyDXL_follower_left"
    # Serial port of the right arm's motor bus.
    right_arm_port: str = "/dev/ttyDXL_follower_right"
    # Turn the motors' torque off when disconnecting.
    disable_torque_on_disconnect: bool = True
    # Per-step clamp of each commanded joint change (degrees; gripper in percent).
    max_relative_target: float | dict[str, float] | None = 5.0
    # Cameras: name -> camera config ({type: opencv, index_or_path: ..., fps, width, height}).
    cameras: dict[str, CameraConfig] = field(default_factory=aloha_cameras)
    # Joints in degrees; false -> -100..100.
    use_degrees: bool = True


class Aloha(MultiArmRobot):
    name = "aloha"
    config_class = AlohaConfig

    def __init__(self, config: AlohaConfig):
        super().__init__(config)
        calib_dir = config.calibration_dir or calibration_root() / "robots" / self.name
        self.arms = {
            side: ViperX(
                ViperXConfig(
                    id=f"{config.id}_{side}",
                    calibration_dir=calib_dir,
                    port=getattr(config, f"{side}_arm_port"),
                    disable_torque_on_disconnect=config.disable_torque_on_disconnect,
                    max_relative_target=config.max_relative_target,
                    use_degrees=config.use_degrees,
                )
            )
            for side in SIDES
        }
        self.cameras = make_cameras_from_configs(config.cameras)


__all__ = ["Aloha", "AlohaConfig"]
