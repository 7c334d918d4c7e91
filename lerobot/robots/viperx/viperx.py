"""ViperX 300 follower arm (one ALOHA arm): 9 Dynamixel motors, two of them "shadows".

shoulder_shadow and elbow_shadow are a second motor on the same joint. They get the primary motor's id as
`Secondary_ID` and a reversed `Drive_Mode`, so every goal sent to the primary drives both; they are not
features. Features: waist, shoulder, elbow, forearm_roll, wrist_angle, wrist_rotate (degrees or
-100..100) and gripper (0..100).
"""

from __future__ import annotations

from lerobot.devices.motor_tables import SHADOWS, aloha_arm_motors
from lerobot.motors.dynamixel import DynamixelMotorsBus
from lerobot.motors.motor import Motor
from lerobot.robots.follower import FollowerArm
from lerobot.robots.viperx.config_viperx import ViperXConfig


def link_shadows(bus: DynamixelMotorsBus) -> None:
    """Shadow motors follow their primary in hardware (call with torque off)."""
    for shadow, primary in SHADOWS.items():
        bus.write("Secondary_ID", shadow, bus.motors[primary].id)
        bus.write("Drive_Mode", shadow, 1)


class ViperX(FollowerArm):
    name = "viperx"
    config_class = ViperXConfig
    bus_class = DynamixelMotorsBus
    full_turn_motors = ("waist", "forearm_roll", "wrist_rotate")
    calibration_operating_mode = "extended_position"

    @staticmethod
    def make_motors(use_degrees: bool) -> dict[str, Motor]:
        return aloha_arm_motors(("xm540-w270",) * 7 + ("xm430-w350",) * 2, use_degrees)

    @property
    def feature_motors(self) -> list[str]:
        return [m for m in self.bus.motors if m not in SHADOWS]

    def configure(self) -> None:
        with self.bus.torque_disabled():
            self.bus.configure_motors()
            link_shadows(self.bus)
            self.bus.set_operating_mode("extended_position", [m for m in self.bus.motors if m != "gripper"])
            self.bus.set_operating_mode("current_position", "gripper")
