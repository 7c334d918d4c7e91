"""Robot factory: config `type` -> class through the registry (lerobot/registry.py), no per-type branches."""

from __future__ import annotations

from lerobot.registry import ROBOTS
from lerobot.robots.config import RobotConfig
from lerobot.robots.robot import Robot


def make_robot_from_config(config: RobotConfig) -> Robot:
    """The robot registered as `config.type`, built from `config` (not connected); imports only its module."""
    cls = ROBOTS.get_class(config.type)  # an unknown type: ValueError listing the known ones
    if not (isinstance(cls, type) and issubclass(cls, Robot)):
        raise TypeError(f"The class registered as robot '{config.type}' ({cls!r}) is not a Robot subclass.")
    return cls(config)
