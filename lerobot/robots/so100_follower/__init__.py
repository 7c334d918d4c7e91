"""SO-100 follower arm."""

from lerobot.robots.so100_follower.config_so100_follower import SO100FollowerConfig
from lerobot.robots.so100_follower.so100_follower import SO100Follower

__all__ = ["SO100Follower", "SO100FollowerConfig"]
