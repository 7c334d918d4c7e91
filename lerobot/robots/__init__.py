"""Robots, one folder per robot, registered by `type` (config) / `name` (class).

`make_robot_from_config(SO100FollowerConfig(port=..., id=...))` builds one; every robot is a context
manager and disables torque on every exit path.
"""

from lerobot.robots.aloha import Aloha, AlohaConfig
from lerobot.robots.config import RobotConfig
from lerobot.robots.koch_follower import KochFollower, KochFollowerConfig
from lerobot.robots.lekiwi import LeKiwi, LeKiwiClient, LeKiwiClientConfig, LeKiwiConfig
from lerobot.robots.robot import Robot
from lerobot.robots.so100_follower import SO100Follower, SO100FollowerConfig
from lerobot.robots.utils import make_robot_from_config
from lerobot.robots.viperx import ViperX, ViperXConfig

__all__ = [
    "LeKiwi",
    "LeKiwiClient",
    "LeKiwiClientConfig",
    "LeKiwiConfig",
    "Aloha",
    "AlohaConfig",
    "ViperX",
    "ViperXConfig",
    "KochFollower",
    "KochFollowerConfig",
    "Robot",
    "RobotConfig",
    "SO100Follower",
    "SO100FollowerConfig",
    "make_robot_from_config",
]
