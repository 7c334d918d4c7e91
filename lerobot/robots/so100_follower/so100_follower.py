"""SO-100 follower: shoulder_pan, shoulder_lift, elbow_flex, wrist_flex, wrist_roll (ids 1..5, degrees or
-100..100) and gripper (id 6, 0..100), Feetech STS3215 servos. PID gains P=16, I=0, D=32."""

from __future__ import annotations

from lerobot.devices.motor_tables import so100_motors
from lerobot.motors.feetech import FeetechMotorsBus
from lerobot.motors.motor import Motor
from lerobot.robots.follower import FollowerArm
from lerobot.robots.so100_follower.config_so100_follower import SO100FollowerConfig


class SO100Follower(FollowerArm):
    name = "so100_follower"
    config_class = SO100FollowerConfig
    bus_class = FeetechMotorsBus
    full_turn_motors = ("wrist_roll",)

    @staticmethod
    def make_motors(use_degrees: bool) -> dict[str, Motor]:
        return so100_motors(use_degrees)

    def configure(self) -> None:
        with self.bus.torque_disabled():
            self.bus.configure_motors()
            for motor in self.bus.motors:
                self.bus.write("Operating_Mode", motor, self.bus.operating_modes["position"])
                # Lower P than the factory 32 avoids shakiness; D damps it (values of the reference).
                self.bus.write("P_Coefficient", motor, 16)
                self.bus.write("I_Coefficient", motor, 0)
                self.bus.write("D_Coefficient", motor, 32)
