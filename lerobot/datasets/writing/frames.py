"""What the writer checks and builds before anything reaches the format: feature dicts (`build_features`),
frame validation (`validate_frame`), temporary paths and atomic JSON writes. The v3.0 layout and the arrow
schemas are owned by `lerobot.datasets.formats.v30`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from lerobot.datasets.formats.common import CAMERA_DTYPES
from lerobot.datasets.formats.v30 import DATA_PATH, VIDEO_PATH
from lerobot.utils.constants import TASK

IMAGES_DIR = "images"
STAGING_DIR = ".staging"
TEMP_IMAGE_PATH = "images/{image_key}/episode-{episode_index:06d}/frame-{frame_index:06d}.png"

DEFAULT_FEATURES = {
    "timestamp": {"dtype": "float32", "shape": [1], "names": None},
    "frame_index": {"dtype": "int64", "shape": [1], "names": None},
    "episode_index": {"dtype": "int64", "shape": [1], "names": None},
    "index": {"dtype": "int64", "shape": [1], "names": None},
    "task_index": {"dtype": "int64", "shape": [1], "names": None},
}


def temp_image_path(root: Path, image_key: str, episode_index: int, frame_index: int) -> Path:
    return Path(root) / TEMP_IMAGE_PATH.format(
        image_key=image_key, episode_index=episode_index, frame_index=frame_index
    )


def write_json_file(data: dict, path: Path, fsync: bool = False, compact: bool = False) -> None:
    """Write JSON (indent 4, as the reference; `compact`: no whitespace, for the files every save rewrites)
    to `path` via a temp file + atomic rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".writing")
    with open(tmp, "w", encoding="utf-8") as f:
        if compact:
            json.dump(data, f, separators=(",", ":"), ensure_ascii=False)
        else:
            json.dump(data, f, indent=4, ensure_ascii=False)
        if fsync:
            f.flush()
            os.fsync(f.fileno())
    os.replace(tmp, path)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def build_features(features: dict[str, dict], use_videos: bool) -> dict[str, dict]:
    """Validate the user features and append the default ones (docs/dataset_format.md). With `use_videos=False`,
    `video` features are stored as `image` (PNG in the parquet)."""
    if not isinstance(features, dict) or not features:
        raise ValueError("features must be a non-empty dict {key: {'dtype', 'shape', 'names'}}.")
    out: dict[str, dict] = {}
    for key, ft in features.items():
        if key in DEFAULT_FEATURES:
            continue  # given back by the user (e.g. copied from another dataset's info.json)
        if "/" in key:
            raise ValueError(
                f"Feature name '{key}' must not contain '/' (stats columns use '/' as separator)."
            )
        if key == TASK:
            raise ValueError("'task' is not a feature: pass it in every frame, it is stored as task_index.")
        if not isinstance(ft, dict) or "dtype" not in ft or "shape" not in ft:
            raise ValueError(f"Feature '{key}' must be a dict with 'dtype' and 'shape', got {ft!r}.")
        dtype, shape = ft["dtype"], ft["shape"]
        if not isinstance(shape, (list, tuple)) or not all(isinstance(d, int) and d > 0 for d in shape):
            raise ValueError(f"Feature '{key}': shape must be a list of positive ints, got {shape!r}.")
        if dtype in CAMERA_DTYPES:
            if len(shape) != 3 or shape[2] not in (1, 3):
                raise ValueError(
                    f"Camera feature '{key}': shape must be [height, width, channels], got {list(shape)}."
                )
            dtype = dtype if use_videos else "image"
            names = ft.get("names") or ["height", "width", "channels"]
        elif dtype == "string":
            names = ft.get("names")
        else:
            try:
                np.dtype(dtype)
            except TypeError as e:
                raise ValueError(
                    f"Feature '{key}': unknown dtype {dtype!r} (use a numpy dtype such as 'float32', "
                    "'int64', 'bool', or 'image'/'video'/'string')."
                ) from e
            names = ft.get("names")
        entry = {"dtype": dtype, "shape": list(shape), "names": names}
        if dtype == "video" and "info" in ft and ft["info"]:
            entry["info"] = dict(ft["info"])
        out[key] = entry
    out.update({k: dict(v) for k, v in DEFAULT_FEATURES.items()})
    return out


def _check_camera(key: str, value, shape: list[int]) -> object:
    import PIL.Image

    h, w, c = shape
    if isinstance(value, PIL.Image.Image):
        got = (value.height, value.width)
        if got != (h, w):
            raise ValueError(
                f"Frame key '{key}': expected an image of height x width {h}x{w}, got a PIL image {got[0]}x{got[1]}."
            )
        return value
    array = _to_numpy(value)
    if array.shape not in ((h, w, c), (c, h, w)):
        raise ValueError(
            f"Frame key '{key}': expected image shape (H, W, C)={(h, w, c)} or (C, H, W)={(c, h, w)}, got {array.shape}."
        )
    if array.dtype == np.uint8:
        return array
    if np.issubdtype(array.dtype, np.floating):
        if not np.all(np.isfinite(array)) or array.min() < 0.0 or array.max() > 1.0:
            raise ValueError(
                f"Frame key '{key}': float images must hold values in [0, 1], got [{array.min()}, {array.max()}]."
            )
        return array
    raise ValueError(
        f"Frame key '{key}': images must be uint8 (0-255), float (0-1) or PIL, got dtype {array.dtype}."
    )


def _to_numpy(value) -> np.ndarray:
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # torch tensor, without importing torch
        return value.detach().cpu().numpy()
    return np.asarray(value)


def validate_frame(frame: dict, features: dict[str, dict], allow_nan: bool = False) -> dict:
    """Check a frame against the features; return a clean dict (numpy values, the task string).

    Raises ValueError naming the key, what was expected and what was given. Does not mutate `frame`."""
    if not isinstance(frame, dict):
        raise ValueError(f"A frame must be a dict of feature key -> value, got {type(frame).__name__}.")
    user_keys = [k for k in features if k not in DEFAULT_FEATURES]
    given = set(frame)
    if "timestamp" in given:
        raise ValueError("Frame key 'timestamp' is not accepted: it is computed as frame_index / fps.")
    missing = [k for k in [*user_keys, TASK] if k not in given]
    extra = sorted(given - set(user_keys) - {TASK})
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing keys {missing}")
        if extra:
            parts.append(f"unexpected keys {extra}")
        raise ValueError(
            f"Frame does not match the dataset features: {', '.join(parts)}. Expected {user_keys} + ['task']."
        )
    task = frame[TASK]
    if not isinstance(task, str) or not task:
        raise ValueError(f"Frame key 'task' must be a non-empty string, got {task!r}.")
    clean: dict = {TASK: task}
    for key in user_keys:
        ft = features[key]
        dtype, shape, value = ft["dtype"], ft["shape"], frame[key]
        if dtype in CAMERA_DTYPES:
            clean[key] = _check_camera(key, value, shape)
            continue
        if dtype == "string":
            if not isinstance(value, str):
                raise ValueError(f"Frame key '{key}': expected a str, got {type(value).__name__}.")
            clean[key] = value
            continue
        expected = np.dtype(dtype)
        if isinstance(value, (bool, int, float)) and not isinstance(value, np.generic):
            kind_ok = (
                (expected == np.bool_ and isinstance(value, bool))
                or (
                    np.issubdtype(expected, np.integer)
                    and isinstance(value, int)
                    and not isinstance(value, bool)
                )
                or (
                    np.issubdtype(expected, np.floating)
                    and isinstance(value, (int, float))
                    and not isinstance(value, bool)
                )
            )
            if not kind_ok:
                raise ValueError(
                    f"Frame key '{key}': expected dtype {dtype}, got a Python {type(value).__name__} ({value!r})."
                )
            array = np.array([value], dtype=expected)
        else:
            array = _to_numpy(value)
            if array.dtype != expected:
                raise ValueError(f"Frame key '{key}': expected dtype {dtype}, got {array.dtype}.")
        if tuple(array.shape) != tuple(shape) and not (tuple(shape) == (1,) and array.shape == ()):
            raise ValueError(f"Frame key '{key}': expected shape {tuple(shape)}, got {tuple(array.shape)}.")
        array = array.reshape(shape)
        if not allow_nan and np.issubdtype(expected, np.floating) and not np.all(np.isfinite(array)):
            raise ValueError(
                f"Frame key '{key}' holds NaN or inf ({array.tolist()}); refused because it would poison the "
                "stats and training (create the dataset with allow_nan=True to store such values)."
            )
        clean[key] = array.copy()
    return clean


def new_info(
    codebase_version: str,
    fps: int,
    features: dict[str, dict],
    robot_type: str | None,
    chunks_size: int,
    data_files_size_in_mb: float,
    video_files_size_in_mb: float,
) -> dict:
    """meta/info.json of a new, empty v3.0 dataset (the reference's keys, in its order), arguments checked."""
    if not isinstance(fps, int) or isinstance(fps, bool) or fps <= 0:
        raise ValueError(f"fps must be a positive int, got {fps!r}.")
    if not isinstance(chunks_size, int) or chunks_size < 1:
        raise ValueError(f"chunks_size must be an int >= 1, got {chunks_size!r}.")
    for name, value in (
        ("data_files_size_in_mb", data_files_size_in_mb),
        ("video_files_size_in_mb", video_files_size_in_mb),
    ):
        if not isinstance(value, (int, float)) or value <= 0:
            raise ValueError(f"{name} must be a positive number of MB, got {value!r}.")
    has_video = any(ft["dtype"] == "video" for ft in features.values())
    return {
        "codebase_version": codebase_version,
        "robot_type": robot_type,
        "total_episodes": 0,
        "total_frames": 0,
        "total_tasks": 0,
        "chunks_size": chunks_size,
        "data_files_size_in_mb": data_files_size_in_mb,
        "video_files_size_in_mb": video_files_size_in_mb,
        "fps": fps,
        "splits": {},
        "data_path": DATA_PATH,
        "video_path": VIDEO_PATH if has_video else None,
        "features": features,
    }
