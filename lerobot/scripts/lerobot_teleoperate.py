"""Drive a robot with a teleoperator at a fixed rate: `lerobot-teleoperate`.

    lerobot-teleoperate --robot.type=so100_follower --robot.port=/dev/ttyACM0 --robot.id=f \
        --teleop.type=so100_leader --teleop.port=/dev/ttyACM1 --teleop.id=l --fps=60 --teleop_time_s=30

The loop measures its real rate and warns when it cannot hold `--fps`. Torque is disabled on exit,
including Ctrl-C and SIGTERM.

This script only parses the flags; the loop is the library's `lerobot.recording.teleoperate`.
"""

from __future__ import annotations

import logging

from lerobot.configs.parser import parse
from lerobot.recording.configs import TeleoperateConfig
from lerobot.recording.teleoperate import teleop_loop, teleoperate  # noqa: F401  (re-exported)
from lerobot.utils.cli import command


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
