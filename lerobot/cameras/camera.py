"""Camera base class: `connect` / `read` / `async_read` / `disconnect`, usable as a context manager.

Frames are `np.ndarray` of shape (H, W, 3), dtype uint8, in the configured color order (RGB by default);
depth frames are (H, W) uint16 in millimetres.

`async_read` is shared: a daemon thread, started on its first call, runs the backend's `_read_loop`,
which hands each new frame to `_publish`; `_stop_reader` (called by the backend's `disconnect`) ends it.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from lerobot.cameras.configs import CameraConfig
from lerobot.registry import CAMERAS


class Camera(abc.ABC):
    config_class: type[CameraConfig]
    # name -> class of every registered camera backend, imported on access (lerobot/registry.py).
    registry: ClassVar[Mapping[str, type[Camera]]] = CAMERAS.classes

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get("name")
        if name:
            CAMERAS.register(name, cls=cls)

    def __init__(self, config: CameraConfig):
        self.config = config
        self.fps = config.fps
        self.width = config.width
        self.height = config.height
        # Background reader behind `async_read`.
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._new_frame = threading.Event()
        self._lock = threading.Lock()
        self._latest: np.ndarray | None = None
        self._error: BaseException | None = None

    @property
    @abc.abstractmethod
    def is_connected(self) -> bool: ...

    @abc.abstractmethod
    def connect(self, warmup: bool = True) -> None: ...

    @abc.abstractmethod
    def read(self) -> np.ndarray:
        """Capture a frame now (blocking)."""

    @abc.abstractmethod
    def _read_loop(self) -> None:
        """Body of the reader thread: until `self._stop` is set, `_publish` each new frame; store a
        capture error in `self._error` (reported by `async_read` on timeout) and keep trying."""

    def _publish(self, frame: np.ndarray) -> None:
        with self._lock:
            self._latest = frame
        self._new_frame.set()

    def async_read(self, timeout_ms: float = 200) -> np.ndarray:
        """Latest frame of the background reader; waits for a new one up to `timeout_ms`."""
        if not self.is_connected:
            raise RuntimeError(f"{self} is not connected: call `connect()` first.")
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._read_loop, name=f"{self}_reader", daemon=True)
            self._thread.start()
        if not self._new_frame.wait(timeout_ms / 1000):
            raise TimeoutError(
                f"{self}: no new frame within {timeout_ms} ms (reader alive: {self._thread.is_alive()}, "
                f"last error: {self._error!r})."
            )
        with self._lock:
            frame = self._latest
            self._new_frame.clear()
        return frame

    def _stop_reader(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=2)
            self._thread = None

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
