"""Metadata checked when read (lerobot/datasets/formats/common.py, metadata.py): one test per check, each
asserting that the error names the file and the key at fault. Datasets are fixture copies, damaged in one place."""

import json
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lerobot.datasets.formats.common import DatasetFormatError
from lerobot.datasets.lerobot_dataset import LeRobotDataset


def _edit_info(root: Path, edit) -> None:
    path = root / "meta/info.json"
    info = json.loads(path.read_text())
    edit(info)
    path.write_text(json.dumps(info, indent=4))


def _load(root: Path) -> LeRobotDataset:
    return LeRobotDataset(f"local/{root.name}", root=root)


def _raises(root: Path, *parts: str):
    """The load fails with a DatasetFormatError whose message holds every part (file, key, expectation)."""
    with pytest.raises(DatasetFormatError) as exc:
        ds = _load(root)
        ds[0]
        ds[len(ds) - 1]
    for part in parts:
        assert part in str(exc.value), (part, str(exc.value))
    return str(exc.value)


INFO_CASES = {
    "fps nan": (lambda i: i.update(fps=float("nan")), ["'fps'", "finite number > 0"]),
    "fps inf": (lambda i: i.update(fps=float("inf")), ["'fps'", "finite number > 0"]),
    "fps zero": (lambda i: i.update(fps=0), ["'fps'", "> 0"]),
    "unknown dtype": (
        lambda i: i["features"]["action"].update(dtype="float33"),
        ["features['action']['dtype'] = 'float33'", "not a known dtype"],
    ),
    "key ..": (
        lambda i: i["features"].update({"..": i["features"].pop("observation.image")}),
        ["features['..']", "one path component"],
    ),
    "key with /": (
        lambda i: i["features"].update({"a/b": i["features"].pop("action")}),
        ["features['a/b']", "one path component"],
    ),
    "index not integral": (
        lambda i: i["features"]["frame_index"].update(dtype="float32"),
        ["features['frame_index']['dtype'] = 'float32'", "integer dtype"],
    ),
    "chunks_size": (lambda i: i.update(chunks_size=0), ["'chunks_size'", ">= 1"]),
    "data size": (lambda i: i.update(data_files_size_in_mb=-1), ["'data_files_size_in_mb'", "> 0"]),
    "video size": (lambda i: i.update(video_files_size_in_mb=0), ["'video_files_size_in_mb'", "> 0"]),
    "template width": (
        lambda i: i.update(data_path="data/chunk-{chunk_index:0999d}/file-{file_index:03d}.parquet"),
        ["'data_path'", "field 'chunk_index' has width 999"],
    ),
    "template outside root": (
        lambda i: i.update(video_path="../{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4"),
        ["'video_path'", "escapes the dataset root"],
    ),
    "total_episodes": (lambda i: i.update(total_episodes=6), ["'total_episodes' is 6", "holds 5"]),
    "total_frames": (lambda i: i.update(total_frames=447), ["'total_frames' is 447", "holds 448"]),
    "declared video info": (
        lambda i: i["features"]["observation.image"]["info"].update({"video.height": 64}),
        ["features['observation.image']", "video.height/width/channels [64, 96, 3]"],
    ),
}


@pytest.mark.parametrize("case", sorted(INFO_CASES))
def test_info_check(dataset_copy, case):
    root = dataset_copy("pusht_v30")
    edit, parts = INFO_CASES[case]
    _edit_info(root, edit)
    _raises(root, str(root / "meta/info.json"), *parts)


def test_info_checks_apply_to_v21(dataset_copy):
    root = dataset_copy("pusht_v21")
    _edit_info(root, lambda i: i.update(total_episodes=4))
    _raises(root, str(root / "meta/info.json"), "'total_episodes' is 4", "meta/episodes.jsonl holds 5")


def test_declared_video_shape_equals_the_stream(dataset_copy):
    root = dataset_copy("pusht_v30")

    def edit(info):
        ft = info["features"]["observation.image"]
        ft["shape"] = [64, 96, 3]
        ft["info"].update({"video.height": 64})

    _edit_info(root, edit)
    _raises(root, "videos/observation.image/chunk-000/file-000.mp4", "features['observation.image']['shape']")


def test_data_column_of_declared_dtype(dataset_copy):
    root = dataset_copy("pusht_v30")
    path = next(root.glob("data/*/*.parquet"))
    table = pq.read_table(path)
    i = table.schema.get_field_index("next.reward")
    table = table.set_column(i, "next.reward", table.column(i).cast(pa.float64()))
    pq.write_table(table, path)
    _raises(root, str(path), "column 'next.reward' holds float64", "declares dtype 'float32'")


def test_global_stats_free_of_nan(dataset_copy):
    root = dataset_copy("pusht_v30")
    path = root / "meta/stats.json"
    stats = json.loads(path.read_text())
    stats["action"]["std"][1] = float("nan")
    path.write_text(json.dumps(stats))
    _raises(root, str(path), "feature 'action', stat 'std'", "NaN or inf")


def test_episode_stats_free_of_inf(dataset_copy):
    root = dataset_copy("pusht_v21")
    path = root / "meta/episodes_stats.jsonl"
    lines = path.read_text().splitlines()
    row = json.loads(lines[2])
    row["stats"]["observation.state"]["max"][0] = float("inf")
    lines[2] = json.dumps(row)
    path.write_text("\n".join(lines) + "\n")
    message = _raises(root, str(path), "feature 'observation.state', stat 'max'")
    assert re.search(r"episode \d", message)


def test_valid_datasets_pass_every_check(reference_fixtures):
    for name in ("pusht_v21", "pusht_v30", "multicam_v30"):
        ds = _load(reference_fixtures / "datasets" / name)
        assert np.isfinite(ds.meta.stats["action"]["mean"]).all() and len(ds) == ds.meta.total_frames


def test_episode_stats_column_free_of_nan_v30(dataset_copy):
    root = dataset_copy("pusht_v30")
    path = next(root.glob("meta/episodes/*/*.parquet"))
    table = pq.read_table(path)
    col = "stats/action/mean"
    values = table.column(col).to_pylist()
    values[3][0] = float("nan")
    i = table.schema.get_field_index(col)
    table = table.set_column(i, table.schema.field(i), pa.array(values, type=table.schema.field(i).type))
    pq.write_table(table, path)
    _raises(root, str(root / "meta/episodes"), "column 'stats/action/mean' of episode 3", "stat 'mean'")
