"""Koch leader arm: 6 Dynamixel XL330-M077, torque off except the gripper, which acts as a spring-loaded
trigger (current-based position mode holding `gripper_open_pos`)."""

from __future__ import annotations

from lerobot.devices.motor_tables import koch_motors
from lerobot.motors.dynamixel import DynamixelMotorsBus
from lerobot.motors.motor import Motor
from lerobot.teleoperators.koch_leader.config_koch_leader import KochLeaderConfig
from lerobot.teleoperators.leader import LeaderArm


class KochLeader(LeaderArm):
    name = "koch_leader"
    config_class = KochLeaderConfig
    bus_class = DynamixelMotorsBus
    full_turn_motors = ("shoulder_pan", "wrist_roll")
    calibration_operating_mode = "extended_position"

    @staticmethod
    def make_motors(use_degrees: bool) -> dict[str, Motor]:
        return koch_motors(("xl330-m077",) * 6, use_degrees)

    def configure(self) -> None:
        self.bus.disable_torque()
        self.bus.configure_motors()
        joints = [m for m in self.bus.motors if m != "gripper"]
        self.bus.set_operating_mode("extended_position", joints)
        self.bus.set_operating_mode("current_position", "gripper")
        if self.bus.calibration:
            self.bus.write("Goal_Position", "gripper", self.config.gripper_open_pos)
            self.bus.enable_torque("gripper")
