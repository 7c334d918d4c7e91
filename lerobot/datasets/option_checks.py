"""Checks of the options a user passes to `LeRobotDataset(...)`, before anything is loaded; each error
names the option (and the key) at fault. Self-contained: the dataset constructor calls them in one line.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np


def check_delta_timestamp_values(delta_timestamps: Any) -> None:
    """Every `delta_timestamps[key]` must be a non-empty list of finite numbers of seconds (NaN, inf,
    strings and booleans are refused, naming the key and the values)."""
    if delta_timestamps is None:
        return
    if not isinstance(delta_timestamps, dict):
        raise ValueError(
            f"delta_timestamps must be a dict of feature key -> list of seconds, got {delta_timestamps!r}."
        )
    for key, values in delta_timestamps.items():
        if isinstance(values, (str, bytes)) or not hasattr(values, "__len__") or len(values) == 0:
            raise ValueError(
                f"delta_timestamps['{key}'] must be a non-empty list of seconds, got {values!r}."
            )
        bad = [
            v
            for v in values
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real) or not math.isfinite(v)
        ]
        if bad:
            raise ValueError(
                f"delta_timestamps['{key}'] must hold finite numbers of seconds (e.g. [-0.1, 0.0]); {bad!r} "
                "are not."
            )


def check_episode_selection(episodes: Any) -> list[int] | None:
    """`episodes` as a list of non-negative ints (None: every episode). Non-integers (`1.7`, `"2"`, `True`)
    are refused, not rounded; integral floats and numpy integers are accepted. Whether the indices exist
    is checked once the metadata is loaded."""
    if episodes is None:
        return None
    if isinstance(episodes, (int, str, bytes)) or not hasattr(episodes, "__iter__"):
        raise TypeError(f"episodes must be a list of episode indices or None, got {episodes!r}.")
    out = []
    for e in episodes:
        if isinstance(e, (bool, np.bool_)) or not isinstance(e, numbers.Real) or not float(e).is_integer():
            raise ValueError(
                f"episodes must hold integer episode indices, got {e!r} in {list(episodes)!r}; e.g. [0, 2, 5]."
            )
        if e < 0:
            raise ValueError(f"episodes must hold indices >= 0, got {e!r} in {list(episodes)!r}.")
        out.append(int(e))
    return out
