"""Give each motor of a device its id and the bus baud rate, one motor at a time: `lerobot-setup-motors`.

    lerobot-setup-motors --robot.type=so100_follower --robot.port=/dev/ttyACM0

Connect the controller board to one motor only when asked (starting from the gripper), press ENTER; the
motor gets the id of that joint and 1 Mbps. Then daisy-chain the motors.

This script only parses the flags; the setup is `lerobot.recording.device_setup.setup_motors`.
"""

from __future__ import annotations

from lerobot.configs.parser import parse
from lerobot.recording.device_setup import SetupConfig, device_buses, setup_motors  # noqa: F401  (re-exported)
from lerobot.utils.cli import command


@command("lerobot-setup-motors")
def main(args: list[str] | None = None) -> None:
    setup_motors(parse(SetupConfig, args))


if __name__ == "__main__":
    main()
