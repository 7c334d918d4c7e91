"""Robot configs: a draccus choice registry keyed by `type`, looked up in lerobot/registry.py (`--robot.type=so100_follower`)."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import draccus

from lerobot.registry import ROBOTS, RegisteredChoice, Registry


@dataclass(kw_only=True)
class RobotConfig(RegisteredChoice, draccus.ChoiceRegistry, abc.ABC):
    # Where `type` names are looked up (lerobot/registry.py).
    type_registry: ClassVar[Registry] = ROBOTS

    # Name of this physical unit: it names the calibration file `<calibration_dir>/<id>.json`.
    id: str | None = None
    # Folder of calibration files; default `$HF_LEROBOT_CALIBRATION/robots/<type>`.
    calibration_dir: Path | None = None

    @property
    def type(self) -> str:
        return self.get_choice_name(self.__class__)

    def __post_init__(self):
        for name, cam in getattr(self, "cameras", {}).items():
            missing = [k for k in ("width", "height", "fps") if getattr(cam, k) is None]
            if missing:
                raise ValueError(
                    f"Camera '{name}' of robot '{self.type}' needs {missing} set: robots declare their "
                    "image shapes and rate up front (they size the recorded dataset)."
                )
