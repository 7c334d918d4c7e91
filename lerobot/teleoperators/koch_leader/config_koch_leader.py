"""Config of the `koch_leader` teleoperator."""

from __future__ import annotations

from dataclasses import dataclass

from lerobot.teleoperators.config import TeleoperatorConfig
from lerobot.teleoperators.leader import LeaderArmConfig


@TeleoperatorConfig.register_subclass("koch_leader")
@dataclass(kw_only=True)
class KochLeaderConfig(LeaderArmConfig):
    # Gripper rest position (0..100) held by its motor so that the user squeezes against a spring.
    gripper_open_pos: float = 50.0

    def __post_init__(self):
        if not 0 <= self.gripper_open_pos <= 100:
            raise ValueError(
                f"gripper_open_pos is in 0..100 (percent of the gripper range), got {self.gripper_open_pos}."
            )
