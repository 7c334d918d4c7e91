"""Dynamixel X-series buses on the vendor SDK `dynamixel_sdk` (extra `dynamixel`)."""

from lerobot.motors.dynamixel.dynamixel import DynamixelMotorsBus

__all__ = ["DynamixelMotorsBus"]
