"""Drive a robot with a teleoperator at a fixed rate: `lerobot-teleoperate`.

    lerobot-teleoperate --robot.type=so100_follower --robot.port=/dev/ttyACM0 --robot.id=f \
        --teleop.type=so100_leader --teleop.port=/dev/ttyACM1 --teleop.id=l --fps=60 --teleop_time_s=30

The loop measures its real rate and warns when it cannot hold `--fps`. Torque is disabled on exit,
including Ctrl-C and SIGTERM.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lerobot.configs.parser import parse
from lerobot.robots import Robot, RobotConfig, make_robot_from_config
from lerobot.teleoperators import Teleoperator, TeleoperatorConfig, make_teleoperator_from_config
from lerobot.utils.robot_utils import LoopTimer
from lerobot.utils.visualization_utils import DEFAULT_PORT, check_display_flags, make_display

logger = logging.getLogger(__name__)


@dataclass
class TeleoperateConfig:
    teleop: TeleoperatorConfig
    robot: RobotConfig
    # Loop rate in Hz (None: as fast as possible).
    fps: int | None = 60
    # Stop after this many seconds (None: until Ctrl-C).
    teleop_time_s: float | None = None
    # Show observations and actions live in the Rerun viewer (extra `rerun`).
    display_data: bool = False
    # With --display_data=true: save the display to this .rrd file instead of spawning a viewer (for a
    # robot computer without a screen); open it later with `rerun <file>.rrd`.
    display_data_path: Path | None = None
    # With --display_data=true: stream live to a Rerun viewer on this IP (e.g. a laptop running `rerun` or
    # `rerun --serve-grpc`) instead of spawning one here.
    display_ip: str | None = None
    # The viewer's gRPC port (the port of a spawned viewer without --display_ip).
    display_port: int = DEFAULT_PORT

    def __post_init__(self):
        check_display_flags(self.display_data, self.display_data_path, self.display_ip, self.display_port)


def teleop_loop(
    teleop: Teleoperator,
    robot: Robot,
    fps: int | None,
    duration_s: float | None = None,
    max_steps: int | None = None,
    display_data: bool = False,
    display_data_path: Path | None = None,
    display_ip: str | None = None,
    display_port: int = DEFAULT_PORT,
) -> dict[str, Any]:
    """Leader -> follower until `duration_s` / `max_steps`; returns the loop timing stats. With
    `display_data`, observations and sent actions go to Rerun (`display_data_path`: an .rrd file;
    `display_ip`/`display_port`: a remote viewer)."""
    display = make_display(display_data, display_data_path, display_ip, display_port)
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
        return teleop_loop(
            teleop,
            robot,
            cfg.fps,
            cfg.teleop_time_s,
            None,
            cfg.display_data,
            cfg.display_data_path,
            cfg.display_ip,
            cfg.display_port,
        )


def main(args: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO)
    try:
        stats = teleoperate(parse(TeleoperateConfig, args))
    except KeyboardInterrupt:
        return
    print("Loop stats:", {k: round(v, 3) for k, v in stats.items()})


if __name__ == "__main__":
    main()
