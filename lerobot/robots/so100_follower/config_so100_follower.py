from __future__ import annotations

from dataclasses import dataclass

from lerobot.robots.config import RobotConfig
from lerobot.robots.follower import FollowerArmConfig


@RobotConfig.register_subclass("so100_follower")
@dataclass(kw_only=True)
class SO100FollowerConfig(FollowerArmConfig):
    """SO-100 follower arm: 6 Feetech STS3215 servos, ids 1..6, on one bus at 1 Mbps."""
