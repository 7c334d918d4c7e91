"""ALOHA leader: two WidowX leader arms; actions `left_<joint>.pos`, `right_<joint>.pos`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lerobot.robots.bimanual import SIDES, prefixed
from lerobot.robots.device import calibration_root
from lerobot.teleoperators.config import TeleoperatorConfig
from lerobot.teleoperators.teleoperator import Teleoperator
from lerobot.teleoperators.widowx import WidowX, WidowXConfig


@TeleoperatorConfig.register_subclass("aloha_leader")
@dataclass(kw_only=True)
class AlohaLeaderConfig(TeleoperatorConfig):
    left_arm_port: str = "/dev/ttyDXL_leader_left"
    right_arm_port: str = "/dev/ttyDXL_leader_right"
    use_degrees: bool = True


class AlohaLeader(Teleoperator):
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
            for side in SIDES
        }

    @property
    def action_features(self) -> dict[str, Any]:
        ft: dict[str, Any] = {}
        for side, arm in self.arms.items():
            ft.update(prefixed(side, arm.action_features))
        return ft

    @property
    def is_connected(self) -> bool:
        return all(arm.is_connected for arm in self.arms.values())

    @property
    def is_calibrated(self) -> bool:
        return all(arm.is_calibrated for arm in self.arms.values())

    def connect(self, calibrate: bool = True) -> None:
        try:
            for arm in self.arms.values():
                arm.input_fn = self.input_fn
                arm.connect(calibrate)
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

    def get_action(self) -> dict[str, Any]:
        action: dict[str, Any] = {}
        for side, arm in self.arms.items():
            action.update(prefixed(side, arm.get_action()))
        return action

    def disconnect(self) -> None:
        for arm in self.arms.values():
            arm.disconnect()


__all__ = ["AlohaLeader", "AlohaLeaderConfig"]
