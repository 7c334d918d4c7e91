"""WidowX 250 leader arm (one ALOHA leader): 9 Dynamixel motors, shadows hidden from the features."""

from __future__ import annotations

from lerobot.devices.motor_tables import SHADOWS, aloha_arm_motors
from lerobot.motors.dynamixel import DynamixelMotorsBus
from lerobot.motors.motor import Motor
from lerobot.teleoperators.leader import LeaderArm
from lerobot.teleoperators.widowx.config_widowx import WidowXConfig


class WidowX(LeaderArm):
    name = "widowx"
    config_class = WidowXConfig
    bus_class = DynamixelMotorsBus
    full_turn_motors = ("waist", "forearm_roll", "wrist_rotate")
    calibration_operating_mode = "extended_position"

    @staticmethod
    def make_motors(use_degrees: bool) -> dict[str, Motor]:
        return aloha_arm_motors(("xm430-w350",) * 7 + ("xl430-w250", "xc430-w150"), use_degrees)

    @property
    def feature_motors(self) -> list[str]:
        return [m for m in self.bus.motors if m not in SHADOWS]

    def configure(self) -> None:
        self.bus.disable_torque()
        self.bus.configure_motors()
        self.bus.set_operating_mode("extended_position")
