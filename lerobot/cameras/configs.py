"""Camera configs: a draccus choice registry keyed by `type` (`opencv`, `intelrealsense`)."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from enum import Enum

import draccus


class ColorMode(str, Enum):
    RGB = "rgb"
    BGR = "bgr"


class Cv2Rotation(int, Enum):
    NO_ROTATION = 0
    ROTATE_90 = 90
    ROTATE_180 = 180
    ROTATE_270 = -90


@dataclass(kw_only=True)
class CameraConfig(draccus.ChoiceRegistry, abc.ABC):
    """Common camera settings. Robots need `fps`, `width` and `height` set (they size the dataset)."""

    # Frames per second to capture (None: the device's default; robots need it set).
    fps: int | None = None
    # Frame width in pixels (None: the device's default; robots need it set).
    width: int | None = None
    # Frame height in pixels (None: the device's default; robots need it set).
    height: int | None = None

    @property
    def type(self) -> str:
        return self.get_choice_name(self.__class__)

    def __post_init__(self):
        for name in ("fps", "width", "height"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"{type(self).__name__}.{name} must be positive, got {value}.")
