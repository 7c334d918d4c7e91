"""Base of leader arms: read joint positions (torque off, moved by hand) as the action."""

from __future__ import annotations

import abc
from dataclasses import dataclass

from lerobot.devices.arm import MotorArmMixin
from lerobot.motors.motor import Motor
from lerobot.motors.motors_bus import MotorsBus
from lerobot.teleoperators.config import TeleoperatorConfig
from lerobot.teleoperators.teleoperator import Teleoperator


@dataclass(kw_only=True)
class LeaderArmConfig(TeleoperatorConfig):
    # Serial port of the motor bus, e.g. /dev/ttyACM1 (find it with `lerobot-find-port`).
    port: str
    # Joints in degrees; False -> -100..100 (must match the follower's setting).
    use_degrees: bool = True


class LeaderArm(MotorArmMixin, Teleoperator, abc.ABC):
    config: LeaderArmConfig
    bus_class: type[MotorsBus]

    def __init__(self, config: LeaderArmConfig):
        super().__init__(config)
        self.bus = self.bus_class(
            port=config.port, motors=self.make_motors(config.use_degrees), calibration=self.calibration
        )

    @staticmethod
    @abc.abstractmethod
    def make_motors(use_degrees: bool) -> dict[str, Motor]: ...

    @property
    def feature_motors(self) -> list[str]:
        """Motors exposed as features (all by default; arms with shadow motors hide those)."""
        return list(self.bus.motors)

    @property
    def action_features(self) -> dict[str, type]:
        return {f"{m}.pos": float for m in self.feature_motors}

    @property
    def is_connected(self) -> bool:
        return self.bus.is_connected

    def connect(self, calibrate: bool = True) -> None:
        self._arm_connect(calibrate)

    def get_action(self) -> dict[str, float]:
        if not self.is_connected:
            raise RuntimeError(f"{self} is not connected: call `connect()` first.")
        return {f"{m}.pos": v for m, v in self.bus.sync_read("Present_Position", self.feature_motors).items()}

    def disconnect(self) -> None:
        if self.bus.is_connected:
            self._arm_disconnect(disable_torque=True)
