"""SO-100 leader arm: the follower's 6 Feetech STS3215 servos, torque off, moved by hand."""

from __future__ import annotations

from lerobot.devices.motor_tables import so100_motors
from lerobot.motors.feetech import FeetechMotorsBus
from lerobot.motors.motor import Motor
from lerobot.teleoperators.leader import LeaderArm
from lerobot.teleoperators.so100_leader.config_so100_leader import SO100LeaderConfig


class SO100Leader(LeaderArm):
    name = "so100_leader"
    config_class = SO100LeaderConfig
    bus_class = FeetechMotorsBus
    full_turn_motors = ("wrist_roll",)

    @staticmethod
    def make_motors(use_degrees: bool) -> dict[str, Motor]:
        return so100_motors(use_degrees)

    def configure(self) -> None:
        self.bus.disable_torque()
        self.bus.configure_motors()
        self.bus.set_operating_mode("position")
