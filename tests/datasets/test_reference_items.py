"""Every fixture dataset loads and matches the items, stats and tables the reference produced."""

import numpy as np
import pytest
import torch

from lerobot.datasets.lerobot_dataset import LeRobotDataset, LeRobotDatasetMetadata
from tests.datasets.conftest import FIXTURE_DATASETS, load_expected


@pytest.mark.parametrize("name", FIXTURE_DATASETS)
@pytest.mark.parametrize("with_delta", [False, True], ids=["plain", "delta"])
def test_items_match_reference(reference_fixtures, name, with_delta):
    exp, tensors = load_expected(reference_fixtures, name)
    ds = LeRobotDataset(
        f"local/{name}",
        root=reference_fixtures / "datasets" / name,
        delta_timestamps=exp["delta_timestamps"] if with_delta else None,
    )
    assert len(ds) == exp["len"] == ds.num_frames
    assert ds.num_episodes == exp["num_episodes"]
    assert ds.fps == exp["fps"]
    assert ds.meta.camera_keys == exp["camera_keys"]
    assert ds.meta.video_keys == exp["video_keys"]
    assert ds.meta.image_keys == exp["image_keys"]
    prefix = "delta/" if with_delta else ""
    for spec in exp["items"]:
        i = spec["index"]
        item = ds[i]
        keys = spec["delta_keys"] if with_delta else spec["keys"]
        assert sorted(k for k in item if k != "task") == sorted(keys)
        assert item["task"] == (spec["delta_task"] if with_delta else spec["task"])
        for key in keys:
            expected = tensors[f"{prefix}idx{i}/{key}"]
            actual = item[key]
            assert actual.dtype == expected.dtype, (i, key)
            assert actual.shape == expected.shape, (i, key)
            if actual.dtype.is_floating_point and key not in ds.meta.camera_keys:
                torch.testing.assert_close(actual, expected, atol=1e-6, rtol=0, msg=f"item {i} key {key}")
            else:  # integers, bools, masks and decoded pixels: exact
                assert torch.equal(actual, expected), f"item {i} key {key}"


@pytest.mark.parametrize("name", FIXTURE_DATASETS)
def test_metadata_matches_reference(reference_fixtures, name):
    exp, _ = load_expected(reference_fixtures, name)
    root = reference_fixtures / "datasets" / name
    meta = LeRobotDatasetMetadata(f"local/{name}", root=root)
    assert meta.codebase_version == exp["codebase_version"]
    assert meta.total_frames == exp["len"]
    assert meta.total_episodes == exp["num_episodes"]
    assert meta.task_list == exp["tasks"]
    for i, task in enumerate(exp["tasks"]):
        assert meta.get_task_index(task) == i
    assert meta.get_task_index("not a task") is None

    # stats: every feature, every statistic (float to 1e-6 relative, counts exactly)
    assert sorted(meta.stats) == sorted(exp["stats"])
    for key, ft_stats in exp["stats"].items():
        assert sorted(meta.stats[key]) == sorted(ft_stats), key
        for stat, value in ft_stats.items():
            np.testing.assert_allclose(
                meta.stats[key][stat], np.asarray(value), rtol=1e-6, atol=1e-12, err_msg=f"{key}/{stat}"
            )

    ranges = [meta.episode_range(e) for e in meta.episode_indices]
    assert [r[0] for r in ranges] == exp["episode_from_index"]
    assert [r[1] for r in ranges] == exp["episode_to_index"]

    ds = LeRobotDataset(f"local/{name}", root=root)
    assert ds.episode_data_index["from"].tolist() == exp["episode_from_index"]
    assert ds.episode_data_index["to"].tolist() == exp["episode_to_index"]

    if meta.codebase_version.startswith("v2"):
        assert isinstance(meta.tasks, dict) and list(meta.tasks.values()) == exp["tasks"]
        assert [meta.episodes[e] for e in sorted(meta.episodes)] == exp["episodes_table"]
    else:
        assert list(meta.tasks.index) == exp["tasks"]
        assert meta.tasks["task_index"].tolist() == list(range(len(exp["tasks"])))
        rows = meta.episodes.to_pylist()
        assert len(rows) == len(exp["episodes_table"])
        for row, exp_row in zip(rows, exp["episodes_table"], strict=True):
            assert sorted(row) == sorted(exp_row)
            for col, value in exp_row.items():
                if isinstance(value, float):
                    assert row[col] == pytest.approx(value, abs=1e-9), col
                else:
                    assert row[col] == value, col
        assert meta.episodes["dataset_from_index"] == exp["episode_from_index"]
        assert meta.episodes["dataset_to_index"] == exp["episode_to_index"]


@pytest.mark.parametrize("name", FIXTURE_DATASETS)
def test_item_contract(reference_fixtures, name):
    """Item types: 0-dim tensors for [1] features, task str, (C,H,W) float in [0,1]; uint8 on request."""
    root = reference_fixtures / "datasets" / name
    ds = LeRobotDataset(f"local/{name}", root=root)
    item = ds[len(ds) - 1]
    assert isinstance(item["task"], str)
    for key, ft in ds.features.items():
        if ft["dtype"] in ("image", "video"):
            h, w, c = ft["shape"]
            assert item[key].shape == (c, h, w) and item[key].dtype == torch.float32
            assert item[key].min() >= 0.0 and item[key].max() <= 1.0
        elif ft["shape"] == [1]:
            assert item[key].ndim == 0, key
        else:
            assert tuple(item[key].shape) == tuple(ft["shape"]), key
    ds8 = LeRobotDataset(f"local/{name}", root=root, return_uint8=True)
    item8 = ds8[len(ds) - 1]
    for key in ds.meta.camera_keys:
        assert item8[key].dtype == torch.uint8
        assert torch.equal(item8[key].float() / 255, item[key])
    assert ds[-1]["index"] == item["index"]


def test_slicing_and_transform_setters(reference_fixtures):
    ds = LeRobotDataset("local/pusht_v30", root=reference_fixtures / "datasets" / "pusht_v30")
    items = ds[94:98]
    assert [int(it["index"]) for it in items] == [94, 95, 96, 97]
    assert [int(it["index"]) for it in ds[-2:]] == [446, 447]
    ds.set_image_transforms(lambda x: x * 0)
    assert ds[5]["observation.image"].max() == 0
    ds.clear_image_transforms()
    assert ds[5]["observation.image"].max() > 0
    with pytest.raises(TypeError, match="image_transforms must be callable"):
        ds.set_image_transforms("flip")


def test_default_root_is_hf_lerobot_home(reference_fixtures, monkeypatch, tmp_path):
    import shutil

    monkeypatch.setenv("HF_LEROBOT_HOME", str(tmp_path / "home"))
    shutil.copytree(reference_fixtures / "datasets" / "pusht_v21", tmp_path / "home" / "local" / "pusht_v21")
    ds = LeRobotDataset("local/pusht_v21", episodes=[2])
    assert ds.root == tmp_path / "home" / "local" / "pusht_v21"
    assert len(ds) == 76 and ds.meta.robot_type == "2d pointer"
    with pytest.raises(FileNotFoundError, match=r"meta/info\.json missing under .*home/local/absent"):
        LeRobotDatasetMetadata("local/absent")
