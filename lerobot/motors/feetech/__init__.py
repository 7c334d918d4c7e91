"""Feetech servo buses (STS/SMS/SCS) on the vendor SDK `scservo_sdk` (extra `feetech`)."""

from lerobot.motors.feetech.feetech import FeetechMotorsBus

__all__ = ["FeetechMotorsBus"]
