"""An episode on its way to disk (writing/writer.py): the snapshot the saver thread writes, its columns,
and the writer's small helpers."""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from lerobot.datasets.compute_stats import cast_stats_to_numpy
from lerobot.datasets.formats import v30
from lerobot.datasets.formats.common import INFO_PATH, load_json_dict, validate_info
from lerobot.datasets.formats.v30 import STATS_PATH, TASKS_PATH
from lerobot.datasets.video_encoding import StreamingVideoEncoder, VideoEncodingConfig
from lerobot.datasets.writing.image_writer import load_image_hwc
from lerobot.datasets.writing.lock import LOCK_FILE, WriterLock
from lerobot.utils.constants import TASK


@dataclass
class PendingEpisode:
    """Snapshot of a finished episode handed to the background saver."""

    episode_index: int
    from_index: int
    columns: dict[str, np.ndarray | list]
    camera_paths: dict[str, list[Path]]
    tasks: list[str]  # distinct tasks of the episode, first appearance order
    all_tasks: list[str]  # every task of the dataset known at save time (task_index order)
    image_futures: list[Future]
    stream_encoders: dict[str, StreamingVideoEncoder]


def episode_columns(
    buffer: dict,
    features: dict[str, dict],
    user_keys: list[str],
    fps: int,
    episode_index: int,
    from_index: int,
    task_to_index: dict[str, int],
) -> dict[str, np.ndarray | list]:
    """The data columns of an episode buffer (cameras excluded) plus the default columns."""
    length = buffer["size"]
    frame_index = np.arange(length, dtype=np.int64)
    columns: dict[str, np.ndarray | list] = {}
    for key in user_keys:
        ft = features[key]
        if ft["dtype"] in ("image", "video"):
            continue
        if ft["dtype"] == "string":
            columns[key] = list(buffer[key])
        else:
            columns[key] = np.stack(buffer[key]).reshape(length, *ft["shape"])
    columns["timestamp"] = (frame_index / fps).astype(np.float32)
    columns["frame_index"] = frame_index
    columns["episode_index"] = np.full(length, episode_index, dtype=np.int64)
    columns["index"] = np.arange(from_index, from_index + length, dtype=np.int64)
    columns["task_index"] = np.array([task_to_index[t] for t in buffer[TASK]], dtype=np.int64)
    return columns


def load_camera_item(item) -> np.ndarray:
    """A stats sample: an in-memory thumbnail (streaming encoding) or the path of a temporary PNG."""
    return item if isinstance(item, np.ndarray) else load_image_hwc(item)


def last_episode_row(root: Path) -> dict:
    files = v30.episode_files(root)
    if not files:
        raise FileNotFoundError(
            f"{root}/meta/episodes holds no parquet file although info.json lists episodes."
        )
    table = pq.read_table(files[-1])
    rows = table.slice(table.num_rows - 1).to_pylist()
    return rows[0]


def check_empty(root: Path) -> None:
    if root.exists() and any(p.name != LOCK_FILE for p in root.iterdir()):
        if (root / LOCK_FILE).exists():  # a recording in progress: say who holds it (DatasetLockedError)
            probe = WriterLock(root)
            probe.acquire()
            probe.release()
        raise FileExistsError(
            f"Dataset root {root} already exists and is not empty: create() needs a new directory "
            "(use resume() to append episodes to an existing dataset)."
        )


def without_stats(row: dict) -> dict:
    return {k: v for k, v in row.items() if not k.startswith("stats/")}


def video_config_from_info(info: dict) -> VideoEncodingConfig:
    """Re-use the codec of the existing videos so appended episodes can be stream-copied after them."""
    for ft in info["features"].values():
        if ft["dtype"] == "video" and "info" in ft:
            codec = ft["info"].get("video.codec")
            vcodec = {"av1": "libsvtav1", "h264": "h264", "hevc": "hevc"}.get(codec)
            if vcodec:
                return VideoEncodingConfig(vcodec=vcodec, pix_fmt=ft["info"].get("video.pix_fmt", "yuv420p"))
    return VideoEncodingConfig()


def read_existing(root: Path, codebase_version: str) -> tuple[dict, list[str], dict | None]:
    """(info, tasks, global stats) of a dataset to resume, read and checked through the v3.0 format module
    as the reader does (errors naming the file and key)."""
    info = load_json_dict(root / INFO_PATH)
    validate_info(info, root / INFO_PATH)
    if info.get("codebase_version") != codebase_version:
        raise ValueError(
            f"Cannot resume {root}: codebase_version is {info.get('codebase_version')!r}, the writer only "
            f"appends to {codebase_version} datasets (convert it with `python -m lerobot.datasets.convert`)."
        )
    tasks = v30.load_tasks(root) if (root / TASKS_PATH).is_file() else []
    stats = None
    if (root / STATS_PATH).is_file():
        stats = cast_stats_to_numpy(load_json_dict(root / STATS_PATH))
    return info, tasks, stats
