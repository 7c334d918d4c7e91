"""Camera base class: `connect` / `read` / `async_read` / `disconnect`, usable as a context manager.

Frames are `np.ndarray` of shape (H, W, 3), dtype uint8, in the configured color order (RGB by default);
depth frames are (H, W) uint16 in millimetres.
"""

from __future__ import annotations

import abc
from typing import Any

import numpy as np

from lerobot.cameras.configs import CameraConfig


class Camera(abc.ABC):
    config_class: type[CameraConfig]
    registry: dict[str, type[Camera]] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get("name")
        if name:
            Camera.registry[name] = cls

    def __init__(self, config: CameraConfig):
        self.config = config
        self.fps = config.fps
        self.width = config.width
        self.height = config.height

    @property
    @abc.abstractmethod
    def is_connected(self) -> bool: ...

    @abc.abstractmethod
    def connect(self, warmup: bool = True) -> None: ...

    @abc.abstractmethod
    def read(self) -> np.ndarray:
        """Capture a frame now (blocking)."""

    @abc.abstractmethod
    def async_read(self, timeout_ms: float = 200) -> np.ndarray:
        """Latest frame of the background reader; waits for a new one up to `timeout_ms`."""

    @abc.abstractmethod
    def disconnect(self) -> None: ...

    @staticmethod
    def find_cameras() -> list[dict[str, Any]]:
        return []

    def __enter__(self) -> Camera:
        self.connect()
        return self

    def __exit__(self, *exc) -> None:
        self.disconnect()

    def __del__(self):
        try:
            if self.is_connected:
                self.disconnect()
        except (AttributeError, RuntimeError):
            pass
