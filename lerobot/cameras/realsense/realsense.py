"""Intel RealSense camera through `pyrealsense2` (extra `realsense`): color, and depth when enabled.

Frames: color (H, W, 3) uint8 RGB (or BGR), depth (H, W) uint16. `async_read(timeout_ms)` is the
`Camera` base's background reader (the same as the OpenCV camera's), with a clear timeout error.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from lerobot.cameras.camera import Camera
from lerobot.cameras.configs import ColorMode, Cv2Rotation
from lerobot.cameras.realsense.config_realsense import RealSenseCameraConfig


def _import_rs() -> Any:
    try:
        import pyrealsense2 as rs
    except ImportError as e:
        raise ImportError(
            "RealSense cameras need the Intel SDK: pip install 'lerobot[realsense]' (pyrealsense2)."
        ) from e
    return rs


class RealSenseCamera(Camera):
    name = "intelrealsense"
    config_class = RealSenseCameraConfig

    def __init__(self, config: RealSenseCameraConfig):
        super().__init__(config)
        self.config: RealSenseCameraConfig = config
        self.pipeline: Any = None

    def __repr__(self) -> str:
        return f"RealSenseCamera({self.config.serial_number_or_name})"

    @property
    def is_connected(self) -> bool:
        return self.pipeline is not None

    def _serial(self, rs: Any) -> str:
        key = self.config.serial_number_or_name
        if key.isdigit():
            return key
        matches = [c for c in self.find_cameras() if c["name"] == key]
        if len(matches) != 1:
            raise ValueError(
                f"{self}: {len(matches)} RealSense cameras named '{key}'; use the serial number."
            )
        return matches[0]["id"]

    def connect(self, warmup: bool = True) -> None:
        if self.is_connected:
            raise RuntimeError(f"{self} is already connected.")
        rs = _import_rs()
        cfg = rs.config()
        cfg.enable_device(self._serial(rs))
        if self.fps:
            cfg.enable_stream(rs.stream.color, self.width, self.height, rs.format.rgb8, self.fps)
            if self.config.use_depth:
                cfg.enable_stream(rs.stream.depth, self.width, self.height, rs.format.z16, self.fps)
        else:
            cfg.enable_stream(rs.stream.color)
            if self.config.use_depth:
                cfg.enable_stream(rs.stream.depth)
        pipeline = rs.pipeline()
        try:
            profile = pipeline.start(cfg)
        except RuntimeError as e:
            raise ConnectionError(
                f"Failed to start {self}: {e}. Run `lerobot-find-cameras intelrealsense`."
            ) from e
        self.pipeline = pipeline
        stream = profile.get_stream(rs.stream.color).as_video_stream_profile()
        self.fps, self.width, self.height = stream.fps(), stream.width(), stream.height()
        if self.config.rotation in (Cv2Rotation.ROTATE_90, Cv2Rotation.ROTATE_270):
            self.width, self.height = self.height, self.width
        if warmup:
            deadline = time.monotonic() + self.config.warmup_s
            while time.monotonic() < deadline:
                self.read()

    def _frames(self, timeout_ms: int = 200) -> tuple[np.ndarray, np.ndarray | None]:
        if not self.is_connected:
            raise RuntimeError(f"{self} is not connected: call `connect()` first.")
        ok, frames = self.pipeline.try_wait_for_frames(timeout_ms=timeout_ms)
        if not ok:
            raise RuntimeError(f"{self}: no frame within {timeout_ms} ms.")
        color = np.asanyarray(frames.get_color_frame().get_data())
        if self.config.color_mode is ColorMode.BGR:
            color = color[..., ::-1]
        depth = np.asanyarray(frames.get_depth_frame().get_data()) if self.config.use_depth else None
        k = {Cv2Rotation.ROTATE_90: -1, Cv2Rotation.ROTATE_180: 2, Cv2Rotation.ROTATE_270: 1}.get(
            self.config.rotation
        )
        if k is not None:
            color = np.ascontiguousarray(np.rot90(color, k))
            depth = None if depth is None else np.ascontiguousarray(np.rot90(depth, k))
        return np.ascontiguousarray(color), depth

    def read(self) -> np.ndarray:
        return self._frames()[0]

    def read_depth(self) -> np.ndarray:
        if not self.config.use_depth:
            raise RuntimeError(f"{self}: depth is off; set use_depth=true in the camera config.")
        return self._frames()[1]

    def _read_loop(self) -> None:
        while not self._stop.is_set():
            try:
                color, _ = self._frames(500)
            except RuntimeError as e:
                self._error = e
                continue
            self._publish(color)

    def disconnect(self) -> None:
        self._stop_reader()
        if self.pipeline is not None:
            self.pipeline.stop()
            self.pipeline = None

    @staticmethod
    def find_cameras() -> list[dict[str, Any]]:
        try:
            rs = _import_rs()
        except ImportError:
            return []
        found = []
        for dev in rs.context().query_devices():
            found.append(
                {
                    "type": "intelrealsense",
                    "id": dev.get_info(rs.camera_info.serial_number),
                    "name": dev.get_info(rs.camera_info.name),
                }
            )
        return found
