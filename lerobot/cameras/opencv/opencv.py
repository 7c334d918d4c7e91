"""OpenCV camera: a device index, a device path or a video file, with a background reader thread.

`read()` captures synchronously. `async_read(timeout_ms)` starts (once) a thread that keeps the latest
frame and returns a frame newer than the previous call, or raises `TimeoutError` naming the camera, the
timeout and the reader's last error. A video file is paced at `fps` by the thread and loops at its end.
Frames: (H, W, 3) uint8, RGB unless `color_mode=bgr`.
"""

from __future__ import annotations

import platform
import time
from pathlib import Path
from typing import Any

import numpy as np

from lerobot.cameras.camera import Camera
from lerobot.cameras.configs import ColorMode, Cv2Rotation
from lerobot.cameras.opencv.config_opencv import OpenCVCameraConfig


def _import_cv2() -> Any:
    try:
        import cv2
    except ImportError as e:
        raise ImportError(
            "OpenCV cameras need opencv: pip install 'lerobot[opencv]' (opencv-python-headless)."
        ) from e
    return cv2


class OpenCVCamera(Camera):
    name = "opencv"
    config_class = OpenCVCameraConfig

    def __init__(self, config: OpenCVCameraConfig):
        super().__init__(config)
        self.config: OpenCVCameraConfig = config
        self.index_or_path = config.index_or_path
        self.is_file = isinstance(self.index_or_path, Path) and self.index_or_path.is_file()
        self.capture_width, self.capture_height = config.width, config.height
        self.videocapture: Any = None
        self._set_output_size()

    def __repr__(self) -> str:
        return f"OpenCVCamera({self.index_or_path})"

    def _set_output_size(self) -> None:
        swap = self.config.rotation in (Cv2Rotation.ROTATE_90, Cv2Rotation.ROTATE_270)
        w, h = self.capture_width, self.capture_height
        self.width, self.height = (h, w) if swap else (w, h)

    @property
    def is_connected(self) -> bool:
        return self.videocapture is not None and self.videocapture.isOpened()

    def connect(self, warmup: bool = True) -> None:
        if self.is_connected:
            raise RuntimeError(f"{self} is already connected.")
        cv2 = _import_cv2()
        source = self.index_or_path if isinstance(self.index_or_path, int) else str(self.index_or_path)
        if isinstance(self.index_or_path, Path) and not self.index_or_path.exists():
            raise ConnectionError(f"{self}: no such device or video file '{self.index_or_path}'.")
        cap = cv2.VideoCapture(source, self.config.backend)
        if not cap.isOpened():
            cap.release()
            raise ConnectionError(
                f"Failed to open {self}. Run `lerobot-find-cameras opencv` to list the available cameras."
            )
        self.videocapture = cap
        try:
            self._configure(cv2)
            if warmup:
                deadline = time.monotonic() + (0 if self.is_file else self.config.warmup_s)
                self.read()
                while time.monotonic() < deadline:
                    self.read()
                if self.is_file:
                    self.videocapture.set(cv2.CAP_PROP_POS_FRAMES, 0)
        except BaseException:
            self.videocapture.release()
            self.videocapture = None
            raise

    def _configure(self, cv2: Any) -> None:
        cap = self.videocapture
        if not self.is_file:
            if self.config.fourcc:
                cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*self.config.fourcc))
            if self.capture_width:
                cap.set(cv2.CAP_PROP_FRAME_WIDTH, float(self.capture_width))
            if self.capture_height:
                cap.set(cv2.CAP_PROP_FRAME_HEIGHT, float(self.capture_height))
            if self.fps:
                cap.set(cv2.CAP_PROP_FPS, float(self.fps))
        actual = {
            "width": round(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
            "height": round(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            "fps": cap.get(cv2.CAP_PROP_FPS),
        }
        requested = {"width": self.capture_width, "height": self.capture_height}
        for key, want in requested.items():
            if want is not None and want != actual[key]:
                raise RuntimeError(
                    f"{self}: requested {key}={want} but the source delivers {actual[key]} "
                    f"({actual['width']}x{actual['height']} @ {actual['fps']:g} fps)."
                )
        if self.fps is not None and not self.is_file and abs(actual["fps"] - self.fps) > 1e-3:
            raise RuntimeError(f"{self}: requested fps={self.fps} but the device runs at {actual['fps']:g}.")
        self.capture_width, self.capture_height = actual["width"], actual["height"]
        if self.fps is None:
            self.fps = round(actual["fps"]) or 30
        self._set_output_size()

    def _grab(self) -> np.ndarray:
        if not self.is_connected:
            raise RuntimeError(f"{self} is not connected: call `connect()` first.")
        ok, frame = self.videocapture.read()
        if not ok and self.is_file:  # loop the file like an endless live stream
            self.videocapture.set(_import_cv2().CAP_PROP_POS_FRAMES, 0)
            ok, frame = self.videocapture.read()
        if not ok or frame is None:
            raise RuntimeError(f"{self}: failed to capture a frame.")
        return frame

    def _postprocess(self, frame: np.ndarray) -> np.ndarray:
        cv2 = _import_cv2()
        h, w = frame.shape[:2]
        if (w, h) != (self.capture_width, self.capture_height):
            raise RuntimeError(
                f"{self}: frame is {w}x{h}, expected {self.capture_width}x{self.capture_height}."
            )
        if self.config.color_mode is ColorMode.RGB:
            frame = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        rotations = {
            Cv2Rotation.ROTATE_90: cv2.ROTATE_90_CLOCKWISE,
            Cv2Rotation.ROTATE_180: cv2.ROTATE_180,
            Cv2Rotation.ROTATE_270: cv2.ROTATE_90_COUNTERCLOCKWISE,
        }
        if self.config.rotation in rotations:
            frame = cv2.rotate(frame, rotations[self.config.rotation])
        return frame

    def read(self) -> np.ndarray:
        return self._postprocess(self._grab())

    def _read_loop(self) -> None:
        period = 1.0 / self.fps if self.fps else 0.0
        next_tick = time.perf_counter()
        while not self._stop.is_set():
            try:
                frame = self.read()
            except RuntimeError as e:
                self._error = e
                time.sleep(0.01)
                continue
            self._publish(frame)
            if self.is_file and period:
                next_tick += period
                delay = next_tick - time.perf_counter()
                if delay > 0:
                    self._stop.wait(delay)
                else:
                    next_tick = time.perf_counter()

    def disconnect(self) -> None:
        self._stop_reader()
        if self.videocapture is not None:
            self.videocapture.release()
            self.videocapture = None

    @staticmethod
    def find_cameras(max_index: int = 10) -> list[dict[str, Any]]:
        """Cameras OpenCV can open: `/dev/video*` on Linux, indices 0..max_index elsewhere."""
        cv2 = _import_cv2()
        if platform.system() == "Linux":
            targets: list[int | str] = sorted(str(p) for p in Path("/dev").glob("video*"))
        else:
            targets = list(range(max_index))
        found = []
        for target in targets:
            cap = cv2.VideoCapture(target)
            if cap.isOpened():
                found.append(
                    {
                        "type": "opencv",
                        "id": target,
                        "name": f"OpenCV camera @ {target}",
                        "default_stream_profile": {
                            "width": round(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
                            "height": round(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
                            "fps": cap.get(cv2.CAP_PROP_FPS),
                        },
                    }
                )
            cap.release()
        return found
