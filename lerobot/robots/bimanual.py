"""Helpers of two-arm devices: features of the `left`/`right` arms are prefixed `left_` / `right_`."""

from __future__ import annotations

from typing import Any

SIDES = ("left", "right")


def prefixed(side: str, features: dict[str, Any]) -> dict[str, Any]:
    return {f"{side}_{k}": v for k, v in features.items()}


def split_by_side(values: dict[str, Any], owner: object) -> dict[str, dict[str, Any]]:
    """{"left_waist.pos": x, "right_waist.pos": y} -> {"left": {"waist.pos": x}, "right": {"waist.pos": y}}."""
    out: dict[str, dict[str, Any]] = {side: {} for side in SIDES}
    for key, value in values.items():
        side, _, rest = key.partition("_")
        if side not in out or not rest:
            raise KeyError(f"{owner}: key '{key}' must start with 'left_' or 'right_'.")
        out[side][rest] = value
    return out
