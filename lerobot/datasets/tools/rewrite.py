"""Write a new v3.0 dataset from episodes of existing ones: the engine under every edit (tools/edits.py).

An edit never modifies its sources. It describes the output as a list of `EpisodePlan`s (which source
episode, its new task strings, its extra columns) plus the output features, and `write_dataset` writes a
complete dataset into a staging folder beside the destination, fsyncs it, and only then makes it appear
with one rename (tools/swap.py does the in-place case). The layout comes from the format module
(`lerobot.datasets.formats.v30`: path templates, arrow schemas of the data and episodes files), the info
dict from the writer's `new_info`, so nothing here restates the format.

Data: each kept episode's rows are read from its source data file (one file read once), renumbered
(`episode_index`, `index`, `task_index`), cast to the output schema and packed into data files by the
dataset's size limit. Video: a kept episode's segment is stream-copied (`cut_video`) when it starts on a
keyframe (what this library's writer produces), else decoded and re-encoded; segments are concatenated
into mp4 files by the size limit (`concatenate_videos`, no re-encode). Stats: the non-camera stats of
every episode are recomputed from its new rows (the renumbered columns change), camera stats are carried
over when the pixels are unchanged (stream copy) and recomputed from the decoded frames otherwise; the
dataset stats are aggregated from the episodes' stats. Nothing stale is carried.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from lerobot.datasets.compute_stats import aggregate_stats, compute_episode_stats, serialize_stats
from lerobot.datasets.formats import v30
from lerobot.datasets.formats.common import INFO_PATH, column_to_numpy, read_parquet
from lerobot.datasets.video_encoding import (
    VideoEncodingConfig,
    can_concatenate,
    concatenate_videos,
    cut_video,
    encode_video_arrays,
    probe_video_info,
)
from lerobot.datasets.video_utils import decode_video_frames
from lerobot.datasets.writing.episode import video_config_from_info
from lerobot.datasets.writing.frames import fsync_dir, new_info, write_json_file
from lerobot.datasets.writing.writer import CODEBASE_VERSION

# Columns every v3.0 data file holds besides the user features; the three renumbered ones are rewritten.
RENUMBERED = ("index", "episode_index", "task_index")


@dataclass
class SourceDataset:
    """A v3.0 dataset read by an edit: its root, info.json, task list and episode rows (with stats)."""

    root: Path
    info: dict
    tasks: list[str]
    rows: dict[int, dict]  # episode_index -> episodes-table row without stats
    stats: dict[int, dict]  # episode_index -> {feature: {stat: array}}


@dataclass
class EpisodePlan:
    """One episode of the output: `episode` of `source`, with its task strings mapped by `task_map` (old
    string -> new string, identity when absent) and extra per-frame columns (`extra[key]`: (length, ...))."""

    source: SourceDataset
    episode: int
    task_map: dict[str, str] = field(default_factory=dict)
    extra: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class OutputSpec:
    """What the output looks like: its features (info.json `features`, video `info` filled when written),
    `camera_from`: output camera key -> how to obtain it ("copy": keep the source's video, stream-copied
    where possible; "reencode": decode and encode with `video_config`; "image_to_video": encode the
    source's PNG column)."""

    fps: int
    features: dict[str, dict]
    robot_type: str | None
    chunks_size: int
    data_files_size_in_mb: float
    video_files_size_in_mb: float
    camera_from: dict[str, str] = field(default_factory=dict)
    video_config: VideoEncodingConfig | None = None


def _fsync_tree(root: Path) -> None:
    for dirpath, _, files in os.walk(root):
        for name in files:
            fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_dir(Path(dirpath))


class _FileCache:
    """The last data file read (kept episodes of one file are read together), with its `index` column."""

    def __init__(self):
        self.path: Path | None = None
        self.table: pa.Table | None = None
        self.index: np.ndarray | None = None
        self.ordered = False

    def get(self, path: Path) -> tuple[pa.Table, np.ndarray | None]:
        """(the table, its `index` column when the rows are in index order, else None)."""
        if path != self.path:
            self.path, self.table = path, read_parquet(path)
            self.index = self.table.column("index").to_numpy()
            self.ordered = bool(np.all(self.index[1:] > self.index[:-1]))
        return self.table, (self.index if self.ordered else None)


def _episode_rows(cache: _FileCache, plan: EpisodePlan) -> pa.Table:
    src = plan.source
    row = src.rows[plan.episode]
    path = src.root / v30.data_file(src.info, row)
    table, index = cache.get(path)
    start, stop = int(row["dataset_from_index"]), int(row["dataset_to_index"])
    if index is not None:  # rows in index order (as written): the episode is a slice
        a, b = np.searchsorted(index, [start, stop])
        sub = table.slice(int(a), int(b - a))
    else:
        sub = table.filter(pc.equal(table.column("episode_index"), plan.episode)).sort_by("index")
    episodes = sub.column("episode_index").to_numpy()
    if sub.num_rows != int(row["length"]) or (len(episodes) and not np.all(episodes == plan.episode)):
        raise ValueError(
            f"{path}: {sub.num_rows} rows of episode {plan.episode} but meta/episodes says length {row['length']}; "
            f"check the source with `lerobot-dataset-check {src.root}`."
        )
    return sub


def _column(values, key: str, ft: dict) -> pa.Array:
    """An arrow column of the output schema for per-frame values (the format module builds it)."""
    return v30.data_table({key: values}, {}, {key: ft}).column(key).combine_chunks()


def _decode_episode_video(src: SourceDataset, row: dict, key: str) -> np.ndarray:
    """(T, H, W, C) uint8 frames of a source episode's video segment."""
    rel, from_ts = v30.video_file(src.info, row, key)
    fps = src.info["fps"]
    timestamps = [from_ts + i / fps for i in range(int(row["length"]))]
    frames = decode_video_frames(src.root / rel, timestamps, 0.5 / fps, video_key=key, return_uint8=True)
    return frames.numpy().transpose(0, 2, 3, 1)


def _decode_episode_images(table: pa.Table, key: str) -> np.ndarray:
    import io

    from PIL import Image

    structs = table.column(key).to_pylist()
    return np.stack([np.asarray(Image.open(io.BytesIO(s["bytes"])).convert("RGB")) for s in structs])


def _camera_segment(
    plan: EpisodePlan, rows: pa.Table, key: str, how: str, spec: OutputSpec, out: Path
) -> tuple[np.ndarray | None, bool]:
    """Write one episode's mp4 for camera `key` into `out`. Returns (the frames when they were encoded
    here, so their stats are recomputed; True when stream-copied)."""
    src, row = plan.source, plan.source.rows[plan.episode]
    length = int(row["length"])
    if how == "copy":
        rel, from_ts = v30.video_file(src.info, row, key)
        to_ts = float(row[f"videos/{key}/to_timestamp"])
        try:
            copied = cut_video(src.root / rel, out, from_ts, to_ts)
            if copied == length:
                return None, True
        except ValueError:  # the segment does not start on a keyframe: re-encode it below
            pass
        out.unlink(missing_ok=True)
        frames = _decode_episode_video(src, row, key)
        config = video_config_from_info(src.info)
    elif how == "reencode":
        frames = _decode_episode_video(src, row, key)
        config = spec.video_config or VideoEncodingConfig()
    elif how == "image_to_video":
        frames = _decode_episode_images(rows, key)
        config = spec.video_config or VideoEncodingConfig()
    else:
        raise ValueError(f"unknown camera source {how!r} for {key}")
    encode_video_arrays(iter(frames), out, spec.fps, config)
    return frames, False


def _pack(
    sizes: list[int], limit: float, can_follow: Callable[[int, int], bool] | None = None
) -> list[list[int]]:
    """Group consecutive items into files: a new file starts when `size + incoming >= limit` (the
    writer's rule, writing/merge.py) or when an item cannot follow the previous one."""
    groups: list[list[int]] = []
    current, total = [], 0
    for i, size in enumerate(sizes):
        if current and (total + size >= limit or (can_follow is not None and not can_follow(current[-1], i))):
            groups.append(current)
            current, total = [], 0
        current.append(i)
        total += size
    if current:
        groups.append(current)
    return groups


class _DataFiles:
    """Writes episode tables into data files as they come (memory: one episode), starting a new file when
    `size + incoming >= limit` (the writer's rule, writing/merge.py)."""

    def __init__(self, stage: Path, schema: pa.Schema, limit_bytes: float, chunks_size: int):
        self.stage, self.schema, self.limit, self.chunks = stage, schema, limit_bytes, chunks_size
        self.li, self.size, self.writer = -1, 0, None

    def add(self, table: pa.Table) -> tuple[int, int]:
        if self.writer is None or self.size + table.nbytes >= self.limit:
            self.close()
            self.li, self.size = self.li + 1, 0
            chunk, file = divmod(self.li, self.chunks)
            path = self.stage / v30.DATA_PATH.format(chunk_index=chunk, file_index=file)
            path.parent.mkdir(parents=True, exist_ok=True)
            self.writer = pq.ParquetWriter(path, self.schema, compression="snappy")
        self.writer.write_table(table)
        self.size += table.nbytes
        return divmod(self.li, self.chunks)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def write_dataset(
    dst: Path | str, plans: list[EpisodePlan], spec: OutputSpec, stage: Path | None = None
) -> Path:
    """Write the episodes of `plans` (in order, renumbered 0..N-1) as a new v3.0 dataset.

    Written complete and fsynced into `stage` (default: a hidden folder beside `dst`, renamed to `dst`
    at the end; `dst` must not exist or be empty). Returns the folder holding the new dataset. On an
    error the partial output is removed (the sources are never touched)."""
    dst = Path(dst)
    if not plans:
        raise ValueError(f"The edit would leave no episode in {dst}: refused (a dataset needs >= 1 episode).")
    publish = stage is None
    if publish and dst.exists() and any(dst.iterdir()):
        raise FileExistsError(
            f"Output folder {dst} already exists and is not empty: choose another --new_root."
        )
    stage = Path(stage) if stage is not None else dst.parent / f".{dst.name}.edit-new"
    try:
        return _write_dataset(dst, plans, spec, stage, publish)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


def _write_dataset(dst: Path, plans: list[EpisodePlan], spec: OutputSpec, stage: Path, publish: bool) -> Path:
    if stage.exists():
        shutil.rmtree(stage)
    work = stage / ".work"
    work.mkdir(parents=True)
    features = {k: dict(ft) for k, ft in spec.features.items()}
    schema = v30.data_schema(features)
    video_keys = [k for k, ft in features.items() if ft["dtype"] == "video"]
    tasks: list[str] = []
    task_index: dict[str, int] = {}
    cache = _FileCache()
    data_files = _DataFiles(stage, schema, spec.data_files_size_in_mb * 1e6, spec.chunks_size)
    ep_rows: list[dict] = []
    ep_stats: list[dict] = []
    segments: dict[str, list[Path]] = {k: [] for k in video_keys}
    offset = 0
    try:
        for e, plan in enumerate(plans):
            src = plan.source
            rows = _episode_rows(cache, plan)
            length = rows.num_rows
            old_tasks = [src.tasks[i] for i in rows.column("task_index").to_numpy()]
            new_tasks = [plan.task_map.get(t, t) for t in old_tasks]
            for t in new_tasks:
                if t not in task_index:
                    task_index[t] = len(tasks)
                    tasks.append(t)
            columns: dict[str, np.ndarray] = {
                "index": np.arange(offset, offset + length, dtype=np.int64),
                "episode_index": np.full(length, e, dtype=np.int64),
                "task_index": np.array([task_index[t] for t in new_tasks], dtype=np.int64),
            }
            arrays = []
            for fld in schema:
                key = fld.name
                if key in columns:
                    arrays.append(pa.array(columns[key], fld.type))
                elif key in plan.extra:
                    arrays.append(_column(plan.extra[key], key, features[key]).cast(fld.type))
                else:
                    arrays.append(rows.column(key).combine_chunks().cast(fld.type))
            table = pa.Table.from_arrays(arrays, schema=schema)
            data_location = data_files.add(table)

            # Stats: every non-camera feature from the new rows (as the writer: timestamp from frame_index / fps).
            stats_input = {
                f.name: column_to_numpy(table, f.name, dst)
                for f in schema
                if features[f.name]["dtype"] not in ("image", "video", "string")
            }
            stats_input["timestamp"] = stats_input["frame_index"] / spec.fps
            stats = compute_episode_stats(stats_input, features)
            for key, ft in features.items():
                if ft["dtype"] not in ("image", "video"):
                    continue
                how = spec.camera_from.get(key, "copy")
                if ft["dtype"] == "image":
                    stats[key] = src.stats[plan.episode][key]  # PNG bytes copied as they are
                    continue
                mp4 = work / f"{key}-{e:06d}.mp4"
                frames, copied = _camera_segment(plan, rows, key, how, spec, mp4)
                segments[key].append(mp4)
                if frames is None or (how == "image_to_video" and key in src.stats[plan.episode]):
                    stats[key] = src.stats[plan.episode][key]  # same pixels (stream copy, or the source PNGs)
                else:
                    stats[key] = compute_episode_stats({key: frames}, features)[key]
                if "info" not in ft:
                    ft["info"] = probe_video_info(mp4)
            ep_stats.append(stats)
            row = {
                "episode_index": e,
                "tasks": list(dict.fromkeys(new_tasks)),
                "length": length,
                "data/chunk_index": data_location[0],
                "data/file_index": data_location[1],
                "dataset_from_index": offset,
                "dataset_to_index": offset + length,
            }
            ep_rows.append(row)
            offset += length
    finally:
        data_files.close()

    def loc(li: int) -> tuple[int, int]:
        return divmod(li, spec.chunks_size)

    # Video files: the segments concatenated (stream copy) by the size limit.
    for key in video_keys:
        paths = segments[key]
        follow = lambda a, b, p=paths: can_concatenate(p[a], p[b])  # noqa: E731
        groups = _pack([p.stat().st_size for p in paths], spec.video_files_size_in_mb * 1e6, follow)
        for li, group in enumerate(groups):
            chunk, file = loc(li)
            out = stage / v30.VIDEO_PATH.format(video_key=key, chunk_index=chunk, file_index=file)
            spans = concatenate_videos([paths[i] for i in group], out)
            for i, (t0, t1) in zip(group, spans, strict=True):
                p = f"videos/{key}/"
                ep_rows[i].update({p + "chunk_index": chunk, p + "file_index": file})
                ep_rows[i].update({p + "from_timestamp": t0, p + "to_timestamp": t1})
    # Episodes table (rows with their stats), packed as the data files.
    for i, stats in enumerate(ep_stats):
        for key, ft_stats in stats.items():
            for name, value in ft_stats.items():
                ep_rows[i][f"stats/{key}/{name}"] = np.asarray(value).tolist()
    row_bytes = [len(str(r)) for r in ep_rows]
    for li, group in enumerate(_pack(row_bytes, spec.data_files_size_in_mb * 1e6)):
        chunk, file = loc(li)
        for i in group:
            ep_rows[i]["meta/episodes/chunk_index"], ep_rows[i]["meta/episodes/file_index"] = chunk, file
        path = stage / v30.EPISODES_PATH.format(chunk_index=chunk, file_index=file)
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(v30.episodes_table([ep_rows[i] for i in group], features), path)
    # tasks.parquet (pandas-indexed by task string, as the writer), stats.json, info.json.
    pd.DataFrame({"task_index": np.arange(len(tasks), dtype=np.int64)}, index=tasks).to_parquet(
        stage / v30.TASKS_PATH
    )
    write_json_file(serialize_stats(aggregate_stats(ep_stats)), stage / v30.STATS_PATH)
    info = new_info(
        CODEBASE_VERSION,
        spec.fps,
        features,
        spec.robot_type,
        spec.chunks_size,
        spec.data_files_size_in_mb,
        spec.video_files_size_in_mb,
    )
    info.update(
        total_episodes=len(plans),
        total_frames=offset,
        total_tasks=len(tasks),
        splits={"train": f"0:{len(plans)}"},
    )
    write_json_file(info, stage / INFO_PATH)
    shutil.rmtree(work)
    _fsync_tree(stage)
    if publish:
        if dst.exists():
            dst.rmdir()  # empty (checked above)
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.rename(stage, dst)
        fsync_dir(dst.parent)
        return dst
    return stage
