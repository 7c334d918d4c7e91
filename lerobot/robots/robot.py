"""Robot base class, registered by `name` (= config `type`, = `robot_type` written in datasets).

Interface: `observation_features` / `action_features` (flat dicts: `"<motor>.pos": float`,
camera name -> (H, W, 3)), `connect(calibrate=True)`, `is_connected`, `is_calibrated`, `calibrate()`,
`configure()`, `get_observation()`, `send_action(action) -> action actually sent`, `disconnect()`.
A robot is a context manager; torque is disabled on disconnect and on every exit path. The connection
and calibration methods and the context manager are declared once, in `CalibratedDevice`.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import Any, ClassVar

from lerobot.devices.device import CalibratedDevice
from lerobot.registry import ROBOTS
from lerobot.robots.config import RobotConfig

# How long `get_observation` waits for a new camera frame before raising: several frame periods, so that a
# loaded machine (encoding in the background) does not abort a recording, while a dead camera still does.
CAMERA_TIMEOUT_MS = 1000


class Robot(CalibratedDevice):
    config_class: ClassVar[type[RobotConfig]]
    name: ClassVar[str]
    device_kind = "robots"
    # name -> class of every registered robot, imported on access (lerobot/registry.py).
    registry: ClassVar[Mapping[str, type[Robot]]] = ROBOTS.classes

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            ROBOTS.register(cls.name, cls=cls)

    def __init__(self, config: RobotConfig):
        self.config = config
        self.robot_type = self.name
        self._init_device(config.id, config.calibration_dir)

    @property
    @abc.abstractmethod
    def observation_features(self) -> dict[str, Any]: ...

    @property
    @abc.abstractmethod
    def action_features(self) -> dict[str, Any]: ...

    @abc.abstractmethod
    def get_observation(self) -> dict[str, Any]: ...

    @abc.abstractmethod
    def send_action(self, action: dict[str, Any]) -> dict[str, Any]: ...

    def _check_action(self, action: dict[str, Any]) -> None:
        """For `send_action`: raise unless connected and every key of `action` is an action feature."""
        if not self.is_connected:
            raise RuntimeError(f"{self} is not connected: call `connect()` first.")
        unknown = [k for k in action if k not in self.action_features]
        if unknown:
            raise KeyError(
                f"{self}: unknown action keys {unknown}; expected keys among {list(self.action_features)}."
            )
