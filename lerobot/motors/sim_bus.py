"""A simulated servo bus on a pseudo-terminal, speaking Feetech protocol 0 or Dynamixel protocol 2.0.

The vendor SDKs open the pty slave like a USB-serial adapter and exchange the same bytes as with real
servos. The implementation is the package `lerobot/motors/sim/` (codec, motor model, server, faults,
presets, console); this module is its command and keeps the names importable from here.

Run it for a try without hardware; it prints the port to give to `--robot.port`:

    python -m lerobot.motors.sim_bus --robot so100_follower
    python -m lerobot.motors.sim_bus --motors 1:xl430-w250,2:xl330-m288 --corrupt-rate 0.05

then type `sweep` in its terminal when `lerobot-calibrate` asks you to move the joints through their range
(`set <id> <ticks>` moves one shaft, `show` prints them). `SimulatedUser` plays that person for
`control_robot.py --robot.mock=true`.
"""

from lerobot.motors.sim import *  # noqa: F403  (the package's public names, importable from here too)
from lerobot.motors.sim import __all__, main  # noqa: F401

if __name__ == "__main__":
    main()
