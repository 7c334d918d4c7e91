"""Bad input gets a clear error naming the file / key / flag at fault (one test per case).

Broken datasets are fixture copies under tmp_path, damaged in one place.
"""

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lerobot.datasets.backward_compat import BackwardCompatibilityError, ForwardCompatibilityError
from lerobot.datasets.formats.common import DatasetFormatError
from lerobot.datasets.lerobot_dataset import LeRobotDataset, LeRobotDatasetMetadata


def _edit_info(root: Path, **changes) -> None:
    path = root / "meta/info.json"
    info = json.loads(path.read_text())
    for key, value in changes.items():
        if value is _DELETE:
            del info[key]
        else:
            info[key] = value
    path.write_text(json.dumps(info, indent=4))


_DELETE = object()


def _rewrite_column(path: Path, column: str, fn) -> None:
    table = pq.read_table(path)
    values = fn(table.column(column).to_numpy())
    i = table.schema.get_field_index(column)
    table = table.set_column(i, table.schema.field(i), pa.array(values, type=table.schema.field(i).type))
    pq.write_table(table, path)


def _load(root: Path, **kwargs) -> LeRobotDataset:
    return LeRobotDataset(f"local/{root.name}", root=root, **kwargs)


@pytest.mark.parametrize(
    ("name", "rel"),
    [
        ("pusht_v21", "meta/info.json"),
        ("pusht_v30", "meta/info.json"),
        ("pusht_v21", "meta/episodes.jsonl"),
        ("pusht_v21", "meta/tasks.jsonl"),
        ("pusht_v21", "meta/episodes_stats.jsonl"),
        ("pusht_v30", "meta/tasks.parquet"),
        ("pusht_v30", "meta/episodes"),
    ],
)
def test_missing_meta_file(dataset_copy, name, rel):
    root = dataset_copy(name)
    target = root / rel
    shutil.rmtree(target) if target.is_dir() else target.unlink()
    with pytest.raises(FileNotFoundError, match=re.escape(rel)):
        _load(root)


def test_malformed_info_json(dataset_copy):
    root = dataset_copy("pusht_v30")
    (root / "meta/info.json").write_text('{"codebase_version": "v3.0", "fps": 10,,}')
    with pytest.raises(DatasetFormatError, match=r"info\.json: malformed JSON at line 1"):
        _load(root)


def test_malformed_jsonl_line(dataset_copy):
    root = dataset_copy("pusht_v21")
    path = root / "meta/episodes.jsonl"
    lines = path.read_text().splitlines()
    lines[2] = lines[2][:-5]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DatasetFormatError, match=r"episodes\.jsonl: malformed JSON on line 3"):
        _load(root)


@pytest.mark.parametrize("key", ["fps", "features", "data_path", "codebase_version"])
def test_info_missing_key(dataset_copy, key):
    root = dataset_copy("pusht_v30")
    _edit_info(root, **{key: _DELETE})
    with pytest.raises(
        DatasetFormatError, match=rf"info\.json: missing required key\(s\) \['{re.escape(key)}'\]"
    ):
        _load(root)


def test_info_bad_feature_shape(dataset_copy):
    root = dataset_copy("pusht_v30")
    info = json.loads((root / "meta/info.json").read_text())
    info["features"]["action"]["shape"] = "two"
    (root / "meta/info.json").write_text(json.dumps(info))
    with pytest.raises(DatasetFormatError, match=r"features\['action'\]\['shape'\] must be a list"):
        _load(root)


@pytest.mark.parametrize("name", ["pusht_v21", "pusht_v30"])
def test_data_path_escaping_root(dataset_copy, name):
    root = dataset_copy(name)
    template = (
        "../../etc/{episode_index}.parquet" if name == "pusht_v21" else "../../etc/{file_index}.parquet"
    )
    _edit_info(root, data_path=template)
    with pytest.raises(DatasetFormatError, match=r"'data_path' = .* escapes the dataset root"):
        _load(root)


def test_data_path_unknown_placeholder(dataset_copy):
    root = dataset_copy("pusht_v30")
    _edit_info(root, data_path="data/{episode_chunk:03d}.parquet")
    with pytest.raises(DatasetFormatError, match=r"'data_path' .* cannot be formatted"):
        _load(root)


@pytest.mark.parametrize(
    ("name", "rel"),
    [
        ("pusht_v21", "data/chunk-000/episode_000003.parquet"),
        ("multicam_v30", "data/chunk-000/file-001.parquet"),
    ],
)
def test_missing_parquet(dataset_copy, name, rel):
    root = dataset_copy(name)
    (root / rel).unlink()
    with pytest.raises(FileNotFoundError, match=re.escape(rel)):
        _load(root)
    # selecting only episodes that live elsewhere still works
    episodes = [0, 1] if name == "pusht_v21" else [0, 1]
    assert len(_load(root, episodes=episodes)) > 0


def test_corrupt_parquet(dataset_copy):
    root = dataset_copy("pusht_v30")
    path = root / "data/chunk-000/file-000.parquet"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(DatasetFormatError, match=r"file-000\.parquet: cannot read parquet file"):
        _load(root)


def test_parquet_missing_feature_column(dataset_copy):
    root = dataset_copy("pusht_v21")
    path = root / "data/chunk-000/episode_000002.parquet"
    pq.write_table(pq.read_table(path).drop_columns(["action"]), path)
    with pytest.raises(
        DatasetFormatError, match=r"episode_000002\.parquet: missing column\(s\) \['action'\]"
    ):
        _load(root)


def test_episode_length_mismatch(dataset_copy):
    root = dataset_copy("pusht_v21")
    path = root / "data/chunk-000/episode_000001.parquet"
    pq.write_table(pq.read_table(path).slice(0, 80), path)
    with pytest.raises(DatasetFormatError, match=r"episode_000001\.parquet: 80 rows but .* length 90"):
        _load(root)


@pytest.mark.parametrize(
    ("name", "rel"),
    [
        ("pusht_v21", "videos/chunk-000/observation.image/episode_000002.mp4"),
        ("multicam_v30", "videos/observation.images.wrist/chunk-000/file-001.mp4"),
    ],
)
def test_missing_mp4(dataset_copy, name, rel):
    root = dataset_copy(name)
    (root / rel).unlink()
    with pytest.raises(FileNotFoundError, match=re.escape(rel)):
        _load(root)


def test_corrupt_mp4_names_file(dataset_copy):
    root = dataset_copy("pusht_v21")
    rel = "videos/chunk-000/observation.image/episode_000001.mp4"
    path = root / rel
    data = bytearray(path.read_bytes())
    data[: len(data) // 2] = bytes(len(data) // 2)  # zero the header and half the frames
    path.write_bytes(bytes(data))
    ds = _load(root)
    ds[0]  # episode 0 is intact
    with pytest.raises(OSError, match=re.escape(rel)):
        ds[100]  # episode 1


def test_delta_timestamps_off_fps_grid(reference_fixtures):
    root = reference_fixtures / "datasets" / "pusht_v30"
    with pytest.raises(
        ValueError, match=r"delta_timestamps\['action'\] has values \[0\.05\] .* 1/fps = 0\.1"
    ):
        _load(root, delta_timestamps={"action": [0.0, 0.05, 0.1]})


def test_delta_timestamps_unknown_key(reference_fixtures):
    root = reference_fixtures / "datasets" / "pusht_v30"
    with pytest.raises(ValueError, match=r"'actions' is not a dataset feature.*Did you mean 'action'"):
        _load(root, delta_timestamps={"actions": [0.0]})


def test_delta_timestamps_empty_list(reference_fixtures):
    root = reference_fixtures / "datasets" / "pusht_v30"
    with pytest.raises(ValueError, match=r"delta_timestamps\['action'\] must be a non-empty list"):
        _load(root, delta_timestamps={"action": []})


def test_timestamps_outside_tolerance_v21(dataset_copy):
    """v2.x checks at load that timestamps advance by 1/fps within an episode."""
    root = dataset_copy("pusht_v21")
    path = root / "data/chunk-000/episode_000002.parquet"

    def shift(ts: np.ndarray) -> np.ndarray:
        ts = ts.copy()
        ts[40:] += np.float32(0.03)
        return ts

    _rewrite_column(path, "timestamp", shift)
    with pytest.raises(ValueError, match=r"timestamps of episode 2 are not spaced by 1/fps"):
        _load(root)
    assert len(_load(root, episodes=[0, 1])) == 186


def test_video_timestamps_outside_tolerance_v30(dataset_copy):
    """v3: a from_timestamp that points between frames fails at decode time, naming file and key."""
    root = dataset_copy("pusht_v30")
    path = root / "meta/episodes/chunk-000/file-000.parquet"
    _rewrite_column(path, "videos/observation.image/from_timestamp", lambda v: v + 0.04)
    ds = _load(root)
    with pytest.raises(ValueError, match=r"violate the tolerance .*file-000\.mp4.*observation\.image"):
        ds[100]


@pytest.mark.parametrize("idx", [448, 10_000, -449])
def test_index_out_of_range(reference_fixtures, idx):
    ds = _load(reference_fixtures / "datasets" / "pusht_v30")
    with pytest.raises(
        IndexError, match=r"index -?\d+ out of range for dataset 'local/pusht_v30' of length 448"
    ):
        ds[idx]


def test_index_wrong_type(reference_fixtures):
    ds = _load(reference_fixtures / "datasets" / "pusht_v30")
    with pytest.raises(TypeError, match="dataset index must be an int or a slice"):
        ds["0"]


def test_unknown_episode(reference_fixtures):
    with pytest.raises(ValueError, match=r"episodes \[7\] are not in dataset 'local/pusht_v21' .*0\.\.4"):
        _load(reference_fixtures / "datasets" / "pusht_v21", episodes=[1, 7])


@pytest.mark.parametrize(
    ("episodes", "error", "match"),
    [
        ([], ValueError, r"episodes=\[\] selects no frames"),
        ([1, 1], ValueError, "episodes has duplicates"),
        (3, TypeError, "episodes must be a list"),
    ],
)
def test_bad_episodes_argument(reference_fixtures, episodes, error, match):
    with pytest.raises(error, match=match):
        _load(reference_fixtures / "datasets" / "pusht_v30", episodes=episodes)


@pytest.mark.parametrize("version", ["v1.6", "v1.0"])
def test_v1_dataset_is_refused(dataset_copy, version):
    root = dataset_copy("pusht_v21")
    _edit_info(root, codebase_version=version)
    with pytest.raises(BackwardCompatibilityError, match=rf"{re.escape(version)}.*convert"):
        _load(root)


@pytest.mark.parametrize("version", ["v4.0", "v2.5"])
def test_newer_version_is_refused(dataset_copy, version):
    root = dataset_copy("pusht_v30")
    _edit_info(root, codebase_version=version)
    with pytest.raises(ForwardCompatibilityError, match=rf"{re.escape(version)}, newer than"):
        _load(root)


@pytest.mark.parametrize("version", ["3.0", "latest", 3])
def test_malformed_version(dataset_copy, version):
    root = dataset_copy("pusht_v30")
    _edit_info(root, codebase_version=version)
    with pytest.raises(ValueError, match=r"info\.json: 'codebase_version' must be a string like 'v2\.1'"):
        _load(root)


def test_v20_uses_stats_json(dataset_copy):
    """A v2.0 dataset (global meta/stats.json, no episodes_stats.jsonl) loads; its stats are stats.json."""
    root = dataset_copy("pusht_v21")
    full = LeRobotDatasetMetadata("local/pusht_v21", root=root)
    (root / "meta/episodes_stats.jsonl").unlink()
    stats = {k: {s: np.asarray(v).tolist() for s, v in st.items()} for k, st in full.stats.items()}
    stats["action"]["max"] = [1.0, 2.0]
    (root / "meta/stats.json").write_text(json.dumps(stats))
    _edit_info(root, codebase_version="v2.0")
    with pytest.warns(UserWarning, match="v2.0"):
        ds = _load(root, episodes=[1, 2])
    assert ds.meta.stats["action"]["max"].tolist() == [1.0, 2.0]
    assert ds.stats["action"]["max"].tolist() == [1.0, 2.0]
    assert len(ds) == 90 + 76


def test_bad_video_backend(reference_fixtures):
    with pytest.raises(ValueError, match="video backend"):
        _load(reference_fixtures / "datasets" / "pusht_v30", video_backend="nope")
