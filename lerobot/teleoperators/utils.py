"""Teleoperator factory: config `type` -> class through the registry (lerobot/registry.py), no per-type
branches."""

from __future__ import annotations

from lerobot.registry import TELEOPERATORS
from lerobot.teleoperators.config import TeleoperatorConfig
from lerobot.teleoperators.teleoperator import Teleoperator


def make_teleoperator_from_config(config: TeleoperatorConfig) -> Teleoperator:
    """The teleoperator registered as `config.type`, built from `config` (not connected)."""
    cls = TELEOPERATORS.get_class(config.type)  # an unknown type: ValueError listing the known ones
    if not (isinstance(cls, type) and issubclass(cls, Teleoperator)):
        raise TypeError(
            f"The class registered as teleoperator '{config.type}' ({cls!r}) is not a Teleoperator subclass."
        )
    return cls(config)
