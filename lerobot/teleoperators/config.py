"""Teleoperator configs: a draccus choice registry keyed by `type`, looked up in lerobot/registry.py (`--teleop.type=so100_leader`)."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import draccus

from lerobot.registry import TELEOPERATORS, RegisteredChoice, Registry


@dataclass(kw_only=True)
class TeleoperatorConfig(RegisteredChoice, draccus.ChoiceRegistry, abc.ABC):
    # Where `type` names are looked up (lerobot/registry.py).
    type_registry: ClassVar[Registry] = TELEOPERATORS

    # Name of this physical unit: it names the calibration file `<calibration_dir>/<id>.json`.
    id: str | None = None
    # Folder of calibration files; default `$HF_LEROBOT_CALIBRATION/teleoperators/<type>`.
    calibration_dir: Path | None = None

    @property
    def type(self) -> str:
        return self.get_choice_name(self.__class__)
