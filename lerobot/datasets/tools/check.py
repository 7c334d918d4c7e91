"""End-to-end dataset checker (`lerobot-dataset-check ROOT [--fix]`).

`check_dataset(root)` returns every problem found, each naming its file and, where it applies, the
episode and frame: metadata (info.json valid, totals equal to the episodes table), every referenced file
present, parquet schemas as declared (the format module's arrow schema), index / frame_index /
episode_index continuity, task indices known, timestamps on the fps grid within the loader's tolerance,
every episode's video decodable at its first and last timestamp and covering its frames, stats finite and
consistent with the data (per episode and the dataset's).

`fix_dataset(root)` repairs what is safe to repair (info.json totals, episode and dataset stats of the
non-camera features, the dataset stats) through the writer's crash-safe commit (writing/commit.py).
v2.1 datasets are checked (read-only); fixing them is refused.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from lerobot.datasets.compute_stats import aggregate_stats, compute_episode_stats, serialize_stats
from lerobot.datasets.formats import v21, v30
from lerobot.datasets.formats.common import (
    CAMERA_DTYPES,
    INFO_PATH,
    column_to_numpy,
    load_json_dict,
    read_parquet,
    validate_info,
)
from lerobot.datasets.writing.commit import _commit
from lerobot.datasets.writing.frames import STAGING_DIR, write_json_file

# The loader's default tolerance for timestamps (LeRobotDataset tolerance_s).
TOLERANCE_S = 1e-4
# Stored episode stats must match the data to this relative tolerance (they are float64 of the same data).
STATS_RTOL, STATS_ATOL = 1e-4, 1e-6


@dataclass
class Problem:
    file: str
    message: str
    episode: int | None = None
    frame: int | None = None
    fixable: bool = False

    def __str__(self) -> str:
        where = self.file
        if self.episode is not None:
            where += f", episode {self.episode}"
        if self.frame is not None:
            where += f", frame {self.frame}"
        return f"{where}: {self.message}{' [fixable with --fix]' if self.fixable else ''}"


def _reader(info: dict):
    return v21 if str(info["codebase_version"]).startswith("v2") else v30


def _load(root: Path, problems: list[Problem]):
    info_path = root / INFO_PATH
    if not info_path.is_file():
        problems.append(Problem(INFO_PATH, "missing: not a LeRobot dataset folder"))
        return None, None
    try:
        info = load_json_dict(info_path)
        validate_info(info, info_path)
        reader = _reader(info)
        return info, reader.load_meta(root, info, info_path)
    except (ValueError, OSError, KeyError, pa.ArrowException) as e:
        problems.append(Problem(INFO_PATH if "info" in str(e) else "meta/", str(e)))
        return None, None


def _check_totals(info: dict, meta, reader, problems: list[Problem]) -> None:
    have = {
        "total_episodes": len(meta.episodes),
        "total_frames": int(sum(int(r["length"]) for r in meta.episodes)),
        "total_tasks": len(meta.tasks),
    }
    for key, value in have.items():
        if info.get(key) != value:
            problems.append(
                Problem(
                    INFO_PATH,
                    f"'{key}' is {info.get(key)} but {reader.EPISODES_SOURCE} holds {value}",
                    fixable=True,
                )
            )
    expected_from = 0
    for r in meta.episodes:
        ep = int(r["episode_index"])
        if "dataset_from_index" in r and int(r["dataset_from_index"]) != expected_from:
            problems.append(
                Problem(
                    reader.EPISODES_SOURCE,
                    f"dataset_from_index {r['dataset_from_index']}, expected {expected_from}",
                    ep,
                )
            )
        expected_from += int(r["length"])
    eps = [int(r["episode_index"]) for r in meta.episodes]
    if eps != list(range(len(eps))):
        problems.append(
            Problem(reader.EPISODES_SOURCE, f"episode indices are not 0..{len(eps) - 1}: {eps[:10]}...")
        )


def _check_data(root: Path, info: dict, meta, reader, problems: list[Problem]) -> dict[int, dict]:
    """Read each data file once; check schema and per-episode rows. Returns per-episode numeric columns."""
    features = info["features"]
    columns = [k for k, ft in features.items() if ft["dtype"] != "video"]
    schema = v30.data_schema(features, info["codebase_version"])
    by_file: dict[str, list[dict]] = {}
    for r in meta.episodes:
        by_file.setdefault(reader.data_file(info, r), []).append(r)
    fps = info["fps"]
    per_episode: dict[int, dict] = {}
    for rel, rows in sorted(by_file.items()):
        path = root / rel
        if not path.is_file():
            for r in rows:
                problems.append(
                    Problem(
                        rel, "data file missing (referenced by the episodes table)", int(r["episode_index"])
                    )
                )
            continue
        try:
            table = read_parquet(path)
        except (ValueError, OSError, pa.ArrowException) as e:
            problems.append(Problem(rel, f"unreadable parquet: {e}"))
            continue
        missing = [c for c in columns if c not in table.column_names]
        if missing:
            problems.append(Problem(rel, f"missing column(s) {missing} declared in meta/info.json"))
            continue
        for fld in schema:
            have = table.schema.field(fld.name).type
            if _structure(have) != _structure(fld.type):
                problems.append(Problem(rel, f"column '{fld.name}' has type {have}, declared {fld.type}"))
        ep_col = column_to_numpy(table, "episode_index", path)
        for r in rows:
            ep = int(r["episode_index"])
            sel = np.flatnonzero(ep_col == ep)
            length = int(r["length"])
            if len(sel) != length:
                problems.append(
                    Problem(rel, f"{len(sel)} rows but the episodes table says length {length}", ep)
                )
                continue
            sub = table.take(pa.array(sel))
            cols = {
                c: column_to_numpy(sub, c, path)
                for c in columns
                if features[c]["dtype"] not in (*CAMERA_DTYPES, "string")
            }
            per_episode[ep] = cols
            _check_episode_rows(rel, ep, r, cols, len(meta.tasks), fps, problems)
    return per_episode


def _structure(t: pa.DataType) -> tuple[int, pa.DataType]:
    """(list nesting depth, leaf type): variable- and fixed-size lists and string kinds are equivalent."""
    depth = 0
    while pa.types.is_list(t) or pa.types.is_fixed_size_list(t) or pa.types.is_large_list(t):
        t, depth = t.value_type, depth + 1
    return depth, (pa.string() if pa.types.is_large_string(t) else t)


def _check_episode_rows(rel, ep, row, cols, n_tasks, fps, problems) -> None:
    length = int(row["length"])
    start = int(row.get("dataset_from_index", cols["index"][0]))
    index, frame_index = cols["index"].reshape(-1), cols["frame_index"].reshape(-1)
    bad = np.flatnonzero(index != np.arange(start, start + length))
    if len(bad):
        problems.append(
            Problem(
                rel,
                f"index {int(index[bad[0]])}, expected {start + int(bad[0])} (not continuous)",
                ep,
                int(bad[0]),
            )
        )
    bad = np.flatnonzero(frame_index != np.arange(length))
    if len(bad):
        problems.append(
            Problem(rel, f"frame_index {int(frame_index[bad[0]])}, expected {int(bad[0])}", ep, int(bad[0]))
        )
    tasks = cols["task_index"].reshape(-1)
    bad = np.flatnonzero((tasks < 0) | (tasks >= n_tasks))
    if len(bad):
        problems.append(
            Problem(
                rel,
                f"task_index {int(tasks[bad[0]])} is not a known task (0..{n_tasks - 1})",
                ep,
                int(bad[0]),
            )
        )
    ts = cols["timestamp"].reshape(-1).astype(np.float64)
    err = np.abs(ts - np.arange(length) / fps)
    bad = np.flatnonzero(~(err <= TOLERANCE_S))
    if len(bad):
        f = int(bad[0])
        problems.append(
            Problem(
                rel,
                f"timestamp {ts[f]:.6f} is off the {fps} fps grid ({f / fps:.6f}) by more than {TOLERANCE_S}s "
                f"({len(bad)} frame(s)); the loader would reject it",
                ep,
                f,
            )
        )


def _check_videos(root: Path, info: dict, meta, reader, problems: list[Problem]) -> None:
    from lerobot.datasets.video_utils import decode_video_frames

    fps = info["fps"]
    keys = [k for k, ft in info["features"].items() if ft["dtype"] == "video"]
    for r in meta.episodes:
        ep, length = int(r["episode_index"]), int(r["length"])
        for key in keys:
            try:
                rel, from_ts = reader.video_file(info, r, key)
            except ValueError as e:
                problems.append(Problem(reader.EPISODES_SOURCE, str(e), ep))
                continue
            path = root / rel
            if not path.is_file():
                problems.append(Problem(rel, f"video file of '{key}' missing", ep))
                continue
            to_key = f"videos/{key}/to_timestamp"
            if to_key in r and float(r[to_key]) - from_ts < (length - 0.5) / fps:
                problems.append(
                    Problem(
                        rel,
                        f"'{key}' segment [{from_ts}, {r[to_key]}] is shorter than the episode's {length} frames",
                        ep,
                    )
                )
            for frame in (0, length - 1):
                try:
                    decode_video_frames(path, [from_ts + frame / fps], TOLERANCE_S, video_key=key)
                except Exception as e:  # noqa: BLE001 - any decoding failure is a problem to report
                    problems.append(
                        Problem(rel, f"'{key}' not decodable at {from_ts + frame / fps:.4f}s: {e}", ep, frame)
                    )
                    break


def _recompute_stats(info: dict, meta, per_episode: dict[int, dict]) -> dict[int, dict]:
    """Non-camera episode stats recomputed from the data (timestamp from frame_index / fps, as the writer)."""
    features = info["features"]
    out = {}
    for ep, cols in per_episode.items():
        data = dict(cols)
        data["timestamp"] = cols["frame_index"].reshape(-1) / info["fps"]
        out[ep] = compute_episode_stats(data, features)
    return out


def _check_camera_stats(info, meta, reader, problems) -> None:
    """Camera stats (not recomputed: that needs decoding) are per channel, (C, 1, 1), in [0, 1]."""
    cameras = [k for k, ft in info["features"].items() if ft["dtype"] in CAMERA_DTYPES]
    for ep, stats in meta.episodes_stats.items():
        for key in cameras:
            for name in ("min", "max", "mean"):
                value = stats.get(key, {}).get(name)
                if value is None:
                    continue
                arr = np.asarray(value, np.float64)
                channels = info["features"][key]["shape"][-1]
                if arr.shape != (channels, 1, 1) or not ((arr >= 0) & (arr <= 1)).all():
                    problems.append(
                        Problem(
                            reader.EPISODE_STATS_SOURCE,
                            f"stats of camera '{key}' stat '{name}' must be ({channels}, 1, 1) values in [0, 1], "
                            f"got shape {arr.shape} {arr.ravel()[:3]}",
                            ep,
                        )
                    )
                    break


def _check_stats(info, meta, reader, recomputed, problems) -> dict:
    """Compare stored episode stats and the dataset stats with the data; returns the corrected episode stats."""
    _check_camera_stats(info, meta, reader, problems)
    corrected = {}
    for ep, stats in recomputed.items():
        stored = meta.episodes_stats.get(ep, {})
        fixed = {k: dict(v) for k, v in stored.items()}
        for key, by_stat in stats.items():
            for name in ("min", "max", "mean", "count"):
                have = stored.get(key, {}).get(name)
                want = by_stat[name]
                if have is None:
                    problems.append(
                        Problem(
                            reader.EPISODE_STATS_SOURCE, f"stats of '{key}' lack '{name}'", ep, fixable=True
                        )
                    )
                elif np.shape(have) != np.shape(want) or not np.allclose(
                    np.asarray(have, np.float64),
                    np.asarray(want, np.float64),
                    rtol=STATS_RTOL,
                    atol=STATS_ATOL,
                ):
                    problems.append(
                        Problem(
                            reader.EPISODE_STATS_SOURCE,
                            f"stats of '{key}' stat '{name}' do not match the data "
                            f"(stored {np.asarray(have).ravel()[:4]}, data {np.asarray(want).ravel()[:4]})",
                            ep,
                            fixable=True,
                        )
                    )
            fixed[key] = {**fixed.get(key, {}), **by_stat}
        corrected[ep] = fixed
    if meta.stats is not None and corrected and len(corrected) == len(meta.episodes):
        agg = aggregate_stats([corrected[int(r["episode_index"])] for r in meta.episodes])
        for key, by_stat in agg.items():
            for name in ("min", "max", "mean", "count"):
                have = meta.stats.get(key, {}).get(name)
                if name not in by_stat:
                    continue
                if (
                    have is None
                    or np.shape(have) != np.shape(by_stat[name])
                    or not np.allclose(
                        np.asarray(have, np.float64),
                        np.asarray(by_stat[name], np.float64),
                        rtol=STATS_RTOL,
                        atol=STATS_ATOL,
                    )
                ):
                    problems.append(
                        Problem(
                            v30.STATS_PATH,
                            f"dataset stats of '{key}' stat '{name}' are stale "
                            "(differ from the aggregated episode stats)",
                            fixable=True,
                        )
                    )
                    break
        for key, by_stat in meta.stats.items():
            for name, value in by_stat.items():
                arr = np.asarray(value)
                if arr.dtype.kind == "f" and not np.isfinite(arr).all():
                    problems.append(
                        Problem(
                            v30.STATS_PATH, f"stats of '{key}' stat '{name}' hold NaN or inf", fixable=True
                        )
                    )
    return corrected


def check_dataset(root: Path | str, _corrected: dict | None = None) -> list[Problem]:
    """Every problem of the dataset at `root` (empty list: the dataset is clean)."""
    root = Path(root)
    problems: list[Problem] = []
    if (root / STAGING_DIR).exists():
        problems.append(
            Problem(
                STAGING_DIR, "an interrupted save: resume the dataset (LeRobotDataset.resume) to recover it"
            )
        )
    info, meta = _load(root, problems)
    if meta is None:
        return problems
    reader = _reader(info)
    _check_totals(info, meta, reader, problems)
    per_episode = _check_data(root, info, meta, reader, problems)
    _check_videos(root, info, meta, reader, problems)
    corrected = _check_stats(info, meta, reader, _recompute_stats(info, meta, per_episode), problems)
    if _corrected is not None:
        _corrected.update(info=info, meta=meta, stats=corrected)
    return problems


def fix_dataset(root: Path | str) -> tuple[list[Problem], list[Problem]]:
    """Repair the fixable problems (totals, stats) in one crash-safe commit. Returns (fixed, remaining)."""
    root = Path(root)
    state: dict = {}
    problems = check_dataset(root, state)
    fixable = [p for p in problems if p.fixable]
    if not fixable:
        return [], problems
    info, meta = state["info"], state["meta"]
    if _reader(info) is not v30:
        raise ValueError(
            f"{root} is a {info['codebase_version']} dataset: --fix repairs v3.0 datasets (convert it first)."
        )
    corrected = state["stats"]
    if len(corrected) != len(meta.episodes):
        raise ValueError(
            f"{root}: some episodes' data could not be read; fix those problems first (see the report)."
        )
    stage = root / STAGING_DIR / "fix-000000"
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    moves = []
    features = info["features"]
    for path in sorted((root / v30.EPISODES_DIR).glob("chunk-*/file-*.parquet")):
        table = pq.read_table(path)
        rows = table.to_pylist()
        for row in rows:
            for key, by_stat in corrected[int(row["episode_index"])].items():
                for name, value in by_stat.items():
                    row[f"stats/{key}/{name}"] = np.asarray(value).tolist()
        staged = stage / f"episodes-{len(moves)}.parquet"
        pq.write_table(v30.episodes_table(rows, features), staged)
        moves.append((staged.name, str(path.relative_to(root))))
    agg = aggregate_stats([corrected[int(r["episode_index"])] for r in meta.episodes])
    write_json_file(serialize_stats(agg), stage / "stats.json")
    moves.append(("stats.json", v30.STATS_PATH))
    info = dict(info)
    info["total_episodes"] = len(meta.episodes)
    info["total_frames"] = int(sum(int(r["length"]) for r in meta.episodes))
    info["total_tasks"] = len(meta.tasks)
    write_json_file(info, stage / "info.json")
    moves.append(("info.json", INFO_PATH))
    _commit(root, stage, moves)
    remaining = check_dataset(root)
    return fixable, remaining
