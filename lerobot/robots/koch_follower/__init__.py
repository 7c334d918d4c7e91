"""Koch v1.1 follower arm."""

from lerobot.robots.koch_follower.config_koch_follower import KochFollowerConfig
from lerobot.robots.koch_follower.koch_follower import KochFollower

__all__ = ["KochFollower", "KochFollowerConfig"]
