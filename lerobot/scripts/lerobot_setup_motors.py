"""Give each motor of a device its id and the bus baud rate, one motor at a time: `lerobot-setup-motors`.

    lerobot-setup-motors --robot.type=so100_follower --robot.port=/dev/ttyACM0

Connect the controller board to one motor only when asked (starting from the gripper), press ENTER; the
motor gets the id of that joint and 1 Mbps. Then daisy-chain the motors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lerobot.configs.parser import parse
from lerobot.motors.motors_bus import MotorsBus
from lerobot.robots import RobotConfig, make_robot_from_config
from lerobot.teleoperators import TeleoperatorConfig, make_teleoperator_from_config
from lerobot.utils.cli import command


@dataclass
class SetupConfig:
    # The robot whose motors to set up (or use --teleop.*).
    robot: RobotConfig | None = None
    # The teleoperator whose motors to set up (or use --robot.*).
    teleop: TeleoperatorConfig | None = None

    def __post_init__(self):
        if (self.robot is None) == (self.teleop is None):
            raise ValueError("Give exactly one device to set up: --robot.type=... or --teleop.type=...")


def device_buses(device) -> list[MotorsBus]:
    """The motor buses of a device: its `bus`, or the bus of each of its `arms`."""
    if hasattr(device, "arms"):
        return [arm.bus for arm in device.arms.values()]
    return [device.bus]


def setup_motors(cfg: SetupConfig, input_fn: Callable[[str], str] = input) -> None:
    device = make_robot_from_config(cfg.robot) if cfg.robot else make_teleoperator_from_config(cfg.teleop)
    for bus in device_buses(device):
        bus.connect(handshake=False)
        try:
            for motor in reversed(list(bus.motors)):
                input_fn(
                    f"Connect the controller board ({bus.port}) to the '{motor}' motor only and press ENTER."
                )
                bus.setup_motor(motor)
                print(f"'{motor}' motor id set to {bus.motors[motor].id}")
        finally:
            bus.disconnect(disable_torque=False)


@command("lerobot-setup-motors")
def main(args: list[str] | None = None) -> None:
    setup_motors(parse(SetupConfig, args))


if __name__ == "__main__":
    main()
