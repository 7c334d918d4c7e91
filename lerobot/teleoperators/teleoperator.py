"""Teleoperator base class, registered by `name` (= config `type`).

Interface: `action_features`, `feedback_features`, `connect(calibrate=True)`,
`is_connected`, `is_calibrated`, `calibrate()`, `configure()`, `get_action()`, `send_feedback()`,
`disconnect()`; a context manager. The connection and calibration methods and the context manager are
declared once, in `CalibratedDevice` (lerobot/devices/device.py).
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import Any, ClassVar

from lerobot.devices.device import CalibratedDevice
from lerobot.registry import TELEOPERATORS
from lerobot.teleoperators.config import TeleoperatorConfig


class Teleoperator(CalibratedDevice):
    config_class: ClassVar[type[TeleoperatorConfig]]
    name: ClassVar[str]
    device_kind = "teleoperators"
    # name -> class of every registered teleoperator, imported on access (lerobot/registry.py).
    registry: ClassVar[Mapping[str, type[Teleoperator]]] = TELEOPERATORS.classes

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            TELEOPERATORS.register(cls.name, cls=cls)

    def __init__(self, config: TeleoperatorConfig):
        self.config = config
        self._init_device(config.id, config.calibration_dir)

    @property
    @abc.abstractmethod
    def action_features(self) -> dict[str, Any]: ...

    @property
    def feedback_features(self) -> dict[str, Any]:
        return {}

    @property
    def keys_in_use(self) -> frozenset[str]:
        """Keyboard keys this teleoperator reads (e.g. LeKiwi's base keys): other key users in the same
        process, such as the recorder's controls, must leave them alone."""
        return frozenset()

    @abc.abstractmethod
    def get_action(self) -> dict[str, Any]: ...

    def send_feedback(self, feedback: dict[str, Any]) -> None:
        if feedback:
            raise NotImplementedError(f"{type(self).__name__} has no feedback channel; got {list(feedback)}.")
