"""`LeRobotDataset.hf_dataset` / `hf_features`: HF `datasets` views of the loaded frames.

Checked on the reference fixtures (v2.1 and v3.0, with and without an image column), on factory datasets
with image/string/float64/int32/2-D features, on a Hub download, and while a dataset is being recorded.
"""

import json
import pickle
import subprocess
import sys

import numpy as np
import pyarrow.parquet as pq
import pytest
import torch

from lerobot.datasets.lerobot_dataset import LeRobotDataset
from tests.datasets.conftest import FIXTURE_DATASETS, load_expected
from tests.datasets.factories import make_dataset, make_features, make_frame

datasets = pytest.importorskip("datasets")  # the `hf` extra (part of `test`)


def open_fixture(reference_fixtures, name: str, **kwargs) -> LeRobotDataset:
    return LeRobotDataset(f"local/{name}", root=reference_fixtures / "datasets" / name, **kwargs)


def non_video_keys(ds: LeRobotDataset) -> list[str]:
    return [k for k, ft in ds.features.items() if ft["dtype"] != "video"]


def assert_rows_equal_items(ds: LeRobotDataset) -> None:
    """Every hf_dataset row equals ds[i] on every non-video key: same type, dtype, shape and values."""
    hf = ds.hf_dataset
    keys = non_video_keys(ds)
    assert len(hf) == len(ds) and list(hf.column_names) == keys
    for i in range(len(ds)):
        row, item = hf[i], ds[i]
        assert list(row) == keys, i
        for key in keys:
            if isinstance(item[key], str):
                assert row[key] == item[key], (i, key)
                continue
            assert isinstance(row[key], torch.Tensor), (i, key)
            assert row[key].dtype == item[key].dtype and row[key].shape == item[key].shape, (i, key)
            assert torch.equal(row[key], item[key]), (i, key)


def fixture_file_features(root) -> list[dict]:
    """The `datasets` features each data parquet file of `root` declares in its schema metadata."""
    out = []
    for path in sorted(root.glob("data/*/*.parquet")):
        meta = json.loads(pq.read_schema(path).metadata[b"huggingface"])
        out.append(meta["info"]["features"])
    return out


@pytest.mark.parametrize("name", FIXTURE_DATASETS)
def test_rows_equal_items_on_reference_fixtures(reference_fixtures, name):
    ds = open_fixture(reference_fixtures, name)
    assert_rows_equal_items(ds)
    # ... and the reference's own items (rows = global indices: the whole dataset is loaded).
    meta, expected = load_expected(reference_fixtures, name)
    for idx in meta["indices"]:
        row = ds.hf_dataset[idx]
        for key in non_video_keys(ds):
            ref = expected[f"idx{idx}/{key}"]
            assert row[key].dtype == ref.dtype and torch.equal(row[key], ref), (idx, key)
    assert isinstance(ds.hf_dataset[0]["index"], torch.Tensor) and ds.hf_dataset[0]["index"].ndim == 0
    assert ds.hf_dataset[0]["index"].dtype == torch.int64
    assert ds.hf_dataset[0]["timestamp"].dtype == torch.float32


@pytest.mark.parametrize("name", FIXTURE_DATASETS)
def test_features_are_what_the_data_files_declare(reference_fixtures, name):
    ds = open_fixture(reference_fixtures, name)
    features = ds.hf_features
    assert isinstance(features, datasets.Features)
    for declared in fixture_file_features(ds.root):
        assert features == datasets.Features.from_dict(declared)
    assert not set(features) & set(ds.meta.video_keys)
    assert ds.hf_dataset.features == features
    if "observation.images.top" in features:
        assert isinstance(features["observation.images.top"], datasets.Image)
    assert features["index"] == datasets.Value("int64")


@pytest.mark.parametrize(("name", "episodes"), [("pusht_v21", [3, 1]), ("multicam_v30", [3, 0])])
def test_episode_subsets_keep_the_dataset_order(reference_fixtures, name, episodes):
    ds = open_fixture(reference_fixtures, name, episodes=episodes)
    assert_rows_equal_items(ds)
    meta, _ = load_expected(reference_fixtures, name)
    ranges = sorted((meta["episode_from_index"][e], meta["episode_to_index"][e]) for e in episodes)
    expected_index = [i for start, stop in ranges for i in range(start, stop)]
    assert torch.stack(list(ds.hf_dataset["index"])).tolist() == expected_index
    assert sorted(ds.hf_dataset.unique("episode_index")) == sorted(episodes)


def test_column_access_select_columns_and_unique(reference_fixtures):
    ds = open_fixture(reference_fixtures, "pusht_v30")
    hf = ds.hf_dataset
    episode_col = list(hf["episode_index"])
    assert len(episode_col) == len(ds)
    assert all(isinstance(v, torch.Tensor) and v.ndim == 0 and v.dtype == torch.int64 for v in episode_col)
    assert torch.equal(torch.stack(episode_col), torch.from_numpy(ds._cols["episode_index"]))
    assert sorted(hf.unique("task_index")) == [0, 1]

    actions = hf.select_columns("action")
    assert actions.column_names == ["action"] and len(actions) == len(ds)
    assert set(actions[5]) == {"action"} and torch.equal(actions[5]["action"], ds[5]["action"])
    batch = hf[10:13]
    assert [int(v) for v in batch["index"]] == [10, 11, 12]
    assert torch.equal(torch.stack(batch["action"]), torch.stack([ds[i]["action"] for i in range(10, 13)]))
    assert ds.hf_dataset is hf  # cached on the instance


def test_the_arrow_columns_share_the_loaded_memory(reference_fixtures):
    ds = open_fixture(reference_fixtures, "multicam_v30")
    table = ds.hf_dataset.data
    for key in ("action", "index", "timestamp"):
        values = table.column(key).chunk(0)
        values = values.flatten() if values.type.num_fields else values
        assert values.buffers()[1].address == ds._cols[key].ctypes.data, key
    png = table.column("observation.images.top").chunk(0).field("bytes")
    assert png.buffers()[2].address == ds._cols["observation.images.top"].data.ctypes.data


def test_factory_dataset_with_image_string_and_unusual_dtypes(tmp_path):
    features = make_features(camera_shape=(12, 16, 3), state_dim=3, use_videos=False)
    features["observation.images.gray"] = {
        "dtype": "image",
        "shape": [8, 10, 1],
        "names": ["height", "width", "channels"],
    }
    features["observation.effort"] = {"dtype": "float64", "shape": [2, 3], "names": None}
    features["counter"] = {"dtype": "int32", "shape": [1], "names": None}
    features["contact"] = {"dtype": "bool", "shape": [2], "names": None}
    features["note"] = {"dtype": "string", "shape": [1], "names": None}
    root = make_dataset(tmp_path / "ds", n_episodes=3, episode_length=[4, 5, 3], features=features)
    ds = LeRobotDataset("local/factory", root=root)
    assert_rows_equal_items(ds)
    row = ds.hf_dataset[6]
    assert row["observation.image"].shape == (3, 12, 16) and row["observation.image"].dtype == torch.float32
    assert row["observation.images.gray"].shape == (1, 8, 10)
    assert row["observation.effort"].dtype == torch.float64 and row["observation.effort"].shape == (2, 3)
    assert row["counter"].dtype == torch.int32 and row["contact"].dtype == torch.bool
    assert row["note"] == "note-2"  # frame 2 of episode 1
    assert isinstance(ds.hf_features["observation.image"], datasets.Image)
    assert fixture_file_features(root) and all(
        ds.hf_features == datasets.Features.from_dict(declared) for declared in fixture_file_features(root)
    )
    subset = LeRobotDataset("local/factory", root=root, episodes=[2])
    assert_rows_equal_items(subset)
    assert [int(i) for i in subset.hf_dataset["index"]] == [9, 10, 11]


def test_after_a_hub_download(reference_fixtures, tmp_path, monkeypatch):
    from tests.utils.hub_server import HubRepo, HubServer

    folder = reference_fixtures / "datasets" / "multicam_v30"
    with HubServer({"user/multicam": HubRepo(folder, tags_on_main=("v3.0",))}) as server:
        server.use(monkeypatch)
        ds = LeRobotDataset("user/multicam", root=tmp_path / "mc", episodes=[1])
    assert_rows_equal_items(ds)
    meta, expected = load_expected(reference_fixtures, "multicam_v30")
    row = ds.hf_dataset[67 - meta["episode_from_index"][1]]
    for key in non_video_keys(ds):
        assert torch.equal(row[key], expected[f"idx67/{key}"]), key


def test_while_recording_it_follows_saved_episodes(tmp_path):
    features = make_features(camera_shape=(8, 8, 3), state_dim=2, use_videos=False)
    ds = LeRobotDataset.create(
        "local/rec", fps=10, features=features, root=tmp_path / "rec", use_videos=False
    )
    try:
        assert len(ds.hf_dataset) == 0 and ds.hf_dataset.features == ds.hf_features
        rng = np.random.default_rng(0)
        for n_frames in (3, 4):
            for i in range(n_frames):
                ds.add_frame(make_frame(features, i, "Pick up the red cube.", rng))
            ds.save_episode()
            assert_rows_equal_items(ds)
        assert [int(e) for e in ds.hf_dataset["episode_index"]] == [0] * 3 + [1] * 4
    finally:
        ds.finalize()
    assert len(ds.hf_dataset) == 7


def test_the_cache_is_not_pickled(reference_fixtures):
    ds = open_fixture(reference_fixtures, "pusht_v30")
    ds.hf_dataset  # noqa: B018  (builds the cache)
    assert "_hf_cache" not in ds.__getstate__()
    clone = pickle.loads(pickle.dumps(ds))  # what a spawned DataLoader worker receives
    assert torch.equal(clone.hf_dataset[3]["action"], ds[3]["action"])


def test_datasets_is_imported_only_on_first_access(reference_fixtures):
    root = reference_fixtures / "datasets" / "multicam_v30"
    code = (
        "import sys\n"
        "import lerobot\n"
        "from lerobot.datasets.lerobot_dataset import LeRobotDataset\n"
        f"ds = LeRobotDataset('local/multicam_v30', root={str(root)!r}, episodes=[1])\n"
        "ds[0]\n"
        "assert 'datasets' not in sys.modules, 'datasets imported before hf_dataset was used'\n"
        "ds.hf_dataset\n"
        "assert 'datasets' in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("attribute", ["hf_dataset", "hf_features"])
def test_missing_datasets_package_names_the_extra(reference_fixtures, monkeypatch, attribute):
    ds = open_fixture(reference_fixtures, "pusht_v30")
    monkeypatch.setitem(sys.modules, "datasets", None)  # `import datasets` now raises ImportError
    with pytest.raises(ImportError, match=r"lerobot\[hf\]"):
        getattr(ds, attribute)


def test_large_image_columns_are_split_into_int32_offset_chunks(reference_fixtures, monkeypatch):
    from lerobot.datasets import hf_compat

    monkeypatch.setattr(hf_compat, "_MAX_BINARY_CHUNK_BYTES", 20_000)  # ~ a few PNGs per chunk
    ds = open_fixture(reference_fixtures, "multicam_v30", episodes=[2])
    assert ds.hf_dataset.data.column("observation.images.top").num_chunks > 1
    assert_rows_equal_items(ds)
