"""Convert datasets between codebase v2.1 and v3.0, losslessly (docs/dataset_format.md).

    python -m lerobot.datasets.convert --from v2.1 --to v3.0 SRC DST
    python -m lerobot.datasets.convert --from v3.0 --to v2.1 SRC DST
    python -m lerobot.datasets.convert --from v2.0 --to v3.0 SRC DST   (v2.0: one global meta/stats.json)

Data rows are copied value for value (parquet -> parquet, no float round trip); videos are stream-copied
(packets copied, never re-encoded): v2.1 -> v3.0 concatenates the per-episode mp4s of each camera into
shared files and records each episode's `from_timestamp`/`to_timestamp`; v3.0 -> v2.1 cuts them out again.
Stats are carried over (per-episode stats <-> `stats/*` columns; the global `stats.json` of v3.0 is their
aggregate). The output is built in a temporary folder next to DST and renamed into place at the end, so
DST never holds a half-converted dataset.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from tqdm import tqdm

from lerobot.datasets.compute_stats import aggregate_stats, cast_stats_to_numpy, serialize_stats
from lerobot.datasets.formats import v21, v30
from lerobot.datasets.formats.common import INFO_PATH
from lerobot.datasets.formats.v30 import (
    DATA_PATH,
    DEFAULT_CHUNK_SIZE,
    DEFAULT_DATA_FILE_SIZE_IN_MB,
    DEFAULT_VIDEO_FILE_SIZE_IN_MB,
    EPISODES_DIR,
    EPISODES_PATH,
    STATS_PATH,
    TASKS_PATH,
    VIDEO_PATH,
    data_schema,
    episodes_table,
)
from lerobot.datasets.video_encoding import can_concatenate, concatenate_videos, cut_video
from lerobot.datasets.writing.frames import write_json_file
from lerobot.utils.cli import ArgumentParser, command
from lerobot.utils.constants import TASK


def _read_jsonl(path: Path) -> list[dict]:
    if not path.is_file():
        raise FileNotFoundError(f"v2.1 dataset file not found: {path}")
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _write_jsonl(rows: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def _load_info(root: Path, expected_prefix: str) -> dict:
    path = root / INFO_PATH
    if not path.is_file():
        raise FileNotFoundError(f"Not a LeRobot dataset: {path} does not exist.")
    info = json.loads(path.read_text(encoding="utf-8"))
    version = info.get("codebase_version")
    if not isinstance(version, str) or not version.startswith(expected_prefix):
        raise ValueError(
            f"{path}: codebase_version is {version!r}, expected {expected_prefix}.x for this conversion "
            f"(check --from)."
        )
    return info


def _prepare_output(dst: Path) -> Path:
    if dst.exists() and any(dst.iterdir()):
        raise FileExistsError(f"Output folder {dst} already exists and is not empty; choose a new DST.")
    tmp = dst.parent / f".{dst.name}.converting"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    return tmp


def _finish_output(tmp: Path, dst: Path) -> None:
    if dst.exists():
        dst.rmdir()  # empty (checked in _prepare_output)
    os.replace(tmp, dst)


def _advance(chunk: int, file: int, chunks_size: int) -> tuple[int, int]:
    file += 1
    if file >= chunks_size:
        return chunk + 1, 0
    return chunk, file


# ---------------------------------------------------------------------------------------- v2.1 -> v3.0
def convert_v21_to_v30(
    src: Path | str,
    dst: Path | str,
    chunks_size: int = DEFAULT_CHUNK_SIZE,
    data_files_size_in_mb: float = DEFAULT_DATA_FILE_SIZE_IN_MB,
    video_files_size_in_mb: float = DEFAULT_VIDEO_FILE_SIZE_IN_MB,
    progress: bool = True,
    src_version: str = "v2.1",
) -> Path:
    """`src_version="v2.0"` reads a v2.0 dataset: the same layout, but one global meta/stats.json instead of
    meta/episodes_stats.jsonl; it becomes the stats of every episode (what the v2.1 reader does) and the
    v3.0 meta/stats.json as is."""
    src, dst = Path(src), Path(dst)
    if src_version not in ("v2.0", "v2.1"):
        raise ValueError(f"src_version must be 'v2.0' or 'v2.1', got {src_version!r}.")
    info = _load_info(src, src_version)
    fps = info["fps"]
    src_chunks = info.get("chunks_size", DEFAULT_CHUNK_SIZE)
    episodes = sorted(_read_jsonl(src / v21.EPISODES_PATH), key=lambda r: r["episode_index"])
    tasks = [r[TASK] for r in sorted(_read_jsonl(src / v21.TASKS_PATH), key=lambda r: r["task_index"])]
    global_stats = None
    if src_version == "v2.0":
        stats_path = src / STATS_PATH
        if not stats_path.is_file():
            raise FileNotFoundError(f"{stats_path} does not exist: a v2.0 dataset keeps its stats there.")
        global_stats = json.loads(stats_path.read_text(encoding="utf-8"))
        episode_stats = {r["episode_index"]: global_stats for r in episodes}
    else:
        stats_rows = _read_jsonl(src / v21.EPISODES_STATS_PATH)
        episode_stats = {r["episode_index"]: r["stats"] for r in stats_rows}
    if [r["episode_index"] for r in episodes] != list(range(len(episodes))):
        raise ValueError(f"{src / v21.EPISODES_PATH}: episode indices must be 0..N-1 without gaps.")
    features = {}
    for key, ft in info["features"].items():
        ft = dict(ft)
        if ft["dtype"] != "video":
            ft["fps"] = fps  # what the reference's converter adds (docs/dataset_format.md)
        features[key] = ft
    video_keys = [k for k, ft in features.items() if ft["dtype"] == "video"]
    schema = data_schema(features)
    out = _prepare_output(dst)

    rows: list[dict] = [
        {"episode_index": ep["episode_index"], "tasks": list(ep["tasks"]), "length": ep["length"]}
        for ep in episodes
    ]
    # Data: concatenate episode parquets until the size limit (one row group per episode).
    chunk = file = 0
    size_mb = 0.0
    writer: pq.ParquetWriter | None = None
    from_index = 0
    for ep, row in zip(tqdm(episodes, desc="data", disable=not progress), rows, strict=True):
        ep_index = ep["episode_index"]
        path = src / info["data_path"].format(episode_chunk=ep_index // src_chunks, episode_index=ep_index)
        ep_mb = path.stat().st_size / 1e6
        if writer is not None and size_mb + ep_mb >= data_files_size_in_mb:
            writer.close()
            writer, size_mb = None, 0.0
            chunk, file = _advance(chunk, file, chunks_size)
        if writer is None:
            target = out / DATA_PATH.format(chunk_index=chunk, file_index=file)
            target.parent.mkdir(parents=True, exist_ok=True)
            writer = pq.ParquetWriter(target, schema, compression="snappy")
        table = pq.read_table(path)
        missing = [n for n in schema.names if n not in table.column_names]
        if missing:
            raise ValueError(f"{path}: columns {missing} listed in info.json features are missing.")
        writer.write_table(table.select(schema.names).cast(schema))
        size_mb += ep_mb
        row.update(
            {
                "data/chunk_index": chunk,
                "data/file_index": file,
                "dataset_from_index": from_index,
                "dataset_to_index": from_index + ep["length"],
            }
        )
        from_index += ep["length"]
    if writer is not None:
        writer.close()

    # Videos: stream-copy per camera into shared files.
    for key in video_keys:
        groups: list[tuple[int, int, list[int], list[Path]]] = []
        size_mb = 0.0
        chunk = file = 0
        for ep in episodes:
            ep_index = ep["episode_index"]
            path = src / info["video_path"].format(
                episode_chunk=ep_index // src_chunks, video_key=key, episode_index=ep_index
            )
            ep_mb = path.stat().st_size / 1e6
            if groups and (
                size_mb + ep_mb >= video_files_size_in_mb or not can_concatenate(groups[-1][3][0], path)
            ):
                chunk, file = _advance(chunk, file, chunks_size)
                size_mb = 0.0
            if not groups or (groups[-1][0], groups[-1][1]) != (chunk, file):
                groups.append((chunk, file, [], []))
            groups[-1][2].append(ep_index)
            groups[-1][3].append(path)
            size_mb += ep_mb
        for chunk, file, ep_indices, paths in tqdm(groups, desc=f"videos {key}", disable=not progress):
            target = out / VIDEO_PATH.format(video_key=key, chunk_index=chunk, file_index=file)
            spans = concatenate_videos(paths, target)
            for ep_index, (start, end) in zip(ep_indices, spans, strict=True):
                rows[ep_index].update(
                    {
                        f"videos/{key}/chunk_index": chunk,
                        f"videos/{key}/file_index": file,
                        f"videos/{key}/from_timestamp": start,
                        f"videos/{key}/to_timestamp": end,
                    }
                )

    # Episodes table (one file), stats, tasks, info.
    stat_names = tuple(
        s for s in v21.STAT_NAMES if all(s in ft for st in episode_stats.values() for ft in st.values())
    )
    for row in rows:
        for key, ft_stats in episode_stats.get(row["episode_index"], {}).items():
            if key in features:
                for name in stat_names:
                    row[f"stats/{key}/{name}"] = ft_stats[name]
        row["meta/episodes/chunk_index"] = 0
        row["meta/episodes/file_index"] = 0
    target = out / EPISODES_PATH.format(chunk_index=0, file_index=0)
    target.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(episodes_table(rows, features, stat_names), target)
    if global_stats is not None:
        write_json_file(global_stats, out / STATS_PATH)
    elif episode_stats:
        all_stats = aggregate_stats([cast_stats_to_numpy(episode_stats[e]) for e in sorted(episode_stats)])
        write_json_file(serialize_stats(all_stats), out / STATS_PATH)
    pd.DataFrame({"task_index": np.arange(len(tasks), dtype=np.int64)}, index=tasks).to_parquet(
        out / TASKS_PATH
    )
    new_info = {
        "codebase_version": "v3.0",
        "robot_type": info.get("robot_type"),
        "total_episodes": len(episodes),
        "total_frames": from_index,
        "total_tasks": len(tasks),
        "chunks_size": chunks_size,
        "data_files_size_in_mb": data_files_size_in_mb,
        "video_files_size_in_mb": video_files_size_in_mb,
        "fps": fps,
        "splits": {"train": f"0:{len(episodes)}"},
        "data_path": DATA_PATH,
        "video_path": VIDEO_PATH if video_keys else None,
        "features": features,
    }
    write_json_file(new_info, out / INFO_PATH)
    _finish_output(out, dst)
    return dst


# ---------------------------------------------------------------------------------------- v3.0 -> v2.1
def convert_v30_to_v21(
    src: Path | str, dst: Path | str, chunks_size: int = DEFAULT_CHUNK_SIZE, progress: bool = True
) -> Path:
    src, dst = Path(src), Path(dst)
    info = _load_info(src, "v3.")
    fps = info["fps"]
    features = {}
    for key, ft in info["features"].items():
        ft = {k: v for k, v in ft.items() if not (k == "fps" and ft["dtype"] != "video")}
        features[key] = ft
    video_keys = [k for k, ft in features.items() if ft["dtype"] == "video"]
    episode_files = v30.episode_files(src)
    if not episode_files:
        raise FileNotFoundError(f"{src / EPISODES_DIR} holds no parquet file.")
    rows = sorted(
        (r for p in episode_files for r in pq.read_table(p).to_pylist()), key=lambda r: r["episode_index"]
    )
    tasks_df = pd.read_parquet(src / TASKS_PATH)
    tasks = [str(t) for t in tasks_df.sort_values("task_index").index]
    schema = data_schema(features, "v2.1")
    out = _prepare_output(dst)

    by_file: dict[tuple[int, int], list[dict]] = {}
    for r in rows:
        by_file.setdefault((r["data/chunk_index"], r["data/file_index"]), []).append(r)
    bar = tqdm(total=len(rows), desc="data", disable=not progress)
    for (chunk, file), file_rows in by_file.items():
        table = pq.read_table(src / info["data_path"].format(chunk_index=chunk, file_index=file))
        episode_col = table.column("episode_index")
        for r in file_rows:
            ep = r["episode_index"]
            ep_table = table.filter(pc.equal(episode_col, pa.scalar(ep, pa.int64())))
            if ep_table.num_rows != r["length"]:
                raise ValueError(
                    f"Episode {ep}: {ep_table.num_rows} rows in its data file, but its length is {r['length']}."
                )
            target = out / v21.DATA_PATH.format(episode_chunk=ep // chunks_size, episode_index=ep)
            target.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(ep_table.select(schema.names).cast(schema), target, compression="snappy")
            bar.update(1)
    bar.close()

    for key in video_keys:
        for r in tqdm(rows, desc=f"videos {key}", disable=not progress):
            ep = r["episode_index"]
            source = src / info["video_path"].format(
                video_key=key,
                chunk_index=r[f"videos/{key}/chunk_index"],
                file_index=r[f"videos/{key}/file_index"],
            )
            target = out / v21.VIDEO_PATH.format(
                episode_chunk=ep // chunks_size, video_key=key, episode_index=ep
            )
            n = cut_video(source, target, r[f"videos/{key}/from_timestamp"], r[f"videos/{key}/to_timestamp"])
            if n != r["length"]:
                raise ValueError(
                    f"Episode {ep}, camera {key}: cut {n} frames from {source}, expected {r['length']}."
                )

    _write_jsonl(
        [
            {"episode_index": r["episode_index"], "tasks": list(r["tasks"]), "length": r["length"]}
            for r in rows
        ],
        out / v21.EPISODES_PATH,
    )
    _write_jsonl([{"task_index": i, TASK: t} for i, t in enumerate(tasks)], out / v21.TASKS_PATH)
    stats_rows = []
    for r in rows:
        stats: dict[str, dict] = {}
        for key in features:
            ft_stats = {
                s: r[f"stats/{key}/{s}"] for s in v21.STAT_NAMES if r.get(f"stats/{key}/{s}") is not None
            }
            if ft_stats:
                stats[key] = ft_stats
        stats_rows.append({"episode_index": r["episode_index"], "stats": stats})
    _write_jsonl(stats_rows, out / v21.EPISODES_STATS_PATH)
    n_eps = len(rows)
    new_info = {
        "codebase_version": "v2.1",
        "robot_type": info.get("robot_type"),
        "total_episodes": n_eps,
        "total_frames": info["total_frames"],
        "total_tasks": len(tasks),
        "total_videos": n_eps * len(video_keys),
        "total_chunks": (n_eps + chunks_size - 1) // chunks_size if n_eps else 0,
        "chunks_size": chunks_size,
        "fps": fps,
        "splits": {"train": f"0:{n_eps}"},
        "data_path": v21.DATA_PATH,
        "video_path": v21.VIDEO_PATH if video_keys else None,
        "features": features,
    }
    write_json_file(new_info, out / INFO_PATH)
    _finish_output(out, dst)
    return dst


def convert_v20_to_v30(src: Path | str, dst: Path | str, **kwargs) -> Path:
    """v2.0 -> v3.0 (see `convert_v21_to_v30`)."""
    return convert_v21_to_v30(src, dst, src_version="v2.0", **kwargs)


CONVERSIONS = {
    ("v2.0", "v3.0"): convert_v20_to_v30,
    ("v2.1", "v3.0"): convert_v21_to_v30,
    ("v3.0", "v2.1"): convert_v30_to_v21,
}


@command("python -m lerobot.datasets.convert")
def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(
        prog="python -m lerobot.datasets.convert",
        description="Convert a LeRobot dataset between codebase v2.1 and v3.0 (lossless data, stream-copied videos).",
    )
    parser.add_argument(
        "--from",
        dest="src_version",
        required=True,
        choices=["v2.0", "v2.1", "v3.0"],
        help="codebase version of SRC",
    )
    parser.add_argument(
        "--to", dest="dst_version", required=True, choices=["v2.1", "v3.0"], help="codebase version to write"
    )
    parser.add_argument("src", type=Path, help="dataset root to read (meta/info.json inside)")
    parser.add_argument("dst", type=Path, help="new folder to write (must not exist or be empty)")
    parser.add_argument(
        "--chunks-size",
        type=int,
        default=DEFAULT_CHUNK_SIZE,
        help="files (v3.0) / episodes (v2.1) per chunk folder",
    )
    parser.add_argument(
        "--data-files-size-in-mb",
        type=float,
        default=DEFAULT_DATA_FILE_SIZE_IN_MB,
        help="v3.0 data file size limit",
    )
    parser.add_argument(
        "--video-files-size-in-mb",
        type=float,
        default=DEFAULT_VIDEO_FILE_SIZE_IN_MB,
        help="v3.0 video file size limit",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    args = parser.parse_args(argv)
    key = (args.src_version, args.dst_version)
    if key not in CONVERSIONS:
        parser.error(
            f"cannot convert --from {args.src_version} --to {args.dst_version}: supported are {sorted(CONVERSIONS)}"
        )
    if args.chunks_size < 1:
        parser.error(f"--chunks-size must be >= 1, got {args.chunks_size}")
    kwargs = {"chunks_size": args.chunks_size, "progress": not args.no_progress}
    if key[1] == "v3.0":
        kwargs.update(
            data_files_size_in_mb=args.data_files_size_in_mb,
            video_files_size_in_mb=args.video_files_size_in_mb,
        )
    CONVERSIONS[key](args.src, args.dst, **kwargs)  # errors: one line, exit 2 (lerobot/utils/cli.py)
    print(f"Wrote {args.dst_version} dataset to {args.dst}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
