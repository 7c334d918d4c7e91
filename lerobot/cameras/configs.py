"""Camera configs: a draccus choice registry keyed by `type`, looked up in lerobot/registry.py (`opencv`, `intelrealsense`)."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from enum import Enum
from typing import ClassVar

import draccus

from lerobot.registry import CAMERAS, RegisteredChoice, Registry


class ColorMode(str, Enum):
    RGB = "rgb"
    BGR = "bgr"


class Cv2Rotation(int, Enum):
    NO_ROTATION = 0
    ROTATE_90 = 90
    ROTATE_180 = 180
    ROTATE_270 = -90


@dataclass(kw_only=True)
class CameraConfig(RegisteredChoice, draccus.ChoiceRegistry, abc.ABC):
    """Common camera settings. Robots need `fps`, `width` and `height` set (they size the dataset)."""

    # Where `type` names are looked up (lerobot/registry.py).
    type_registry: ClassVar[Registry] = CAMERAS

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
