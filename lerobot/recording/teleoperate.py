"""Drive a robot with a teleoperator at a fixed rate (`lerobot-teleoperate`); the loop measures its real
rate and warns when it cannot hold the asked one."""

from __future__ import annotations

from typing import Any

from lerobot.recording.configs import TeleoperateConfig
from lerobot.robots import Robot, make_robot_from_config
from lerobot.teleoperators import Teleoperator, make_teleoperator_from_config
from lerobot.utils.robot_utils import LoopTimer
from lerobot.utils.visualization_utils import DisplayFlags


def teleop_loop(
    teleop: Teleoperator,
    robot: Robot,
    fps: int | None,
    duration_s: float | None = None,
    max_steps: int | None = None,
    display_flags: DisplayFlags | None = None,
) -> dict[str, Any]:
    """Leader -> follower until `duration_s` / `max_steps`; returns the loop timing stats. With
    `display_flags` asking for a display, observations and sent actions go to Rerun (a spawned viewer, an
    .rrd file or a remote viewer)."""
    display = display_flags.make_display() if display_flags is not None else None
    timer = LoopTimer(fps)
    steps = 0
    try:
        while (duration_s is None or timer.elapsed_s < duration_s) and (
            max_steps is None or steps < max_steps
        ):
            timer.start_tick()
            action = teleop.get_action()
            sent = robot.send_action(action)
            if display is not None:
                display.log(robot.get_observation(), sent)
            timer.end_tick()
            steps += 1
    finally:
        if display is not None:
            display.close()
    timer.warn_if_slow()
    return timer.stats()


def teleoperate(cfg: TeleoperateConfig) -> dict[str, Any]:
    robot = make_robot_from_config(cfg.robot)
    teleop = make_teleoperator_from_config(cfg.teleop)
    with teleop, robot:
        return teleop_loop(teleop, robot, cfg.fps, cfg.teleop_time_s, display_flags=cfg)
