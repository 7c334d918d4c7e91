"""Teleoperator factory: config `type` -> class through the registry (no per-type branches)."""

from __future__ import annotations

from lerobot.teleoperators.config import TeleoperatorConfig
from lerobot.teleoperators.teleoperator import Teleoperator


def make_teleoperator_from_config(config: TeleoperatorConfig) -> Teleoperator:
    import lerobot.teleoperators  # noqa: F401  (imports every teleoperator, filling the registry)

    cls = Teleoperator.registry.get(config.type)
    if cls is None:
        raise ValueError(
            f"Unknown teleoperator type '{config.type}'; known: {sorted(Teleoperator.registry)}."
        )
    return cls(config)
