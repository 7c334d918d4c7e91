"""Robot factory: config `type` -> class through the registry (no per-type branches)."""

from __future__ import annotations

from lerobot.robots.config import RobotConfig
from lerobot.robots.robot import Robot


def make_robot_from_config(config: RobotConfig) -> Robot:
    import lerobot.robots  # noqa: F401  (imports every robot, filling the registry)

    cls = Robot.registry.get(config.type)
    if cls is None:
        raise ValueError(f"Unknown robot type '{config.type}'; known: {sorted(Robot.registry)}.")
    return cls(config)
