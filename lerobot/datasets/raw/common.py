"""What every raw-format reader shares: the source description, the error type and array checks.

A reader turns a raw folder into a `RawSource`:

    features   the LeRobot features of the converted dataset; camera features have dtype "video"
               (the registry switches them to "image" with --video 0), shape (H, W, C)
    episodes   a callable yielding, per episode, {feature key: array (T, ...)} in the features' order
               and dtypes (cameras as (T, H, W, C) uint8); read lazily, one episode at a time
    tasks      the task string of each episode (one per episode yielded)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np


class RawFormatError(ValueError):
    """A raw dataset that does not have the layout of its format: names the file and the array."""


@dataclass
class RawSource:
    features: dict[str, dict]
    episodes: Callable[[], Iterator[tuple[dict[str, np.ndarray], str]]]  # yields (frames, task)
    num_episodes: int
    robot_type: str | None = None


def camera_feature(shape_hwc) -> dict:
    return {"dtype": "video", "shape": [int(s) for s in shape_hwc], "names": ["height", "width", "channels"]}


def vector_feature(names: list[str], dtype: str = "float32") -> dict:
    return {"dtype": dtype, "shape": [len(names)], "names": list(names)}


def get_array(container, key: str, file: Path, expected: str):
    """`container[key]` (a zarr/h5py group or a dict), or a RawFormatError naming the file and the key."""
    try:
        return container[key]
    except (KeyError, TypeError):
        raise RawFormatError(
            f"{file}: array '{key}' is missing (expected {expected}). Is this the right --raw-format?"
        ) from None


def check_shape(array, key: str, file: Path, ndim: int | None = None, tail: tuple | None = None) -> None:
    """Raise a RawFormatError naming the file and array when `array` has the wrong rank or trailing dims."""
    shape = tuple(array.shape)
    if ndim is not None and len(shape) != ndim:
        raise RawFormatError(f"{file}: array '{key}' has shape {shape}, expected {ndim} dimensions.")
    if tail is not None and shape[len(shape) - len(tail) :] != tuple(tail):
        want = ", ".join(["N", *map(str, tail)])
        raise RawFormatError(f"{file}: array '{key}' has shape {shape}, expected ({want}).")


def check_length(arrays: dict[str, object], n: int, file: Path, what: str) -> None:
    """Every array must hold `n` rows (the length of `what`)."""
    for key, array in arrays.items():
        rows = array.shape[0]
        if rows != n:
            raise RawFormatError(
                f"{file}: array '{key}' has {rows} rows but {what} has {n}: every per-frame array "
                "must have one row per frame."
            )


def episode_bounds(ends, n_frames: int, file: Path, key: str) -> list[tuple[int, int]]:
    """[from, to) of each episode from cumulative `episode_ends` (a ReplayBuffer's meta/episode_ends)."""
    ends = np.asarray(ends).astype(np.int64).reshape(-1)
    if len(ends) == 0:
        raise RawFormatError(f"{file}: array '{key}' is empty: the dataset holds no episode.")
    starts = np.concatenate([[0], ends[:-1]])
    if np.any(ends <= starts):
        raise RawFormatError(f"{file}: array '{key}' must be strictly increasing episode ends, got {ends}.")
    if ends[-1] != n_frames:
        raise RawFormatError(
            f"{file}: array '{key}' ends at frame {int(ends[-1])} but the data arrays hold {n_frames} frames."
        )
    return [(int(a), int(b)) for a, b in zip(starts, ends)]


def as_uint8_images(array: np.ndarray, key: str, file: Path) -> np.ndarray:
    if array.dtype != np.uint8:
        raise RawFormatError(f"{file}: array '{key}' has dtype {array.dtype}, expected uint8 images.")
    return array
