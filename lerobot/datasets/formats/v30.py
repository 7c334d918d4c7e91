"""Codebase v3.0 (docs/dataset_format.md): many episodes per parquet / mp4 file. This module owns the
layout (path templates, size defaults), the arrow schemas of the data and episodes parquet files (matching
the reference's: HF `datasets` schema metadata under the `huggingface` key, `List` with `length`), and the
reading of info / tasks / episodes / stats.

meta/info.json, meta/tasks.parquet (pandas-indexed by task string), meta/episodes/chunk-*/file-*.parquet
(one row per episode, with `stats/<feature>/<stat>` columns), meta/stats.json (global stats).
"""

import json
import secrets
from pathlib import Path

import numpy as np
import pyarrow as pa

from lerobot.datasets.compute_stats import cast_stats_to_numpy
from lerobot.datasets.formats.common import (
    CAMERA_DTYPES,
    DatasetFormatError,
    LoadedMeta,
    check_column_dtype,
    check_relative_template,
    column_to_numpy,
    concat_columns,
    load_json_dict,
    read_parquet,
    take_rows,
)
from lerobot.utils.constants import TASK

# Layout (the one definition: the reader, the writer and the converters use these).
DATA_PATH = "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
VIDEO_PATH = "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4"
EPISODES_PATH = "meta/episodes/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
EPISODES_DIR = "meta/episodes"
STATS_PATH = "meta/stats.json"
TASKS_PATH = "meta/tasks.parquet"
DEFAULT_CHUNK_SIZE = 1000
DEFAULT_DATA_FILE_SIZE_IN_MB = 100
# 0.4.4 (the version that wrote the v3.0 fixtures) writes 200; v0.4.0 wrote 500.
DEFAULT_VIDEO_FILE_SIZE_IN_MB = 200
STAT_NAMES = ("min", "max", "mean", "std", "count", "q01", "q10", "q50", "q90", "q99")
EPISODE_COLUMNS = ("episode_index", "tasks", "length", "dataset_from_index", "dataset_to_index")

# Where episodes and their stats are read from (named in error messages).
EPISODES_SOURCE = EPISODE_STATS_SOURCE = EPISODES_DIR


def required_meta_files(info: dict) -> list[str]:
    return [TASKS_PATH, EPISODES_DIR]


def load_tasks(root: Path) -> list[str]:
    """Task strings by task_index from meta/tasks.parquet (either pandas-index column name)."""
    path = root / TASKS_PATH
    table = read_parquet(path)
    if "task_index" not in table.column_names:
        raise DatasetFormatError(f"{path}: missing column 'task_index'; present: {table.column_names}.")
    # v0.4.0 stores the task string as the unnamed pandas index (`__index_level_0__`); newer as `task`.
    name = next((c for c in (TASK, "__index_level_0__") if c in table.column_names), None)
    if name is None:
        raise DatasetFormatError(
            f"{path}: no task-string column ('task' or the pandas index '__index_level_0__'); "
            f"present: {table.column_names}."
        )
    indices = table.column("task_index").to_pylist()
    strings = table.column(name).to_pylist()
    by_index = dict(zip(indices, strings, strict=True))
    if sorted(by_index) != list(range(len(indices))):
        raise DatasetFormatError(f"{path}: task_index values must be 0..{len(indices) - 1}, got {indices}.")
    return [str(by_index[i]) for i in range(len(indices))]


def episode_files(root: Path) -> list[Path]:
    """The episodes-table parquet files of a dataset, in path order (FileNotFoundError without the folder)."""
    ep_dir = root / EPISODES_DIR
    if not ep_dir.is_dir():
        raise FileNotFoundError(f"Dataset folder not found: {ep_dir} (the v3.0 episodes table).")
    return sorted(ep_dir.glob("chunk-*/file-*.parquet"))


def load_meta(root: Path, info: dict, info_path: Path) -> LoadedMeta:
    check_relative_template(info["data_path"], "data_path", info_path, {"chunk_index": 0, "file_index": 0})
    if info.get("video_path"):
        for key in [k for k, ft in info["features"].items() if ft["dtype"] == "video"] or ["k"]:
            check_relative_template(
                info["video_path"],
                "video_path",
                info_path,
                {"chunk_index": 0, "file_index": 0, "video_key": key},
            )
    if info["total_episodes"] == 0 and not (root / TASKS_PATH).exists():
        return LoadedMeta([], [], np.zeros(0, np.int64), np.zeros(0, np.int64), {}, None)  # created, empty
    tasks = load_tasks(root)
    files = episode_files(root)
    if not files and info["total_episodes"] > 0:
        raise FileNotFoundError(
            f"No episode files under {root / EPISODES_DIR} (expected chunk-XXX/file-XXX.parquet) although "
            f"{info_path} lists {info['total_episodes']} episodes."
        )
    tables = [read_parquet(f) for f in files]
    for f, t in zip(files, tables, strict=True):
        missing = [c for c in EPISODE_COLUMNS if c not in t.column_names]
        if missing:
            raise DatasetFormatError(f"{f}: episodes table lacks column(s) {missing}.")
    if not tables:
        return LoadedMeta(tasks, [], np.zeros(0, np.int64), np.zeros(0, np.int64), {}, None)
    try:
        table = pa.concat_tables(tables, promote_options="default")
    except pa.ArrowInvalid as e:
        raise DatasetFormatError(
            f"{root / EPISODES_DIR}: episode files have incompatible schemas ({e})."
        ) from e
    order = np.argsort(table.column("episode_index").to_numpy(), kind="stable")
    table = table.take(pa.array(order))

    stat_cols = [c for c in table.column_names if c.startswith("stats/")]
    plain_cols = [c for c in table.column_names if not c.startswith("stats/")]
    episodes = table.select(plain_cols).to_pylist()
    episode_ids = [int(r["episode_index"]) for r in episodes]

    episodes_stats: dict[int, dict[str, dict[str, np.ndarray]]] = {ep: {} for ep in episode_ids}
    for col in stat_cols:
        feature, _, stat = col[len("stats/") :].rpartition("/")
        if table.column(col).null_count:
            # Missing in some files (e.g. quantiles added later): only the episodes that have it carry it.
            for ep, value in zip(episode_ids, table.column(col).to_pylist(), strict=True):
                if value is not None:
                    episodes_stats[ep].setdefault(feature, {})[stat] = np.asarray(value)
            continue
        values = column_to_numpy(table, col, root / EPISODES_DIR)
        if values.dtype.kind == "f" and not np.isfinite(values).all():
            bad = int(np.flatnonzero(~np.isfinite(values.reshape(len(values), -1)).all(axis=1))[0])
            raise DatasetFormatError(
                f"{root / EPISODES_DIR}: column '{col}' of episode {episode_ids[bad]}: stats of feature "
                f"'{feature}', stat '{stat}' hold NaN or inf; recompute the stats (e.g. re-convert the dataset)."
            )
        for pos, ep in enumerate(episode_ids):
            episodes_stats[ep].setdefault(feature, {})[stat] = values[pos]

    stats_path = root / STATS_PATH
    stats = cast_stats_to_numpy(load_json_dict(stats_path)) if stats_path.is_file() else None
    return LoadedMeta(
        tasks=tasks,
        episodes=episodes,
        from_index=np.array([r["dataset_from_index"] for r in episodes], dtype=np.int64),
        to_index=np.array([r["dataset_to_index"] for r in episodes], dtype=np.int64),
        episodes_stats=episodes_stats,
        stats=stats,
    )


def data_file(info: dict, episode_row: dict) -> str:
    return info["data_path"].format(
        chunk_index=int(episode_row["data/chunk_index"]), file_index=int(episode_row["data/file_index"])
    )


def video_file(info: dict, episode_row: dict, video_key: str) -> tuple[str, float]:
    """(relative mp4 path, from_timestamp of the episode inside that mp4)."""
    prefix = f"videos/{video_key}/"
    try:
        chunk = int(episode_row[prefix + "chunk_index"])
        file = int(episode_row[prefix + "file_index"])
        from_ts = float(episode_row[prefix + "from_timestamp"])
    except (KeyError, TypeError) as e:
        raise DatasetFormatError(
            f"meta/episodes: episode {episode_row.get('episode_index')} lacks a valid '{prefix}*' column ({e!r})."
        ) from e
    return info["video_path"].format(video_key=video_key, chunk_index=chunk, file_index=file), from_ts


def load_frames(
    root: Path, info: dict, episode_rows: list[dict], columns: list[str]
) -> dict[str, np.ndarray]:
    """Rows of the selected episodes, read file by file (each data file once), sorted by global index."""
    wanted = {int(r["episode_index"]): r for r in episode_rows}
    files: dict[str, list[int]] = {}
    for ep, row in wanted.items():
        files.setdefault(data_file(info, row), []).append(ep)
    parts: dict[str, list[np.ndarray]] = {c: [] for c in columns}
    index_parts = []
    for rel, eps in sorted(files.items()):
        path = root / rel
        table = read_parquet(path)
        missing = [c for c in {*columns, "episode_index", "index"} if c not in table.column_names]
        if missing:
            raise DatasetFormatError(
                f"{path}: missing column(s) {sorted(missing)} declared in meta/info.json features; "
                f"present: {table.column_names}."
            )
        ep_col = column_to_numpy(table, "episode_index", path)
        mask = np.isin(ep_col, np.array(eps, dtype=ep_col.dtype))
        counts = (
            np.bincount(ep_col[mask] - min(eps), minlength=max(eps) - min(eps) + 1) if mask.any() else None
        )
        for ep in eps:
            n = 0 if counts is None else int(counts[ep - min(eps)])
            if n != wanted[ep]["length"]:
                raise DatasetFormatError(
                    f"{path}: {n} rows of episode {ep} but meta/episodes says length {wanted[ep]['length']}."
                )
        rows = np.flatnonzero(mask)
        sub = table.take(pa.array(rows)) if len(rows) != table.num_rows else table
        index_parts.append(column_to_numpy(sub, "index", path))
        for c in columns:
            parts[c].append(column_to_numpy(sub, c, path))
            check_column_dtype(parts[c][-1], c, info["features"][c], path)
    out = {c: concat_columns(v) for c, v in parts.items()}
    if index_parts:
        index = np.concatenate(index_parts)
        if np.any(np.diff(index) < 0):
            order = np.argsort(index, kind="stable")
            out = {c: take_rows(v, order) for c, v in out.items()}
    return out


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
    """Columns of meta/episodes/*.parquet in the reference's order (docs/dataset_format.md)."""
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
