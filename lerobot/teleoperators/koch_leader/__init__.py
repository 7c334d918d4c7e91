"""Koch leader arm."""

from lerobot.teleoperators.koch_leader.config_koch_leader import KochLeaderConfig
from lerobot.teleoperators.koch_leader.koch_leader import KochLeader

__all__ = ["KochLeader", "KochLeaderConfig"]
