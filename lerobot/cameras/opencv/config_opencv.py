"""Config of OpenCV cameras (`type: opencv`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lerobot.cameras.configs import CameraConfig, ColorMode, Cv2Rotation


@CameraConfig.register_subclass("opencv")
@dataclass(kw_only=True)
class OpenCVCameraConfig(CameraConfig):
    """A camera read through `cv2.VideoCapture`.

    `index_or_path`: device index (0), device path (`/dev/video0`) or a video file; a file is played as a
    live camera at `fps`, looping at its end (used by tests and benchmarks).
    `width`/`height` are the capture size; with a 90/-90 rotation the frames come out as height x width.
    """

    # Camera index (0, 1, ...), device path (/dev/video0) or a video file to play.
    index_or_path: int | Path
    # Channel order of the returned frames: rgb or bgr.
    color_mode: ColorMode = ColorMode.RGB
    # Rotate frames by 0, 90, 180 or -90 degrees.
    rotation: Cv2Rotation = Cv2Rotation.NO_ROTATION
    # Seconds of frames read and dropped after connecting (exposure settles).
    warmup_s: float = 1.0
    # Four-character pixel format asked of the device, e.g. MJPG (None: its default).
    fourcc: str | None = None
    backend: int = 0  # cv2.CAP_ANY

    def __post_init__(self):
        super().__post_init__()
        self.color_mode = ColorMode(self.color_mode)
        self.rotation = Cv2Rotation(self.rotation)
        if isinstance(self.index_or_path, str):
            self.index_or_path = (
                int(self.index_or_path) if self.index_or_path.isdigit() else Path(self.index_or_path)
            )
        if self.fourcc is not None and len(self.fourcc) != 4:
            raise ValueError(f"fourcc must be 4 characters (e.g. 'MJPG'), got {self.fourcc!r}.")
        if self.warmup_s < 0:
            raise ValueError(f"warmup_s must be >= 0, got {self.warmup_s}.")
