"""Config of the `widowx` teleoperator."""

from __future__ import annotations

from dataclasses import dataclass

from lerobot.teleoperators.config import TeleoperatorConfig
from lerobot.teleoperators.leader import LeaderArmConfig


@TeleoperatorConfig.register_subclass("widowx")
@dataclass(kw_only=True)
class WidowXConfig(LeaderArmConfig):
    """WidowX 250 arm: XM430-W350 (ids 1-7), XL430-W250 (id 8), XC430-W150 (id 9) at 1 Mbps."""
