"""SO-100 leader arm: the follower's 6 Feetech STS3215 servos, torque off, moved by hand."""

from __future__ import annotations

from dataclasses import dataclass

from lerobot.motors.feetech import FeetechMotorsBus
from lerobot.motors.motors_bus import Motor
from lerobot.robots.so100_follower.so100_follower import so100_motors
from lerobot.teleoperators.config import TeleoperatorConfig
from lerobot.teleoperators.leader import LeaderArm, LeaderArmConfig


@TeleoperatorConfig.register_subclass("so100_leader")
@dataclass(kw_only=True)
class SO100LeaderConfig(LeaderArmConfig):
    pass


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


__all__ = ["SO100Leader", "SO100LeaderConfig"]
