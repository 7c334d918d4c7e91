"""The hooks the write side uses: objects built for a root without reading it, and `_reload()`."""

import json
import shutil

import torch

from lerobot.datasets.lerobot_dataset import LeRobotDataset, LeRobotDatasetMetadata


def test_new_unloaded_then_reload(reference_fixtures, tmp_path):
    root = tmp_path / "ds"
    meta = LeRobotDatasetMetadata.unloaded("local/ds", root)
    ds = LeRobotDataset._new_unloaded(meta, delta_timestamps=None)
    assert len(ds) == 0 and ds.num_episodes == 0
    shutil.copytree(reference_fixtures / "datasets" / "multicam_v30", root)
    ds._reload()
    assert len(ds) == 138 and ds.num_episodes == 4 and ds.meta.total_episodes == 4
    ref = LeRobotDataset("local/multicam_v30", root=reference_fixtures / "datasets" / "multicam_v30")
    assert torch.equal(ds[137]["observation.images.front"], ref[137]["observation.images.front"])


def test_reload_sees_appended_episodes(dataset_copy):
    """A v2.1 dataset whose meta lists 3 episodes, then all 5 (as after save_episode): the view follows."""
    root = dataset_copy("pusht_v21")
    full = {name: (root / "meta" / name).read_text() for name in ("info.json", "episodes.jsonl")}
    info = json.loads(full["info.json"])
    info.update(total_episodes=3, total_frames=96 + 90 + 76)
    (root / "meta/info.json").write_text(json.dumps(info))
    (root / "meta/episodes.jsonl").write_text("".join(full["episodes.jsonl"].splitlines(keepends=True)[:3]))
    ds = LeRobotDataset("local/pusht_v21", root=root, delta_timestamps={"action": [0.0, 0.1]})
    assert len(ds) == 262 and ds[261]["action_is_pad"].tolist() == [False, True]
    for name, text in full.items():
        (root / "meta" / name).write_text(text)
    ds._reload()
    assert len(ds) == 448 and ds.num_episodes == 5
    assert ds.meta.stats["index"]["count"].tolist() == [448]
    assert ds[447]["episode_index"] == 4 and ds[261]["action_is_pad"].tolist() == [False, True]


def test_empty_v3_dataset_loads_with_no_frames(tmp_path, reference_fixtures):
    """A v3 dataset created but with no episode saved yet: only info.json exists."""
    root = tmp_path / "empty"
    (root / "meta").mkdir(parents=True)
    info = json.loads((reference_fixtures / "datasets/pusht_v30/meta/info.json").read_text())
    info.update(total_episodes=0, total_frames=0, total_tasks=0, splits={})
    (root / "meta/info.json").write_text(json.dumps(info))
    ds = LeRobotDataset("local/empty", root=root)
    assert len(ds) == 0 and ds.num_episodes == 0 and ds.meta.stats is None
    assert ds.meta.camera_keys == ["observation.image"]
