"""Reader for codebase v2.0 / v2.1 datasets (docs/dataset_format.md): one parquet and one mp4 per episode.

meta/info.json, meta/episodes.jsonl, meta/tasks.jsonl and meta/episodes_stats.jsonl (v2.1) or the global
meta/stats.json (v2.0, used as the stats of every episode).
"""

import warnings
from pathlib import Path

import numpy as np

from lerobot.datasets.compute_stats import cast_stats_to_numpy
from lerobot.datasets.formats.common import (
    DatasetFormatError,
    LoadedMeta,
    check_column_dtype,
    check_relative_template,
    check_stats_finite,
    column_to_numpy,
    concat_columns,
    load_json_dict,
    load_jsonlines,
    read_parquet,
    require_keys,
)
from lerobot.utils.constants import TASK

# Path templates a v2.1 writer stores in info.json (the reader formats the ones info.json holds).
DATA_PATH = "data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet"
VIDEO_PATH = "videos/chunk-{episode_chunk:03d}/{video_key}/episode_{episode_index:06d}.mp4"
STAT_NAMES = ("min", "max", "mean", "std", "count")  # per-episode stats of v2.1 (no quantiles)
EPISODES_PATH = "meta/episodes.jsonl"
TASKS_PATH = "meta/tasks.jsonl"
EPISODES_STATS_PATH = "meta/episodes_stats.jsonl"
LEGACY_STATS_PATH = "meta/stats.json"

# Where episodes and their stats are read from (named in error messages).
EPISODES_SOURCE, EPISODE_STATS_SOURCE = EPISODES_PATH, EPISODES_STATS_PATH


def required_meta_files(info: dict) -> list[str]:
    stats = LEGACY_STATS_PATH if info.get("codebase_version") == "v2.0" else EPISODES_STATS_PATH
    return [EPISODES_PATH, TASKS_PATH, stats]


def load_meta(root: Path, info: dict, info_path: Path) -> LoadedMeta:
    require_keys(info, ("chunks_size",), str(info_path))
    check_relative_template(
        info["data_path"], "data_path", info_path, {"episode_chunk": 0, "episode_index": 0}
    )
    if info.get("video_path"):
        for key in [k for k, ft in info["features"].items() if ft["dtype"] == "video"] or ["k"]:
            check_relative_template(
                info["video_path"],
                "video_path",
                info_path,
                {"episode_chunk": 0, "episode_index": 0, "video_key": key},
            )

    task_rows = load_jsonlines(root / TASKS_PATH)
    by_index: dict[int, str] = {}
    for row in task_rows:
        require_keys(row, ("task_index", TASK), f"{root / TASKS_PATH}: row {row}")
        by_index[int(row["task_index"])] = str(row[TASK])
    if sorted(by_index) != list(range(len(by_index))):
        raise DatasetFormatError(
            f"{root / TASKS_PATH}: task_index values must be 0..{len(by_index) - 1}, got {sorted(by_index)}."
        )
    tasks = [by_index[i] for i in range(len(by_index))]

    episodes = []
    for row in load_jsonlines(root / EPISODES_PATH):
        require_keys(row, ("episode_index", "tasks", "length"), f"{root / EPISODES_PATH}: row {row}")
        episodes.append(
            {
                **row,  # keep any extra keys a dataset carries
                "episode_index": int(row["episode_index"]),
                "tasks": list(row["tasks"]),
                "length": int(row["length"]),
            }
        )
    episodes.sort(key=lambda r: r["episode_index"])
    lengths = np.array([r["length"] for r in episodes], dtype=np.int64)
    to_idx = np.cumsum(lengths)
    from_idx = to_idx - lengths

    if info["codebase_version"] == "v2.0":
        warnings.warn(
            f"{root}: codebase v2.0 dataset; its global meta/stats.json is used as the stats of every episode.",
            stacklevel=3,
        )
        stats = cast_stats_to_numpy(load_json_dict(root / LEGACY_STATS_PATH))
        episodes_stats = {r["episode_index"]: stats for r in episodes}
    else:
        episodes_stats = {}
        for row in load_jsonlines(root / EPISODES_STATS_PATH):
            require_keys(row, ("episode_index", "stats"), f"{root / EPISODES_STATS_PATH}: row")
            episodes_stats[int(row["episode_index"])] = cast_stats_to_numpy(row["stats"])
            check_stats_finite(
                episodes_stats[int(row["episode_index"])],
                f"{root / EPISODES_STATS_PATH} (episode {row['episode_index']})",
            )
        missing = [r["episode_index"] for r in episodes if r["episode_index"] not in episodes_stats]
        if missing:
            raise DatasetFormatError(f"{root / EPISODES_STATS_PATH}: no stats for episodes {missing}.")
        stats = None  # aggregated from the episodes by the caller
    return LoadedMeta(
        tasks=tasks,
        episodes=episodes,
        from_index=from_idx,
        to_index=to_idx,
        episodes_stats=episodes_stats,
        stats=stats,
    )


def data_file(info: dict, episode_row: dict) -> str:
    ep = episode_row["episode_index"]
    return info["data_path"].format(episode_chunk=ep // info["chunks_size"], episode_index=ep)


def video_file(info: dict, episode_row: dict, video_key: str) -> tuple[str, float]:
    """(relative mp4 path, from_timestamp) of an episode's camera; v2 has one mp4 per episode, so 0.0."""
    ep = episode_row["episode_index"]
    rel = info["video_path"].format(
        episode_chunk=ep // info["chunks_size"], video_key=video_key, episode_index=ep
    )
    return rel, 0.0


def load_frames(
    root: Path, info: dict, episode_rows: list[dict], columns: list[str]
) -> dict[str, np.ndarray]:
    """Concatenate the columns of the selected episodes' parquet files (rows in the given episode order)."""
    parts: dict[str, list[np.ndarray]] = {c: [] for c in columns}
    for row in episode_rows:
        path = root / data_file(info, row)
        table = read_parquet(path)
        missing = [c for c in columns if c not in table.column_names]
        if missing:
            raise DatasetFormatError(
                f"{path}: missing column(s) {missing} declared in meta/info.json features; "
                f"present: {table.column_names}."
            )
        if table.num_rows != row["length"]:
            raise DatasetFormatError(
                f"{path}: {table.num_rows} rows but {EPISODES_PATH} says episode "
                f"{row['episode_index']} has length {row['length']}."
            )
        for c in columns:
            parts[c].append(column_to_numpy(table, c, path))
            check_column_dtype(parts[c][-1], c, info["features"][c], path)
    return {c: concat_columns(v) for c, v in parts.items()}
