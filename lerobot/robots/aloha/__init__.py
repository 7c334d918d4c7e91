"""ALOHA: two ViperX follower arms (`left_*`, `right_*` features) and 4 RealSense cameras.

Each arm is a `viperx` robot with its own calibration file `<calibration_dir>/<id>_<side>.json`
(default dir `$HF_LEROBOT_CALIBRATION/robots/aloha`). Every command is clamped by `max_relative_target`
(default 5 degrees per step, as in the reference).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lerobot.cameras.configs import CameraConfig
from lerobot.cameras.realsense.configuration_realsense import RealSenseCameraConfig
from lerobot.cameras.utils import make_cameras_from_configs
from lerobot.robots.bimanual import SIDES, prefixed, split_by_side
from lerobot.robots.config import RobotConfig
from lerobot.robots.device import calibration_root
from lerobot.robots.robot import CAMERA_TIMEOUT_MS, Robot
from lerobot.robots.viperx import ViperX, ViperXConfig


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
    left_arm_port: str = "/dev/ttyDXL_follower_left"
    right_arm_port: str = "/dev/ttyDXL_follower_right"
    disable_torque_on_disconnect: bool = True
    # Per-step clamp of each commanded joint change (degrees; gripper in percent).
    max_relative_target: float | dict[str, float] | None = 5.0
    cameras: dict[str, CameraConfig] = field(default_factory=aloha_cameras)
    use_degrees: bool = True


class Aloha(Robot):
    name = "aloha"
    config_class = AlohaConfig

    def __init__(self, config: AlohaConfig):
        super().__init__(config)
        calib_dir = config.calibration_dir or calibration_root() / "robots" / self.name
        self.arms: dict[str, ViperX] = {}
        for side in SIDES:
            arm_cfg = ViperXConfig(
                id=f"{config.id}_{side}",
                calibration_dir=calib_dir,
                port=getattr(config, f"{side}_arm_port"),
                disable_torque_on_disconnect=config.disable_torque_on_disconnect,
                max_relative_target=config.max_relative_target,
                use_degrees=config.use_degrees,
            )
            self.arms[side] = ViperX(arm_cfg)
        self.cameras = make_cameras_from_configs(config.cameras)

    @property
    def observation_features(self) -> dict[str, Any]:
        ft: dict[str, Any] = {}
        for side, arm in self.arms.items():
            ft.update(prefixed(side, arm.observation_features))
        ft.update({name: (cam.height, cam.width, 3) for name, cam in self.cameras.items()})
        return ft

    @property
    def action_features(self) -> dict[str, Any]:
        ft: dict[str, Any] = {}
        for side, arm in self.arms.items():
            ft.update(prefixed(side, arm.action_features))
        return ft

    @property
    def is_connected(self) -> bool:
        arms = all(arm.is_connected for arm in self.arms.values())
        return arms and all(cam.is_connected for cam in self.cameras.values())

    @property
    def is_calibrated(self) -> bool:
        return all(arm.is_calibrated for arm in self.arms.values())

    def connect(self, calibrate: bool = True) -> None:
        try:
            for arm in self.arms.values():
                arm.input_fn = self.input_fn
                arm.connect(calibrate)
            for cam in self.cameras.values():
                cam.connect()
        except BaseException:
            self.disconnect()
            raise

    def calibrate(self) -> None:
        for arm in self.arms.values():
            arm.input_fn = self.input_fn
            arm.calibrate()

    def configure(self) -> None:
        for arm in self.arms.values():
            arm.configure()

    def get_observation(self) -> dict[str, Any]:
        obs: dict[str, Any] = {}
        for side, arm in self.arms.items():
            obs.update(prefixed(side, arm.get_observation()))
        for name, cam in self.cameras.items():
            obs[name] = cam.async_read(timeout_ms=CAMERA_TIMEOUT_MS)
        return obs

    def send_action(self, action: dict[str, Any]) -> dict[str, Any]:
        per_side = split_by_side(action, self)
        sent: dict[str, Any] = {}
        for side, arm in self.arms.items():
            if per_side[side]:
                sent.update(prefixed(side, arm.send_action(per_side[side])))
        return sent

    def disconnect(self) -> None:
        try:
            for arm in self.arms.values():
                arm.disconnect()
        finally:
            for cam in self.cameras.values():
                if cam.is_connected:
                    cam.disconnect()


__all__ = ["Aloha", "AlohaConfig"]
