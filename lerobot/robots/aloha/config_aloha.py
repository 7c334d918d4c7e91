"""Config of the `aloha` robot and its default cameras."""

from __future__ import annotations

from dataclasses import dataclass, field

from lerobot.cameras.configs import CameraConfig
from lerobot.cameras.realsense.config_realsense import RealSenseCameraConfig
from lerobot.robots.config import RobotConfig


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
