"""Teleoperator configs: a draccus choice registry keyed by `type` (`--teleop.type=so100_leader`)."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from pathlib import Path

import draccus


@dataclass(kw_only=True)
class TeleoperatorConfig(draccus.ChoiceRegistry, abc.ABC):
    # Name of this physical unit: it names the calibration file `<calibration_dir>/<id>.json`.
    id: str | None = None
    # Folder of calibration files; default `$HF_LEROBOT_CALIBRATION/teleoperators/<type>`.
    calibration_dir: Path | None = None

    @property
    def type(self) -> str:
        return self.get_choice_name(self.__class__)
