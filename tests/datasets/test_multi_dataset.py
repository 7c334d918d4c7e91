"""MultiLeRobotDataset over the fixture datasets."""

import json
import shutil

import numpy as np
import pytest
import torch

from lerobot.datasets.compute_stats import aggregate_stats
from lerobot.datasets.lerobot_dataset import LeRobotDataset
from lerobot.datasets.multi_dataset import MultiLeRobotDataset


@pytest.fixture
def multi_root(reference_fixtures, tmp_path):
    """root/<repo_id> layout with the two pusht datasets and multicam."""
    for name in ("pusht_v21", "pusht_v30", "multicam_v30"):
        shutil.copytree(reference_fixtures / "datasets" / name, tmp_path / "local" / name)
    return tmp_path


def test_concatenation_and_common_features(multi_root):
    repo_ids = ["local/pusht_v30", "local/multicam_v30"]
    multi = MultiLeRobotDataset(repo_ids, root=multi_root, episodes={"local/pusht_v30": [2, 4]})
    a = LeRobotDataset("local/pusht_v30", root=multi_root / "local/pusht_v30", episodes=[2, 4])
    b = LeRobotDataset("local/multicam_v30", root=multi_root / "local/multicam_v30")
    assert len(multi) == len(a) + len(b) == multi.num_frames
    assert multi.num_episodes == 2 + 4
    assert multi.repo_id_to_index == {"local/pusht_v30": 0, "local/multicam_v30": 1}
    assert multi.fps == 10
    # state/action exist in both but with different shapes ([2] vs [6]): not common either
    common = {"timestamp", "frame_index", "episode_index", "index", "task_index"}
    assert set(multi.features) == common
    assert {
        "observation.image",
        "observation.images.front",
        "action",
        "observation.state",
    } <= multi.disabled_features
    assert multi.camera_keys == []

    first, last = multi[len(a) - 1], multi[len(a)]
    assert first["dataset_index"] == 0 and last["dataset_index"] == 1
    assert set(first) == common | {"task", "dataset_index"}
    assert first["index"] == a[len(a) - 1]["index"] and first["task"] == a[len(a) - 1]["task"]
    assert last["index"] == b[0]["index"] and last["task"] == b[0]["task"]
    assert multi[-1]["index"] == b[len(b) - 1]["index"]
    with pytest.raises(IndexError, match=f"out of range for MultiLeRobotDataset of length {len(multi)}"):
        multi[len(multi)]

    expected = aggregate_stats([{k: v for k, v in s.items() if k in common} for s in (a.stats, b.stats)])
    assert sorted(multi.stats) == sorted(common)
    for key in common:
        for stat in ("mean", "std", "min", "max", "count"):
            np.testing.assert_allclose(multi.stats[key][stat], expected[key][stat], err_msg=f"{key}/{stat}")


def test_delta_and_collate(multi_root):
    delta = {"action": [0.0, 0.1, 0.2]}
    multi = MultiLeRobotDataset(
        ["local/pusht_v21", "local/pusht_v30"], root=multi_root, delta_timestamps=delta
    )
    assert multi.camera_keys == ["observation.image"]
    batch = next(iter(torch.utils.data.DataLoader(multi, batch_size=4, sampler=[0, 95, 448, 543])))
    assert batch["action"].shape == (4, 3, 2)
    assert batch["action_is_pad"].tolist()[1] == [False, True, True]
    assert batch["dataset_index"].tolist() == [0, 0, 1, 1]
    # the two pusht datasets hold the same non-video data
    assert torch.equal(batch["action"][0], batch["action"][2])
    assert set(multi.stats) == set(multi.features) and multi.stats["action"]["count"].tolist() == [896]


def test_bad_arguments(multi_root):
    with pytest.raises(ValueError, match="non-empty list of repo ids"):
        MultiLeRobotDataset("local/pusht_v30", root=multi_root)
    with pytest.raises(ValueError, match=r"episodes has keys \['local/other'\] that are not in repo_ids"):
        MultiLeRobotDataset(["local/pusht_v30"], root=multi_root, episodes={"local/other": [0]})
    with pytest.raises(ValueError, match="duplicates"):
        MultiLeRobotDataset(["local/pusht_v30", "local/pusht_v30"], root=multi_root)


def test_tolerances_per_repo(multi_root):
    info = multi_root / "local/pusht_v21/meta/info.json"
    assert json.loads(info.read_text())["fps"] == 10
    multi = MultiLeRobotDataset(
        ["local/pusht_v21", "local/pusht_v30"], root=multi_root, tolerances_s={"local/pusht_v21": 0.01}
    )
    assert multi.tolerances_s == {"local/pusht_v21": 0.01, "local/pusht_v30": 1e-4}
