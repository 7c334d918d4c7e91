"""Koch follower: shoulder_pan, shoulder_lift (XL430-W250), elbow_flex, wrist_flex, wrist_roll, gripper
(XL330-M288). Joints run in extended position mode (no wrap-around at 0/4096); the gripper in
current-based position mode so that it limits its grip force."""

from __future__ import annotations

from lerobot.devices.motor_tables import koch_motors
from lerobot.motors.dynamixel import DynamixelMotorsBus
from lerobot.motors.motor import Motor
from lerobot.robots.follower import FollowerArm
from lerobot.robots.koch_follower.config_koch_follower import KochFollowerConfig


class KochFollower(FollowerArm):
    name = "koch_follower"
    config_class = KochFollowerConfig
    bus_class = DynamixelMotorsBus
    full_turn_motors = ("shoulder_pan", "wrist_roll")
    calibration_operating_mode = "extended_position"

    @staticmethod
    def make_motors(use_degrees: bool) -> dict[str, Motor]:
        return koch_motors(("xl430-w250",) * 2 + ("xl330-m288",) * 4, use_degrees)

    def configure(self) -> None:
        with self.bus.torque_disabled():
            self.bus.configure_motors()
            joints = [m for m in self.bus.motors if m != "gripper"]
            self.bus.set_operating_mode("extended_position", joints)
            self.bus.set_operating_mode("current_position", "gripper")
            # Stiffer elbow (gains of the reference Koch follower).
            self.bus.write("Position_P_Gain", "elbow_flex", 1500)
            self.bus.write("Position_I_Gain", "elbow_flex", 0)
            self.bus.write("Position_D_Gain", "elbow_flex", 600)
