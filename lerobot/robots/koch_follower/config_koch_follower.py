from __future__ import annotations

from dataclasses import dataclass

from lerobot.robots.config import RobotConfig
from lerobot.robots.follower import FollowerArmConfig


@RobotConfig.register_subclass("koch_follower")
@dataclass(kw_only=True)
class KochFollowerConfig(FollowerArmConfig):
    """Koch v1.1 follower arm: Dynamixel XL430-W250 (ids 1-2) and XL330-M288 (ids 3-6) at 1 Mbps."""
