"""SO-100 leader arm."""

from lerobot.teleoperators.so100_leader.config_so100_leader import SO100LeaderConfig
from lerobot.teleoperators.so100_leader.so100_leader import SO100Leader

__all__ = ["SO100Leader", "SO100LeaderConfig"]
