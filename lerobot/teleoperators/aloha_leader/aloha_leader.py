"""ALOHA leader: two WidowX leader arms; actions `left_<joint>.pos`, `right_<joint>.pos`."""

from __future__ import annotations

from lerobot.devices.device import calibration_root
from lerobot.teleoperators.aloha_leader.config_aloha_leader import AlohaLeaderConfig
from lerobot.teleoperators.multi_arm import MultiArmTeleoperator
from lerobot.teleoperators.widowx import WidowX, WidowXConfig


class AlohaLeader(MultiArmTeleoperator):
    name = "aloha_leader"
    config_class = AlohaLeaderConfig
    arm_classes = dict.fromkeys(("left", "right"), WidowX)

    def __init__(self, config: AlohaLeaderConfig):
        super().__init__(config)
        calib_dir = config.calibration_dir or calibration_root() / "teleoperators" / self.name
        self.arms = {
            side: cls(
                WidowXConfig(
                    id=f"{config.id}_{side}",
                    calibration_dir=calib_dir,
                    port=getattr(config, f"{side}_arm_port"),
                    use_degrees=config.use_degrees,
                )
            )
            for side, cls in self.arm_classes.items()
        }
