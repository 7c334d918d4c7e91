"""The attributes the early README's dataset tour shows on `LeRobotDataset` (info, videos_dir, camera_keys,
video_keys, fps, episode_data_index, hf_dataset, stats)."""

import json

import numpy as np

from lerobot.datasets.lerobot_dataset import LeRobotDataset
from tests.datasets.factories import make_dataset, make_features


def test_tour_attributes(tmp_path):
    features = make_features(n_cameras=2, camera_shape=(16, 16, 3))
    features["observation.images.cam1"]["dtype"] = "image"  # one mp4 camera, one PNG camera
    root = make_dataset(
        tmp_path / "ds", n_episodes=3, episode_length=[4, 5, 3], features=features, vcodec="h264"
    )
    ds = LeRobotDataset("me/tour", root=root, episodes=[2, 0])
    assert (
        ds.info == json.loads((root / "meta/info.json").read_text()) and ds.info["codebase_version"] == "v3.0"
    )
    assert ds.fps == 10 == ds.info["fps"]
    assert ds.camera_keys == ["observation.images.cam0", "observation.images.cam1"]
    assert ds.video_keys == ["observation.images.cam0"]
    assert ds.videos_dir == root / "videos"
    mp4s = sorted(p.relative_to(ds.videos_dir).parts[0] for p in ds.videos_dir.rglob("*.mp4"))
    assert set(mp4s) == set(ds.video_keys)
    # rows of the selection, in global order: episode 0 (4 frames) then episode 2 (3 frames)
    assert ds.episode_data_index["from"].tolist() == [0, 4] and ds.episode_data_index["to"].tolist() == [4, 7]
    assert len(ds.hf_dataset) == len(ds) == 7
    assert ds.hf_dataset[5]["episode_index"].item() == 2
    # stats of the selected episodes only
    actions = np.stack([ds[i]["action"].numpy() for i in range(len(ds))])
    np.testing.assert_allclose(ds.stats["action"]["mean"], actions.mean(0), rtol=1e-5, atol=1e-6)
