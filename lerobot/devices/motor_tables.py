"""Motor tables of the arm families whose followers (robots) and leaders (teleoperators) share joints.

Each function returns `{motor name: Motor(id, model, norm mode)}` for one arm: joints in degrees
(`use_degrees=True`) or -100..100, the gripper in 0..100. The follower and the leader of a family differ
only in the motor models they pass. Every arm class exposes its table as `make_motors(use_degrees)`; the
simulated bus builds its presets from those (`lerobot/motors/sim/presets.py`).
"""

from __future__ import annotations

from lerobot.motors.motor import Motor, MotorNormMode

SO100_JOINTS = ("shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll")
KOCH_JOINTS = ("shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll")
ALOHA_MOTORS = (
    "waist",
    "shoulder",
    "shoulder_shadow",
    "elbow",
    "elbow_shadow",
    "forearm_roll",
    "wrist_angle",
    "wrist_rotate",
    "gripper",
)
# ALOHA arms drive their shoulder and elbow with two motors each: shadow -> its primary (not features).
SHADOWS = {"shoulder_shadow": "shoulder", "elbow_shadow": "elbow"}


def _body_mode(use_degrees: bool) -> MotorNormMode:
    return MotorNormMode.DEGREES if use_degrees else MotorNormMode.RANGE_M100_100


def so100_motors(use_degrees: bool) -> dict[str, Motor]:
    """SO-100 arm: 6 Feetech STS3215, ids 1..5 the joints, 6 the gripper."""
    body = _body_mode(use_degrees)
    motors = {name: Motor(i, "sts3215", body) for i, name in enumerate(SO100_JOINTS, start=1)}
    motors["gripper"] = Motor(6, "sts3215", MotorNormMode.RANGE_0_100)
    return motors


def koch_motors(models: tuple[str, ...], use_degrees: bool) -> dict[str, Motor]:
    """Koch arm: 6 Dynamixel motors of `models` (one per id 1..6), id 6 the gripper."""
    body = _body_mode(use_degrees)
    motors = {name: Motor(i, models[i - 1], body) for i, name in enumerate(KOCH_JOINTS, start=1)}
    motors["gripper"] = Motor(6, models[5], MotorNormMode.RANGE_0_100)
    return motors


def aloha_arm_motors(models: tuple[str, ...], use_degrees: bool) -> dict[str, Motor]:
    """One ALOHA arm (ViperX follower, WidowX leader): 9 Dynamixel motors of `models`, id 9 the gripper."""
    body = _body_mode(use_degrees)
    motors = {name: Motor(i, models[i - 1], body) for i, name in enumerate(ALOHA_MOTORS, start=1)}
    motors["gripper"] = Motor(9, models[8], MotorNormMode.RANGE_0_100)
    return motors
