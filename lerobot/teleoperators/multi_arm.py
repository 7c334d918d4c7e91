"""Teleoperators made of several leader arms; actions prefixed by arm (see `lerobot/devices/multi_arm.py`)."""

from __future__ import annotations

from typing import Any

from lerobot.devices.multi_arm import ArmsMixin, prefixed
from lerobot.teleoperators.teleoperator import Teleoperator


class MultiArmTeleoperator(ArmsMixin, Teleoperator):
    @property
    def action_features(self) -> dict[str, Any]:
        return self._prefixed_union("action_features")

    @property
    def keys_in_use(self) -> frozenset[str]:
        return frozenset().union(*(device.keys_in_use for device in self.arms.values()))

    @property
    def is_connected(self) -> bool:
        return all(device.is_connected for device in self.arms.values())

    def connect(self, calibrate: bool = True) -> None:
        try:
            self._connect_arms(calibrate)
        except BaseException:
            self.disconnect()
            raise

    def get_action(self) -> dict[str, Any]:
        action: dict[str, Any] = {}
        for arm, device in self.arms.items():
            action.update(prefixed(arm, device.get_action()))
        return action

    def disconnect(self) -> None:
        self._disconnect_arms()
