"""Devices made of several arms (ALOHA's left/right, the v2.1 `main` arm...): features prefixed by arm.

`MultiArmRobot` composes follower arms (each a full `Robot` with its own bus and calibration file) plus
cameras; `lerobot.teleoperators.multi_arm.MultiArmTeleoperator` composes leader arms. Feature `"<arm>_<key>"` is the arm's `"<key>"`,
e.g. `left_waist.pos`. Subclasses only build `self.arms` (and cameras) in `__init__`.
"""

from __future__ import annotations

from typing import Any

from lerobot.robots.robot import CAMERA_TIMEOUT_MS, Robot


def prefixed(arm: str, features: dict[str, Any]) -> dict[str, Any]:
    return {f"{arm}_{k}": v for k, v in features.items()}


def split_by_arm(values: dict[str, Any], arms: list[str], owner: object) -> dict[str, dict[str, Any]]:
    """{"left_waist.pos": x, "right_waist.pos": y} -> {"left": {"waist.pos": x}, "right": {"waist.pos": y}}."""
    out: dict[str, dict[str, Any]] = {arm: {} for arm in arms}
    for key, value in values.items():
        arm = next((a for a in arms if key.startswith(f"{a}_")), None)
        if arm is None:
            raise KeyError(f"{owner}: key '{key}' must start with one of {[a + '_' for a in arms]}.")
        out[arm][key.removeprefix(f"{arm}_")] = value
    return out


class _ArmsMixin:
    arms: dict[str, Any]

    def _prefixed_union(self, attr: str) -> dict[str, Any]:
        ft: dict[str, Any] = {}
        for arm, device in self.arms.items():
            ft.update(prefixed(arm, getattr(device, attr)))
        return ft

    @property
    def is_calibrated(self) -> bool:
        return all(device.is_calibrated for device in self.arms.values())

    def calibrate(self) -> None:
        for device in self.arms.values():
            device.input_fn = self.input_fn
            device.calibrate()

    def configure(self) -> None:
        for device in self.arms.values():
            device.configure()

    def _connect_arms(self, calibrate: bool) -> None:
        for device in self.arms.values():
            device.input_fn = self.input_fn
            device.connect(calibrate)

    def _disconnect_arms(self) -> None:
        for device in self.arms.values():
            device.disconnect()


class MultiArmRobot(_ArmsMixin, Robot):
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
