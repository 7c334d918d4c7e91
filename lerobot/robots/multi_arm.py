"""Robots made of several follower arms (ALOHA's left/right, the v2.1 `main` arm...) plus cameras.

Each arm is a full `Robot` with its own bus and calibration file; features are prefixed by arm
(`left_waist.pos`, see `lerobot/devices/multi_arm.py`). Subclasses only build `self.arms` and
`self.cameras` in `__init__`.
"""

from __future__ import annotations

from typing import Any

from lerobot.devices.multi_arm import ArmsMixin, prefixed, split_by_arm
from lerobot.robots.robot import CAMERA_TIMEOUT_MS, Robot


class MultiArmRobot(ArmsMixin, Robot):
    cameras: dict[str, Any]

    @property
    def observation_features(self) -> dict[str, Any]:
        ft = self._prefixed_union("observation_features")
        ft.update({name: (cam.height, cam.width, 3) for name, cam in self.cameras.items()})
        return ft

    @property
    def action_features(self) -> dict[str, Any]:
        return self._prefixed_union("action_features")

    @property
    def is_connected(self) -> bool:
        arms = all(device.is_connected for device in self.arms.values())
        return arms and all(cam.is_connected for cam in self.cameras.values())

    def connect(self, calibrate: bool = True) -> None:
        try:
            self._connect_arms(calibrate)
            for cam in self.cameras.values():
                cam.connect()
        except BaseException:
            self.disconnect()
            raise

    def get_observation(self) -> dict[str, Any]:
        obs: dict[str, Any] = {}
        for arm, device in self.arms.items():
            obs.update(prefixed(arm, device.get_observation()))
        for name, cam in self.cameras.items():
            obs[name] = cam.async_read(timeout_ms=CAMERA_TIMEOUT_MS)
        return obs

    def send_action(self, action: dict[str, Any]) -> dict[str, Any]:
        per_arm = split_by_arm(action, list(self.arms), self)
        sent: dict[str, Any] = {}
        for arm, device in self.arms.items():
            if per_arm[arm]:
                sent.update(prefixed(arm, device.send_action(per_arm[arm])))
        return sent

    def disconnect(self) -> None:
        try:
            self._disconnect_arms()
        finally:
            for cam in self.cameras.values():
                if cam.is_connected:
                    cam.disconnect()
