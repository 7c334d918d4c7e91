"""`LeRobotDataset.create / add_frame / save_episode / finalize / resume`: what is written
reads back through the library's reader with identical values."""

import numpy as np
import pytest
import torch

from lerobot.datasets.lerobot_dataset import LeRobotDataset
from lerobot.datasets.video_encoding import VideoEncodingConfig
from tests.datasets.factories import make_features, make_frame


@pytest.mark.parametrize("use_videos", [False, True], ids=["images", "videos"])
def test_create_record_reload_resume(tmp_path, use_videos):
    features = make_features(n_cameras=2, camera_shape=(32, 48, 3), state_dim=4, use_videos=use_videos)
    ds = LeRobotDataset.create(
        "user/rec",
        fps=10,
        features=features,
        root=tmp_path / "rec",
        robot_type="arm",
        image_writer_threads=2,
        video_config=VideoEncodingConfig(vcodec="h264", crf=0),
    )
    assert len(ds) == 0 and ds.meta.fps == 10
    rng = np.random.default_rng(0)
    frames = []
    for ep, length in enumerate([6, 4]):
        for i in range(length):
            frame = make_frame(features, i, f"task {ep}", rng)
            frames.append(frame)
            ds.add_frame(frame)
        ds.save_episode()
        assert ds.meta.total_episodes == ep + 1
    ds.finalize()
    ds.finalize()  # idempotent
    assert len(ds) == 10 and ds.num_episodes == 2

    reread = LeRobotDataset("user/rec", root=tmp_path / "rec")
    for idx, frame in enumerate(frames):
        item = reread[idx]
        assert item["task"] == frame["task"]
        assert int(item["index"]) == idx
        assert torch.equal(item["observation.state"], torch.from_numpy(frame["observation.state"]))
        for key in ("observation.images.cam0", "observation.images.cam1"):
            expected = torch.from_numpy(frame[key]).permute(2, 0, 1).float() / 255
            if use_videos:  # lossy codec: close, and closest to its own source frame
                assert (item[key] - expected).abs().mean() < 0.04
            else:  # PNG in parquet: exact
                assert torch.equal(item[key], expected)

    again = LeRobotDataset.resume(
        "user/rec", root=tmp_path / "rec", video_config=VideoEncodingConfig(vcodec="h264", crf=0)
    )
    for i in range(3):
        again.add_frame(make_frame(features, i, "task 0", rng))
    again.save_episode()
    again.finalize()
    assert again.meta.total_episodes == 3 and len(again) == 13
    assert again[12]["task"] == "task 0" and int(again[12]["episode_index"]) == 2


def test_reader_cannot_write(tmp_path):
    from tests.datasets.factories import make_dataset

    root = make_dataset(
        tmp_path / "ds", n_episodes=1, episode_length=3, camera_shape=(32, 32, 3), vcodec="h264"
    )
    ds = LeRobotDataset("user/ds", root=root)
    with pytest.raises(RuntimeError, match="opened for reading"):
        ds.add_frame({})
    ds.finalize()  # no writer: nothing to do


def test_create_defaults_to_hf_lerobot_home(tmp_path):
    from lerobot.utils.constants import hf_lerobot_home

    features = make_features(n_cameras=1, camera_shape=(32, 32, 3), state_dim=2, use_videos=False)
    ds = LeRobotDataset.create("me/home_ds", fps=5, features=features)
    assert ds.root == hf_lerobot_home() / "me/home_ds"
    ds.add_frame(make_frame(features, 0, "t", np.random.default_rng(0)))
    ds.save_episode()
    ds.finalize()
    assert LeRobotDataset("me/home_ds")[0]["task"] == "t"  # found offline under $HF_LEROBOT_HOME
