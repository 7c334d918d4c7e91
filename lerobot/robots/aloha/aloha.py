"""ALOHA: two ViperX follower arms (`left_*`, `right_*` features) and 4 RealSense cameras.

Each arm is a `viperx` robot with its own calibration file `<calibration_dir>/<id>_<side>.json`
(default dir `$HF_LEROBOT_CALIBRATION/robots/aloha`). Every command is clamped by `max_relative_target`
(default 5 degrees per step, as in the reference).
"""

from __future__ import annotations

from lerobot.cameras.utils import make_cameras_from_configs
from lerobot.devices.device import calibration_root
from lerobot.robots.aloha.config_aloha import AlohaConfig
from lerobot.robots.multi_arm import MultiArmRobot
from lerobot.robots.viperx import ViperX, ViperXConfig

SIDES = ("left", "right")


class Aloha(MultiArmRobot):
    name = "aloha"
    config_class = AlohaConfig
    arm_classes = dict.fromkeys(SIDES, ViperX)

    def __init__(self, config: AlohaConfig):
        super().__init__(config)
        calib_dir = config.calibration_dir or calibration_root() / "robots" / self.name
        self.arms = {
            side: cls(
                ViperXConfig(
                    id=f"{config.id}_{side}",
                    calibration_dir=calib_dir,
                    port=getattr(config, f"{side}_arm_port"),
                    disable_torque_on_disconnect=config.disable_torque_on_disconnect,
                    max_relative_target=config.max_relative_target,
                    use_degrees=config.use_degrees,
                )
            )
            for side, cls in self.arm_classes.items()
        }
        self.cameras = make_cameras_from_configs(config.cameras)
