"""Config of the `so100_leader` teleoperator."""

from __future__ import annotations

from dataclasses import dataclass

from lerobot.teleoperators.config import TeleoperatorConfig
from lerobot.teleoperators.leader import LeaderArmConfig


@TeleoperatorConfig.register_subclass("so100_leader")
@dataclass(kw_only=True)
class SO100LeaderConfig(LeaderArmConfig):
    pass
