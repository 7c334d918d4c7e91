"""v3.0 on-disk format details used by the writer: path templates, feature dicts, frame validation, and
the arrow schemas of the data and episodes parquet files (matching the reference's, fixtures README
pitfalls 4 and 5: HF `datasets` schema metadata under the `huggingface` key, `List` with `length`)."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import numpy as np
import pyarrow as pa

DATA_PATH = "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
VIDEO_PATH = "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4"
EPISODES_PATH = "meta/episodes/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
INFO_PATH = "meta/info.json"
STATS_PATH = "meta/stats.json"
TASKS_PATH = "meta/tasks.parquet"
IMAGES_DIR = "images"
STAGING_DIR = ".staging"
TEMP_IMAGE_PATH = "images/{image_key}/episode-{episode_index:06d}/frame-{frame_index:06d}.png"

DEFAULT_CHUNK_SIZE = 1000
DEFAULT_DATA_FILE_SIZE_IN_MB = 100
# 0.4.4 (the version that wrote the v3.0 fixtures) writes 200; v0.4.0 wrote 500 (spec §1.3).
DEFAULT_VIDEO_FILE_SIZE_IN_MB = 200

DEFAULT_FEATURES = {
    "timestamp": {"dtype": "float32", "shape": [1], "names": None},
    "frame_index": {"dtype": "int64", "shape": [1], "names": None},
    "episode_index": {"dtype": "int64", "shape": [1], "names": None},
    "index": {"dtype": "int64", "shape": [1], "names": None},
    "task_index": {"dtype": "int64", "shape": [1], "names": None},
}
CAMERA_DTYPES = ("image", "video")
STAT_NAMES = ("min", "max", "mean", "std", "count", "q01", "q10", "q50", "q90", "q99")


def temp_image_path(root: Path, image_key: str, episode_index: int, frame_index: int) -> Path:
    return Path(root) / TEMP_IMAGE_PATH.format(
        image_key=image_key, episode_index=episode_index, frame_index=frame_index
    )


def write_json_file(data: dict, path: Path, fsync: bool = False) -> None:
    """Write JSON (indent 4, as the reference) to `path` via a temp file + atomic rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".writing")
    with open(tmp, "w", encoding="utf-8") as f:
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
    """Validate the user features and append the default ones (spec §1.1). With `use_videos=False`,
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
        if key == "task":
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
    missing = [k for k in [*user_keys, "task"] if k not in given]
    extra = sorted(given - set(user_keys) - {"task"})
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing keys {missing}")
        if extra:
            parts.append(f"unexpected keys {extra}")
        raise ValueError(
            f"Frame does not match the dataset features: {', '.join(parts)}. Expected {user_keys} + ['task']."
        )
    task = frame["task"]
    if not isinstance(task, str) or not task:
        raise ValueError(f"Frame key 'task' must be a non-empty string, got {task!r}.")
    clean: dict = {"task": task}
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


# ---------------------------------------------------------------- arrow schemas
def _arrow_type(dtype: str, shape: list[int]) -> pa.DataType:
    if dtype == "image":
        return pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    base = pa.string() if dtype == "string" else pa.from_numpy_dtype(np.dtype(dtype))
    if list(shape) == [1] or dtype == "string":
        return base
    t = base
    for dim in reversed(shape):
        t = pa.list_(pa.field("element", t), dim)
    return t


def _hf_feature(dtype: str, shape: list[int], list_type: str = "List") -> dict:
    if dtype == "image":
        return {"_type": "Image"}
    value = {"dtype": "string" if dtype == "string" else dtype, "_type": "Value"}
    if list(shape) == [1] or dtype == "string":
        return value
    out = value
    for dim in reversed(shape):
        out = {"feature": out, "length": dim, "_type": list_type}
    return out


def data_schema(features: dict[str, dict], codebase_version: str = "v3.0") -> pa.Schema:
    """Arrow schema of the data parquet: every non-video feature, with the HF `datasets` metadata.

    v3.0 files carry `datasets` 4.x metadata (`List` + a `fingerprint`); v2.1 files the 3.x style
    (`Sequence`, no fingerprint) that the v2.1-era reference can read."""
    v21 = codebase_version.startswith("v2")
    fields, hf = [], {}
    for key, ft in features.items():
        if ft["dtype"] == "video":
            continue
        fields.append(pa.field(key, _arrow_type(ft["dtype"], ft["shape"])))
        hf[key] = _hf_feature(ft["dtype"], ft["shape"], "Sequence" if v21 else "List")
    meta = (
        {"info": {"features": hf}} if v21 else {"info": {"features": hf}, "fingerprint": secrets.token_hex(8)}
    )
    return pa.schema(fields, metadata={"huggingface": json.dumps(meta)})


def data_table(
    columns: dict,
    image_paths: dict[str, list[Path]],
    features: dict[str, dict],
    schema: pa.Schema | None = None,
) -> pa.Table:
    """One episode's rows as an arrow table. Image features embed the PNG bytes (path `frame-XXXXXX.png`).
    `schema`: `data_schema(features)` computed once by the caller (one fingerprint for all its files)."""
    schema = schema if schema is not None else data_schema(features)
    arrays = []
    for field in schema:
        key = field.name
        if features[key]["dtype"] == "image":
            paths = image_paths[key]
            arrays.append(
                pa.StructArray.from_arrays(
                    [
                        pa.array([Path(p).read_bytes() for p in paths], pa.binary()),
                        pa.array([Path(p).name for p in paths], pa.string()),
                    ],
                    names=["bytes", "path"],
                )
            )
            continue
        values = columns[key]
        if features[key]["dtype"] == "string":
            arrays.append(pa.array(list(values), pa.string()))
        elif list(features[key]["shape"]) == [1]:
            arrays.append(pa.array(np.asarray(values).reshape(-1), field.type))
        else:
            flat = pa.array(np.ascontiguousarray(values).reshape(-1))
            for dim in reversed(features[key]["shape"]):
                flat = pa.FixedSizeListArray.from_arrays(flat, dim)
            arrays.append(flat.cast(field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def _stat_type(dtype: str, stat: str, ndim: int) -> pa.DataType:
    if stat == "count":
        return pa.list_(pa.field("element", pa.int64()))
    if stat in ("min", "max") and dtype not in CAMERA_DTYPES:
        base = pa.from_numpy_dtype(np.dtype(dtype))
        base = base if (base == pa.bool_() or pa.types.is_integer(base)) else pa.float64()
    else:
        base = pa.float64()
    t = base
    for _ in range(ndim):
        t = pa.list_(pa.field("element", t))
    return t


def episodes_schema(features: dict[str, dict], stat_names: tuple[str, ...] = STAT_NAMES) -> pa.Schema:
    """Columns of meta/episodes/*.parquet in the reference's order (spec §1.3)."""
    fields = [
        pa.field("episode_index", pa.int64()),
        pa.field("tasks", pa.list_(pa.field("element", pa.string()))),
        pa.field("length", pa.int64()),
        pa.field("data/chunk_index", pa.int64()),
        pa.field("data/file_index", pa.int64()),
        pa.field("dataset_from_index", pa.int64()),
        pa.field("dataset_to_index", pa.int64()),
    ]
    for key, ft in features.items():
        if ft["dtype"] == "video":
            fields += [
                pa.field(f"videos/{key}/chunk_index", pa.int64()),
                pa.field(f"videos/{key}/file_index", pa.int64()),
                pa.field(f"videos/{key}/from_timestamp", pa.float64()),
                pa.field(f"videos/{key}/to_timestamp", pa.float64()),
            ]
    for key, ft in features.items():
        if ft["dtype"] == "string":
            continue
        ndim = 3 if ft["dtype"] in CAMERA_DTYPES else len(ft["shape"])
        fields += [pa.field(f"stats/{key}/{s}", _stat_type(ft["dtype"], s, ndim)) for s in stat_names]
    fields += [
        pa.field("meta/episodes/chunk_index", pa.int64()),
        pa.field("meta/episodes/file_index", pa.int64()),
    ]
    return pa.schema(fields)


def episodes_table(
    rows: list[dict], features: dict[str, dict], stat_names: tuple[str, ...] = STAT_NAMES
) -> pa.Table:
    schema = episodes_schema(features, stat_names)
    return pa.Table.from_pylist(rows, schema=schema)
