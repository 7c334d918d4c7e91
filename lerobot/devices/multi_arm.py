"""Devices made of several arms (ALOHA's left/right, the v2.1 `main` arm...): features prefixed by arm.

`ArmsMixin` holds what a multi-arm robot (`lerobot/robots/multi_arm.py`, follower arms plus
cameras) and a multi-arm teleoperator (`lerobot/teleoperators/multi_arm.py`, leader
arms) share. Feature `"<arm>_<key>"` is the arm's `"<key>"`, e.g. `left_waist.pos`. Subclasses only build
`self.arms` (and cameras) in `__init__`.
"""

from __future__ import annotations

from typing import Any, ClassVar


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


class ArmsMixin:
    """Calibration, configuration, connection of `self.arms` (arm name -> device), one arm after the other.

    `arm_classes` (arm name -> device class) names the arms of a registered multi-arm device (ALOHA:
    `{"left": ViperX, "right": ViperX}`): its `__init__` builds one of each, and the simulated bus takes
    their motor tables from them (`lerobot/motors/sim/presets.py`).
    """

    arms: dict[str, Any]
    arm_classes: ClassVar[dict[str, type]] = {}

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
