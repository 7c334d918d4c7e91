"""Drive a robot with a teleoperator at a fixed rate: `lerobot-teleoperate`.

    lerobot-teleoperate --robot.type=so100_follower --robot.port=/dev/ttyACM0 --robot.id=f \
        --teleop.type=so100_leader --teleop.port=/dev/ttyACM1 --teleop.id=l --fps=60 --teleop_time_s=30

The loop measures its real rate and warns when it cannot hold `--fps`. Torque is disabled on exit,
including Ctrl-C and SIGTERM.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from lerobot.configs.parser import parse
from lerobot.configs.types import check_numbers
from lerobot.robots import Robot, RobotConfig, make_robot_from_config
from lerobot.teleoperators import Teleoperator, TeleoperatorConfig, make_teleoperator_from_config
from lerobot.utils.cli import command
from lerobot.utils.robot_utils import LoopTimer
from lerobot.utils.visualization_utils import DisplayFlags

logger = logging.getLogger(__name__)


@dataclass
class TeleoperateConfig(DisplayFlags):
    # The leader device: --teleop.type=<name> plus its --teleop.* settings.
    teleop: TeleoperatorConfig
    # The follower robot: --robot.type=<name> plus its --robot.* settings.
    robot: RobotConfig
    # Loop rate in Hz (None: as fast as possible).
    fps: int | None = 60
    # Stop after this many seconds (None: until Ctrl-C).
    teleop_time_s: float | None = None

    def __post_init__(self):
        super().__post_init__()
        check_numbers(self, positive=("fps", "teleop_time_s"), flag_prefix="--")


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


@command("lerobot-teleoperate")
def main(args: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO)
    try:
        stats = teleoperate(parse(TeleoperateConfig, args))
    except KeyboardInterrupt:
        return
    print("Loop stats:", {k: round(v, 3) for k, v in stats.items()})


if __name__ == "__main__":
    main()
