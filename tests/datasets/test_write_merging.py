"""Saves write tail files that amortized merges fold into the size-limited files (writer.py docstring):
after every save the dataset on disk is a valid v3.0 dataset (data files in path order hold the rows
0..N-1 in order, as a glob-based loader reads them), and the writer's read view, extended in place,
equals a fresh load."""

import numpy as np
import pyarrow.parquet as pq
import torch

from lerobot.datasets.formats.v30 import episodes_schema
from lerobot.datasets.lerobot_dataset import LeRobotDataset
from lerobot.datasets.video_encoding import VideoEncodingConfig
from tests.datasets.factories import make_features, make_frame

FEATURES = {
    **make_features(n_cameras=1, camera_shape=(32, 32, 3), state_dim=3),
    "observation.images.top": {
        "dtype": "image",
        "shape": [16, 16, 3],
        "names": ["height", "width", "channels"],
    },
}


def _check_layout(root, n_frames, n_episodes):
    index = np.concatenate(
        [
            pq.read_table(p, columns=["index"]).column("index").to_numpy()
            for p in sorted(root.glob("data/*/*"))
        ]
    )
    np.testing.assert_array_equal(index, np.arange(n_frames))
    eps = np.concatenate(
        [
            pq.read_table(p, columns=["episode_index"]).column("episode_index").to_numpy()
            for p in sorted(root.glob("meta/episodes/*/*"))
        ]
    )
    np.testing.assert_array_equal(eps, np.arange(n_episodes))


def _assert_same_items(ds, fresh, indices, root):
    assert len(ds) == len(fresh) and ds.num_episodes == fresh.num_episodes
    assert ds.meta.episodes.to_pylist() == fresh.meta.episodes.to_pylist()
    for path in root.glob(
        "meta/episodes/*/*"
    ):  # tail files (no stored arrow schema) read back the same types
        assert pq.read_schema(path).remove_metadata() == episodes_schema(ds.features)
    for i in indices:
        a, b = ds[i], fresh[i]
        assert a.keys() == b.keys()
        for key in a:
            if isinstance(a[key], torch.Tensor):
                assert torch.equal(a[key], b[key]), (i, key)
            else:
                assert a[key] == b[key], (i, key)


def test_saves_extend_the_view_and_merges_keep_a_valid_dataset(tmp_path):
    root = tmp_path / "ds"
    ds = LeRobotDataset.create(
        "local/ds",
        10,
        FEATURES,
        root=root,
        video_config=VideoEncodingConfig(vcodec="h264", preset="ultrafast"),
        chunks_size=3,
    )
    rng = np.random.default_rng(0)
    window = {"action": [0.0, 0.1, 0.2], "observation.image": [-0.1, 0.0]}
    n_frames = 0
    for ep in range(10):
        length = 3 + ep % 3
        for i in range(length):
            ds.add_frame(make_frame(FEATURES, i, f"task {ep % 2}", rng))
        ds.save_episode()
        n_frames += length
        _check_layout(root, n_frames, ep + 1)
        fresh = LeRobotDataset("local/ds", root=root)
        _assert_same_items(ds, fresh, [0, n_frames // 2, n_frames - 1], root)
    # a merge after save 8 copied episodes 0..7 into one new file; episodes 8 and 9 are tails
    assert len(list(root.glob("data/*/*"))) == 3
    ds.finalize()  # the tail is copied into one more file, the merged file is not rewritten
    _check_layout(root, n_frames, 10)
    assert len(list(root.glob("data/*/*"))) == 2 and len(list(root.glob("videos/*/*/*"))) == 2
    fresh = LeRobotDataset("local/ds", root=root, delta_timestamps=window)
    ds.delta_timestamps = window
    ds._check_delta()
    ds._build_plan()
    _assert_same_items(ds, fresh, range(n_frames), root)
    assert all(ds.writer.bytes_written[k] > 0 for k in ("data", "videos", "meta/episodes", "meta"))


def test_unfinalized_dataset_reads_with_hf_datasets_as_the_reference_does(tmp_path):
    """The reference's loader reads every data / episodes parquet file, in path order, with HF `datasets`:
    a dataset mid-session (a head and tail files, never finalized) reads as one table in index order."""
    import datasets

    root = tmp_path / "ds"
    ds = LeRobotDataset.create(
        "local/ds",
        10,
        FEATURES,
        root=root,
        video_config=VideoEncodingConfig(vcodec="h264", preset="ultrafast"),
    )
    rng = np.random.default_rng(0)
    for ep in range(11):  # a merge after the 8th save: one file of episodes 0..7, tails 8..10
        for i in range(4):
            ds.add_frame(make_frame(FEATURES, i, f"task {ep % 2}", rng))
        ds.save_episode()
    assert len(list(root.glob("data/*/*.parquet"))) == 4
    cache = str(tmp_path / "hf_cache")
    data = datasets.Dataset.from_parquet(
        [str(p) for p in sorted(root.glob("data/*/*.parquet"))], cache_dir=cache
    )
    assert data["index"][:] == list(range(44))
    assert isinstance(data.features["observation.images.top"], datasets.Image)
    files = [str(p) for p in sorted(root.glob("meta/episodes/*/*.parquet"))]
    episodes = datasets.Dataset.from_parquet(files, cache_dir=cache)
    assert episodes["episode_index"][:] == list(range(11))
    assert episodes["dataset_to_index"][:] == [4 * (e + 1) for e in range(11)]
    ds.finalize()


def test_merges_copy_each_episode_once_into_new_files(tmp_path):
    """A merge copies the tail into new files and never rewrites a merged file (writer.py docstring): each
    file that holds several episodes keeps its inode until the end, and the session ends in O(log N) files
    (merges after 8 and 8 + 16 saves, then the tail at finalize)."""
    from lerobot.datasets.writing.merge import MERGE_RATIO, MIN_MERGE_TAIL

    assert (MIN_MERGE_TAIL, MERGE_RATIO) == (8, 2)
    features = {"observation.state": {"dtype": "float32", "shape": [3], "names": None}}
    root = tmp_path / "ds"
    ds = LeRobotDataset.create("local/ds", 10, features, root=root)
    rng = np.random.default_rng(0)
    merged: dict = {}  # path -> inode of every file holding more than one episode
    for ep in range(30):
        for _ in range(5):
            ds.add_frame({"observation.state": rng.standard_normal(3).astype(np.float32), "task": "t"})
        ds.save_episode()
        for path in [*root.glob("data/*/*.parquet"), *root.glob("meta/episodes/*/*.parquet")]:
            if pq.ParquetFile(path).metadata.num_rows > (5 if "data" in path.parts else 1):
                assert merged.setdefault(path, path.stat().st_ino) == path.stat().st_ino, (ep, path)
    assert len(list(root.glob("data/*/*.parquet"))) == 2 + 6  # [0..7], [8..23], tails 24..29
    data_written_before = ds.writer.bytes_written["data"]
    ds.finalize()
    _check_layout(root, 150, 30)
    files = sorted(root.glob("data/*/*.parquet"))
    assert [pq.ParquetFile(p).metadata.num_rows for p in files] == [40, 80, 30]
    assert all(p.stat().st_ino == ino for p, ino in merged.items())
    final_data = sum(p.stat().st_size for p in files)
    # finalize copied the 6 tail episodes once; in all, every row was written by its save and one copy
    assert ds.writer.bytes_written["data"] - data_written_before < final_data / 3
    assert len(LeRobotDataset("local/ds", root=root)) == 150
