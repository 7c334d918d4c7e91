"""ALOHA leader: two WidowX leader arms; actions `left_<joint>.pos`, `right_<joint>.pos`."""

from __future__ import annotations

from dataclasses import dataclass

from lerobot.robots.device import calibration_root
from lerobot.teleoperators.config import TeleoperatorConfig
from lerobot.teleoperators.multi_arm import MultiArmTeleoperator
from lerobot.teleoperators.widowx import WidowX, WidowXConfig


@TeleoperatorConfig.register_subclass("aloha_leader")
@dataclass(kw_only=True)
class AlohaLeaderConfig(TeleoperatorConfig):
    # Serial port of the left leader arm's motor bus.
    left_arm_port: str = "/dev/ttyDXL_leader_left"
    # Serial port of the right leader arm's motor bus.
    right_arm_port: str = "/dev/ttyDXL_leader_right"
    # Joints in degrees; false -> -100..100.
    use_degrees: bool = True


class AlohaLeader(MultiArmTeleoperator):
    name = "aloha_leader"
    config_class = AlohaLeaderConfig

    def __init__(self, config: AlohaLeaderConfig):
        super().__init__(config)
        calib_dir = config.calibration_dir or calibration_root() / "teleoperators" / self.name
        self.arms = {
            side: WidowX(
                WidowXConfig(
                    id=f"{config.id}_{side}",
                    calibration_dir=calib_dir,
                    port=getattr(config, f"{side}_arm_port"),
                    use_degrees=config.use_degrees,
                )
            )
            for side in ("left", "right")
        }


__all__ = ["AlohaLeader", "AlohaLeaderConfig"]
