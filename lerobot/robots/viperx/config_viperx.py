"""Config of the `viperx` robot (one ALOHA follower arm)."""

from __future__ import annotations

from dataclasses import dataclass

from lerobot.robots.config import RobotConfig
from lerobot.robots.follower import FollowerArmConfig


@RobotConfig.register_subclass("viperx")
@dataclass(kw_only=True)
class ViperXConfig(FollowerArmConfig):
    """ViperX 300 arm: XM540-W270 (ids 1-7) and XM430-W350 (ids 8-9) at 1 Mbps."""

    # Per-step clamp of the commanded change (ALOHA default: 5 degrees).
    max_relative_target: float | dict[str, float] | None = 5.0
