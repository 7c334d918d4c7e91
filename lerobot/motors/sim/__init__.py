"""A simulated servo bus on a pseudo-terminal, speaking Feetech protocol 0 or Dynamixel protocol 2.0.

One module per concern:
- `codec.py`: packet framing, checksums (Feetech byte sum, Dynamixel CRC-16 and byte stuffing);
- `model.py`: `SimMotor`, a servo's control table in memory, its shaft and dynamics;
- `faults.py`: dropped and corrupt status packets, queued or at random rates;
- `server.py`: `SimulatedServoBus`, the pty server executing the instructions;
- `presets.py`: `ROBOT_PRESETS` / `MULTI_BUS_PRESETS`, from each registered device's motor table;
- `console.py`: the `python -m lerobot.motors.sim_bus` command, its console and `SimulatedUser`.
"""

from lerobot.motors.sim.codec import dxl_crc, ft_checksum
from lerobot.motors.sim.console import COMMANDS_HELP, SimulatedUser, main, parse_motors, run_command
from lerobot.motors.sim.model import SimMotor, vendor_of
from lerobot.motors.sim.presets import MULTI_BUS_PRESETS, ROBOT_PRESETS
from lerobot.motors.sim.server import SimulatedServoBus

__all__ = [
    "COMMANDS_HELP",
    "MULTI_BUS_PRESETS",
    "ROBOT_PRESETS",
    "SimMotor",
    "SimulatedServoBus",
    "SimulatedUser",
    "dxl_crc",
    "ft_checksum",
    "main",
    "parse_motors",
    "run_command",
    "vendor_of",
]
