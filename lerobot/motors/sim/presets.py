"""Presets of the simulated bus (`--robot <type>`): the motors of every registered robot and teleoperator,
taken from the device class's own motor table, so that no motor list is written twice.

- `ROBOT_PRESETS[type]`: `[(id, model), ...]` of a device on one bus: every registered class with a
  `bus_class` and a `make_motors(use_degrees)` table (`lerobot/devices/motor_tables.py`, LeKiwi's own);
- `MULTI_BUS_PRESETS[type]`: `{bus name: arm type}` of a device made of several arms, one bus each: every
  registered class with `arm_classes` (ALOHA: `{"left": "viperx", "right": "viperx"}`).

Both are read-only mappings computed from the registries on access (the robot and teleoperator packages
are imported then, not when this module is), so a device registered later has its preset too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any


def _registered_devices() -> dict[str, type]:
    import lerobot.robots
    import lerobot.teleoperators

    return {**lerobot.robots.Robot.registry, **lerobot.teleoperators.Teleoperator.registry}


def single_bus_presets() -> dict[str, list[tuple[int, str]]]:
    presets = {}
    for name, cls in _registered_devices().items():
        if hasattr(cls, "bus_class") and callable(getattr(cls, "make_motors", None)):
            presets[name] = sorted((m.id, m.model) for m in cls.make_motors(True).values())
    return presets


def multi_bus_presets() -> dict[str, dict[str, str]]:
    return {
        name: {bus: arm.name for bus, arm in cls.arm_classes.items()}
        for name, cls in _registered_devices().items()
        if getattr(cls, "arm_classes", None)
    }


class _RegistryView(Mapping):
    """A read-only mapping rebuilt from the device registries on every access."""

    def __init__(self, build: Callable[[], dict[str, Any]]):
        self._build = build

    def __getitem__(self, key: str) -> Any:
        presets = self._build()
        if key not in presets:
            raise KeyError(f"No simulated-bus preset for device type '{key}'; known: {sorted(presets)}.")
        return presets[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._build())

    def __len__(self) -> int:
        return len(self._build())

    def __repr__(self) -> str:
        return repr(self._build())


ROBOT_PRESETS: Mapping[str, list[tuple[int, str]]] = _RegistryView(single_bus_presets)
MULTI_BUS_PRESETS: Mapping[str, dict[str, str]] = _RegistryView(multi_bus_presets)
