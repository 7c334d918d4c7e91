"""Motor buses: register access by name over the vendor SDKs, calibration and a simulated servo bus.

`FeetechMotorsBus` (`lerobot.motors.feetech`) and `DynamixelMotorsBus` (`lerobot.motors.dynamixel`)
import their SDK only on `connect()`. `python -m lerobot.motors.sim_bus` runs a simulated bus.
"""

from lerobot.motors.motor import Motor, MotorCalibration, MotorNormMode
from lerobot.motors.motors_bus import MotorBusError, MotorsBus

__all__ = ["Motor", "MotorBusError", "MotorCalibration", "MotorNormMode", "MotorsBus"]
