"""Koch follower: shoulder_pan, shoulder_lift (XL430-W250), elbow_flex, wrist_flex, wrist_roll, gripper
(XL330-M288). Joints run in extended position mode (no wrap-around at 0/4096); the gripper in
current-based position mode so that it limits its grip force."""

from __future__ import annotations

from lerobot.motors.dynamixel import DynamixelMotorsBus
from lerobot.motors.motors_bus import Motor, MotorNormMode
from lerobot.robots.follower import FollowerArm
from lerobot.robots.koch_follower.config_koch_follower import KochFollowerConfig

KOCH_JOINTS = ("shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll")


def koch_motors(models: tuple[str, ...], use_degrees: bool) -> dict[str, Motor]:
    body = MotorNormMode.DEGREES if use_degrees else MotorNormMode.RANGE_M100_100
    motors = {name: Motor(i, models[i - 1], body) for i, name in enumerate(KOCH_JOINTS, start=1)}
    motors["gripper"] = Motor(6, models[5], MotorNormMode.RANGE_0_100)
    return motors


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
