"""lerobot.datasets.tools.edits on the reference fixture datasets and small factory datasets: outputs
load with the kept episodes' frames equal to the source's, sources stay byte-identical, bad arguments are
refused before anything is written."""

import json

import av
import numpy as np
import pytest

from lerobot.datasets.lerobot_dataset import LeRobotDataset
from lerobot.datasets.tools import edits
from lerobot.datasets.tools.check import check_dataset
from lerobot.datasets.video_encoding import VideoEncodingConfig
from tests.datasets.factories import make_dataset
from tests.datasets.tools.helpers import assert_same_episodes, tree_hash


def _packets(path):
    with av.open(str(path)) as c:
        return [bytes(p) for p in c.demux(video=0) if p.size]


@pytest.mark.parametrize("name", ["pusht_v30", "multicam_v30"])
def test_delete_episodes_on_fixtures(name, fixture_dataset_root, tmp_path):
    src = fixture_dataset_root(name)
    before = tree_hash(src)
    n = LeRobotDataset("local/src", root=src).num_episodes
    out = edits.delete_episodes(src, [0, 2], new_root=tmp_path / "out")
    assert tree_hash(src) == before
    kept = [e for e in range(n) if e not in (0, 2)]
    assert_same_episodes(src, out, {s: i for i, s in enumerate(kept)}, tmp_path)
    assert check_dataset(out) == []
    info = json.loads((out / "meta/info.json").read_text())
    assert info["total_episodes"] == len(kept) and info["splits"] == {"train": f"0:{len(kept)}"}
    # stats recomputed for the renumbered columns and aggregated over the kept episodes only
    stats = json.loads((out / "meta/stats.json").read_text())
    assert stats["episode_index"]["max"] == [len(kept) - 1] and stats["index"]["count"] == [
        info["total_frames"]
    ]
    src_eps = LeRobotDataset("l/s", root=src).meta.episodes_stats
    out_eps = LeRobotDataset("l/o", root=out).meta.episodes_stats
    for new, old in enumerate(kept):
        for key in ("action", "observation.state"):
            assert np.allclose(out_eps[new][key]["mean"], src_eps[old][key]["mean"])


def test_delete_stream_copies_video(fixture_dataset_root, tmp_path):
    """The kept episodes' packets are the source's own (no re-encode)."""
    src = fixture_dataset_root("pusht_v30")
    out = edits.delete_episodes(src, [1], new_root=tmp_path / "out")
    a, b = LeRobotDataset("l/a", root=src), LeRobotDataset("l/b", root=out)
    key = "observation.image"
    src_packets = _packets(src / a.meta.get_video_file_path(0, key))
    out_packets = _packets(out / b.meta.get_video_file_path(0, key))
    assert len(out_packets) == b.num_frames
    assert out_packets[: b.meta.episode_range(0)[1]] == src_packets[: a.meta.episode_range(0)[1]]


def test_split_fractions_and_lists(fixture_dataset_root, tmp_path):
    src = fixture_dataset_root("pusht_v30")
    before = tree_hash(src)
    outs = edits.split(src, {"train": 0.6, "val": 0.4}, output_dir=tmp_path / "s")
    assert tree_hash(src) == before
    n = LeRobotDataset("l/a", root=src).num_episodes  # 5: 3 + 2
    assert_same_episodes(src, outs["train"], {0: 0, 1: 1, 2: 2}, tmp_path / "t")
    assert_same_episodes(src, outs["val"], {3: 0, 4: 1}, tmp_path / "v")
    assert n == 5
    outs = edits.split(src, {"a": [4, 1], "b": [0]}, output_dir=tmp_path / "l")
    assert_same_episodes(src, outs["a"], {4: 0, 1: 1}, tmp_path / "a")


def test_merge_renumbers_episodes_and_tasks(tmp_path):
    a = make_dataset(
        tmp_path / "a", n_episodes=2, episode_length=6, vcodec="h264", tasks=["t0", "t1"], seed=1
    )
    b = make_dataset(
        tmp_path / "b", n_episodes=2, episode_length=5, vcodec="h264", tasks=["t1", "t2"], seed=2
    )
    ha, hb = tree_hash(a), tree_hash(b)
    out = edits.merge([a, b], new_root=tmp_path / "m")
    assert (tree_hash(a), tree_hash(b)) == (ha, hb)
    assert_same_episodes(a, out, {0: 0, 1: 1}, tmp_path / "x", total=4)
    assert_same_episodes(b, out, {0: 2, 1: 3}, tmp_path / "y", total=4)
    ds = LeRobotDataset("l/m", root=out)
    assert ds.meta.task_list == ["t0", "t1", "t2"]
    assert [ds[ds.meta.episode_range(e)[0]]["task"] for e in range(4)] == ["t0", "t1", "t1", "t2"]
    assert check_dataset(out) == []


def test_merge_refuses_mismatches(tmp_path):
    a = make_dataset(tmp_path / "a", n_episodes=1, episode_length=4, vcodec="h264")
    b = make_dataset(tmp_path / "b", n_episodes=1, episode_length=4, vcodec="h264", fps=20)
    c = make_dataset(tmp_path / "c", n_episodes=1, episode_length=4, vcodec="h264", state_dim=3)
    with pytest.raises(ValueError, match="fps 20"):
        edits.merge([a, b], new_root=tmp_path / "m")
    with pytest.raises(ValueError, match="features differ.*observation.state"):
        edits.merge([a, c], new_root=tmp_path / "m")
    assert not (tmp_path / "m").exists()


def test_remove_and_add_feature(fixture_dataset_root, tmp_path):
    src = fixture_dataset_root("multicam_v30")
    before = tree_hash(src)
    out = edits.remove_feature(src, ["observation.images.wrist"], new_root=tmp_path / "r")
    assert "observation.images.wrist" not in LeRobotDataset("l/r", root=out).features
    assert not (out / "videos/observation.images.wrist").exists()
    n = LeRobotDataset("l/r", root=out).num_frames
    values = np.arange(n, dtype=np.float32)[:, None] * np.ones((1, 2), np.float32)
    np.save(tmp_path / "v.npy", values)
    out2 = edits.add_feature(
        out, "reward2", tmp_path / "v.npy", {"dtype": "float32", "shape": [2]}, tmp_path / "a"
    )
    ds = LeRobotDataset("l/a", root=out2)
    assert ds[7]["reward2"].tolist() == [7.0, 7.0]
    assert ds.meta.stats["reward2"]["max"].tolist() == [n - 1, n - 1]
    assert_same_episodes(src, out2, {e: e for e in range(ds.num_episodes)}, tmp_path)
    assert tree_hash(src) == before
    assert check_dataset(out2) == []


def test_modify_tasks(fixture_dataset_root, tmp_path):
    src = fixture_dataset_root("pusht_v30")
    out = edits.modify_tasks(src, new_task="push", episode_tasks={3: "push harder"}, new_root=tmp_path / "o")
    ds = LeRobotDataset("l/o", root=out)
    assert ds.meta.task_list == ["push", "push harder"]
    assert_same_episodes(
        src, out, {e: e for e in range(5)}, tmp_path, task_of=lambda n, t: "push harder" if n == 3 else "push"
    )


def test_image_to_video_and_reencode(tmp_path):
    src = make_dataset(
        tmp_path / "img", n_episodes=2, episode_length=6, use_videos=False, camera_shape=(32, 32, 3)
    )
    before = tree_hash(src)
    cfg = VideoEncodingConfig(vcodec="h264", crf=0, pix_fmt="yuv444p")
    out = edits.convert_image_to_video(src, new_root=tmp_path / "vid", video_config=cfg)
    assert tree_hash(src) == before
    ds, img = LeRobotDataset("l/v", root=out), LeRobotDataset("l/i", root=src)
    assert (
        ds.meta.video_keys == ["observation.image"] and ds.meta.info["features"]["observation.image"]["info"]
    )
    # lossless-ish h264 (crf 0, yuv444p): frames within RGB<->YUV rounding of the PNGs
    for i in (0, 7, 11):
        assert (ds[i]["observation.image"] - img[i]["observation.image"]).abs().max() < 0.03
    out2 = edits.reencode(out, VideoEncodingConfig(vcodec="h264", crf=40), new_root=tmp_path / "re")
    info = json.loads((out2 / "meta/info.json").read_text())
    assert info["features"]["observation.image"]["info"]["video.codec"] == "h264"
    assert check_dataset(out2) == []


def test_v21_is_refused_with_how_to_convert(fixture_dataset_root, tmp_path):
    with pytest.raises(ValueError, match="lerobot.datasets.convert --from v2.1 --to v3.0"):
        edits.delete_episodes(fixture_dataset_root("pusht_v21"), [0], new_root=tmp_path / "o")


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda r, o: edits.delete_episodes(r, [0, 99], new_root=o), r"episode\(s\) \[99\] not in"),
        (lambda r, o: edits.delete_episodes(r, [0, 1, 2, 3, 4], new_root=o), "no episode"),
        (
            lambda r, o: edits.remove_feature(r, ["observation.stat"], new_root=o),
            "Did you mean 'observation.state'",
        ),
        (lambda r, o: edits.split(r, {"a": 0.5, "b": 0.4}, output_dir=o), "sum to 1"),
        (
            lambda r, o: edits.split(r, {"a": 0.95, "b": 0.05}, output_dir=o),
            "split 'b' would hold no episode",
        ),
        (lambda r, o: edits.modify_tasks(r, episode_tasks={7: "x"}, new_root=o), r"\[7\] not in"),
        (
            lambda r, o: edits.add_feature(
                r, "x", np.zeros(3), {"dtype": "float32", "shape": [1]}, new_root=o
            ),
            r"shape \(3,\); expected \(448,\)",
        ),
    ],
)
def test_bad_arguments_write_nothing(call, match, fixture_dataset_root, tmp_path):
    src = fixture_dataset_root("pusht_v30")
    with pytest.raises(ValueError, match=match):
        call(src, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert list(tmp_path.iterdir()) == []


def test_segment_not_on_a_keyframe_is_reencoded(tmp_path):
    """A source whose episodes share one long GOP: the kept episode's segment does not start on a keyframe,
    so it is decoded and re-encoded (frames close to the source's, camera stats recomputed)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from lerobot.datasets.video_encoding import encode_video_arrays

    src = make_dataset(
        tmp_path / "src", n_episodes=2, episode_length=8, vcodec="h264", camera_shape=(32, 32, 3)
    )
    a = LeRobotDataset("l/a", root=src)
    frames = [
        (a[i]["observation.image"].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8) for i in range(16)
    ]
    video = src / "videos/observation.image/chunk-000/file-000.mp4"
    encode_video_arrays(iter(frames), video, 10, VideoEncodingConfig(vcodec="h264", g=100, crf=0))
    episodes = src / "meta/episodes/chunk-000/file-000.parquet"
    table = pq.read_table(episodes)
    for col, values in (("from_timestamp", [0.0, 0.8]), ("to_timestamp", [0.8, 1.6])):
        name = f"videos/observation.image/{col}"
        i = table.schema.get_field_index(name)
        table = table.set_column(i, table.schema.field(i), pa.array(values, pa.float64()))
    pq.write_table(table, episodes)
    src_ds = LeRobotDataset("l/s", root=src)
    out = edits.delete_episodes(src, [0], new_root=tmp_path / "out")
    b = LeRobotDataset("l/b", root=out)
    assert b.num_frames == 8
    for i in range(8):
        img = b[i]["observation.image"]
        diff = (img - src_ds[8 + i]["observation.image"]).abs().mean()
        # re-encoded with the source's codec settings (h264, crf 30): close, and the right frame (not a neighbour)
        assert diff < 0.04, (i, diff)
        neighbour = src_ds[8 + (i + 1 if i < 7 else i - 1)]["observation.image"]
        assert (img - neighbour).abs().mean() > 2 * diff
    assert check_dataset(out) == []
    assert b.meta.episodes_stats[0]["observation.image"]["mean"].shape == (3, 1, 1)


def test_outputs_follow_the_file_size_limits(tmp_path):
    """A source with tiny size limits (many data / video / episodes files): the output packs by the same
    limits and reads back equal."""
    src = make_dataset(
        tmp_path / "src", n_episodes=4, episode_length=5, vcodec="h264", camera_shape=(32, 32, 3),
        data_files_size_in_mb=0.001, video_files_size_in_mb=0.001,
    )  # fmt: skip
    out = edits.delete_episodes(src, [1], new_root=tmp_path / "out")
    # (data files are packed by the rows' in-memory size, videos by their bytes on disk)
    assert len(list(out.glob("data/*/*.parquet"))) > 1 and len(list(out.glob("videos/*/*/*.mp4"))) == 3
    assert_same_episodes(src, out, {0: 0, 2: 1, 3: 2}, tmp_path)
    assert check_dataset(out) == []


def test_failed_edit_leaves_no_partial_output(fixture_dataset_root, tmp_path, monkeypatch):
    from lerobot.datasets.tools import rewrite

    def boom(*a, **k):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(rewrite, "concatenate_videos", boom)
    with pytest.raises(OSError, match="disk full"):
        edits.delete_episodes(fixture_dataset_root("pusht_v30"), [0], new_root=tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_reencode_one_camera_copies_the_others(fixture_dataset_root, tmp_path):
    src = fixture_dataset_root("multicam_v30")
    out = edits.reencode(
        src,
        VideoEncodingConfig(vcodec="h264", crf=18),
        new_root=tmp_path / "o",
        video_keys=["observation.images.front"],
    )
    a, b = LeRobotDataset("l/a", root=src), LeRobotDataset("l/b", root=out)
    info = b.meta.info["features"]
    assert info["observation.images.front"]["info"]["video.codec"] == "h264"
    assert (
        info["observation.images.wrist"]["info"]
        == a.meta.info["features"]["observation.images.wrist"]["info"]
    )
    for i in (0, len(b) - 1):
        assert (b[i]["observation.images.front"] - a[i]["observation.images.front"]).abs().mean() < 0.02
        assert b[i]["observation.images.wrist"].equal(a[i]["observation.images.wrist"])  # stream-copied
    assert check_dataset(out) == []


def test_add_feature_from_a_parquet_column(fixture_dataset_root, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    src = fixture_dataset_root("pusht_v30")
    n = LeRobotDataset("l/a", root=src).num_frames
    pq.write_table(pa.table({"progress": np.linspace(0, 1, n)}), tmp_path / "p.parquet")
    out = edits.add_feature(
        src,
        "progress",
        tmp_path / "p.parquet",
        {"dtype": "float64", "shape": [1], "names": None},
        tmp_path / "o",
    )
    ds = LeRobotDataset("l/o", root=out)
    assert ds[n - 1]["progress"].item() == 1.0 and ds.meta.stats["progress"]["min"].tolist() == [0.0]
