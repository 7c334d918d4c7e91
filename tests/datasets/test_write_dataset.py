"""The v3.0 writer: files match the reference fixtures key for key, values read back exactly, packing,
frame validation, resume."""

import io
import json
import threading

import av
import numpy as np
import pandas as pd
import PIL.Image
import pyarrow.parquet as pq
import pytest

from lerobot.datasets.video_encoding import VideoEncodingConfig
from lerobot.datasets.writing.frames import DEFAULT_FEATURES
from lerobot.datasets.writing.writer import DatasetWriter
from tests.datasets.factories import make_dataset, make_features, make_frame

MULTICAM_FEATURES = {
    "observation.images.front": {
        "dtype": "video",
        "shape": [48, 64, 3],
        "names": ["height", "width", "channels"],
    },
    "observation.images.wrist": {
        "dtype": "video",
        "shape": [32, 32, 3],
        "names": ["height", "width", "channels"],
    },
    "observation.images.top": {
        "dtype": "image",
        "shape": [24, 40, 3],
        "names": ["height", "width", "channels"],
    },
    "observation.state": {"dtype": "float32", "shape": [6], "names": [f"joint_{i}" for i in range(6)]},
    "action": {"dtype": "float32", "shape": [6], "names": [f"joint_{i}" for i in range(6)]},
}


def _hf_features(path):
    return json.loads(pq.read_schema(path).metadata[b"huggingface"])["info"]["features"]


@pytest.mark.parametrize("name", ["multicam_v30", "pusht_v30"])
def test_files_match_reference_layout(tmp_path, reference_fixtures, name):
    ref = reference_fixtures / "datasets" / name
    ref_info = json.loads((ref / "meta/info.json").read_text())
    features = {
        key: {k: v for k, v in ft.items() if k != "info"}
        for key, ft in ref_info["features"].items()
        if key not in DEFAULT_FEATURES
    }
    root = make_dataset(
        tmp_path / name,
        n_episodes=2,
        episode_length=[12, 9],
        fps=ref_info["fps"],
        features=features,
        robot_type=ref_info["robot_type"],
        chunks_size=ref_info["chunks_size"],
        data_files_size_in_mb=ref_info["data_files_size_in_mb"],
        video_files_size_in_mb=ref_info["video_files_size_in_mb"],
    )
    info = json.loads((root / "meta/info.json").read_text())
    # info.json: same keys in the same order, same templates, same feature dicts (incl. video info keys).
    assert list(info) == list(ref_info)
    for key in (
        "codebase_version",
        "data_path",
        "video_path",
        "fps",
        "robot_type",
        "chunks_size",
        "data_files_size_in_mb",
    ):
        assert info[key] == ref_info[key], key
    assert list(info["features"]) == list(ref_info["features"])
    for key, ft in ref_info["features"].items():
        assert list(info["features"][key]) == list(ft), key
        if "info" in ft:
            assert info["features"][key]["info"] == ft["info"], key
        else:
            assert info["features"][key] == ft, key
    assert info["total_episodes"] == 2 and info["total_frames"] == 21 and info["splits"] == {"train": "0:2"}
    # data parquet: same arrow schema (names and types) and same HF `datasets` feature metadata.
    ref_data = next((ref / "data").rglob("*.parquet"))
    data = root / "data/chunk-000/file-000.parquet"
    assert pq.read_schema(data).remove_metadata() == pq.read_schema(ref_data).remove_metadata()
    assert _hf_features(data) == _hf_features(ref_data)
    assert pq.ParquetFile(data).num_row_groups == 2  # one row group per episode
    # episodes parquet: same columns, same types.
    ref_eps = pq.read_schema(next((ref / "meta/episodes").rglob("*.parquet")))
    eps = pq.read_schema(root / "meta/episodes/chunk-000/file-000.parquet")
    assert eps.names == ref_eps.names
    assert eps == ref_eps
    # stats.json: same features, stats and shapes.
    ref_stats = json.loads((ref / "meta/stats.json").read_text())
    stats = json.loads((root / "meta/stats.json").read_text())
    assert set(stats) == set(ref_stats)
    for key in ref_stats:
        assert list(stats[key]) == list(ref_stats[key]), key
        for s in ref_stats[key]:
            assert np.asarray(stats[key][s]).shape == np.asarray(ref_stats[key][s]).shape, (key, s)
    # tasks.parquet: read the reference's way (pandas index = task string).
    tasks = pd.read_parquet(root / "meta/tasks.parquet")
    ref_tasks = pd.read_parquet(ref / "meta/tasks.parquet")
    assert list(tasks.columns) == list(ref_tasks.columns) == ["task_index"]
    assert tasks.loc["Pick up the red cube."].task_index == 0
    assert (
        pq.read_schema(root / "meta/tasks.parquet").names == pq.read_schema(ref / "meta/tasks.parquet").names
    )


def test_values_read_back(tmp_path):
    features = dict(MULTICAM_FEATURES)
    rng = np.random.default_rng(1)
    writer = DatasetWriter.create(
        tmp_path / "ds", 15, features, video_config=VideoEncodingConfig(vcodec="h264", crf=0)
    )
    frames = []
    for ep, length in enumerate([7, 5]):
        for i in range(length):
            frame = make_frame(features, i, f"task {ep}", rng)
            frames.append(frame)
            writer.add_frame(frame)
        writer.save_episode()
    writer.finalize()
    table = pq.read_table(tmp_path / "ds/data/chunk-000/file-000.parquet").to_pydict()
    assert table["index"] == list(range(12))
    assert table["episode_index"] == [0] * 7 + [1] * 5
    assert table["frame_index"] == list(range(7)) + list(range(5))
    assert table["task_index"] == [0] * 7 + [1] * 5
    np.testing.assert_array_equal(
        np.float32(table["timestamp"]), np.float32([i / 15 for i in range(7)] + [i / 15 for i in range(5)])
    )
    for row, frame in enumerate(frames):
        np.testing.assert_array_equal(np.float32(table["observation.state"][row]), frame["observation.state"])
        png = table["observation.images.top"][row]
        assert png["path"] == f"frame-{table['frame_index'][row]:06d}.png"
        np.testing.assert_array_equal(
            np.asarray(PIL.Image.open(io.BytesIO(png["bytes"]))), frame["observation.images.top"]
        )
    # Video: frame i of episode 1 sits at from_timestamp + i / fps (nearest pts) in the shared mp4.
    eps = pq.read_table(tmp_path / "ds/meta/episodes/chunk-000/file-000.parquet").to_pylist()
    assert eps[1]["videos/observation.images.front/from_timestamp"] == pytest.approx(7 / 15)
    assert eps[1]["videos/observation.images.front/to_timestamp"] == pytest.approx(12 / 15)
    with av.open(str(tmp_path / "ds/videos/observation.images.front/chunk-000/file-000.mp4")) as c:
        decoded = [(float(f.pts * f.time_base), f.to_ndarray(format="rgb24")) for f in c.decode(video=0)]
    assert len(decoded) == 12
    for row in range(len(frames)):
        ep = table["episode_index"][row]
        t = eps[ep]["videos/observation.images.front/from_timestamp"] + table["timestamp"][row]
        pts, img = min(decoded, key=lambda d: abs(d[0] - t))
        assert abs(pts - t) < 1e-4
        # lossy (yuv420p) but the decoded frame is this frame: much closer to it than to any other frame
        errors = [np.abs(img.astype(int) - f["observation.images.front"].astype(int)).mean() for f in frames]
        assert errors[row] < 10
        assert errors[row] == min(errors)


def test_episode_stats_are_correct(tmp_path):
    features = make_features(n_cameras=1, camera_shape=(32, 48, 3), state_dim=3, use_videos=False)
    rng = np.random.default_rng(2)
    writer = DatasetWriter.create(tmp_path / "ds", 10, features)
    frames = [make_frame(features, i, "t", rng) for i in range(30)]
    for f in frames:
        writer.add_frame(f)
    writer.save_episode()
    writer.finalize()
    row = pq.read_table(tmp_path / "ds/meta/episodes/chunk-000/file-000.parquet").to_pylist()[0]
    imgs = np.stack([f["observation.image"] for f in frames]).astype(np.float64) / 255  # (T, H, W, C)
    np.testing.assert_allclose(
        np.ravel(row["stats/observation.image/std"]), imgs.std(axis=(0, 1, 2)), atol=1e-12
    )
    assert min(np.ravel(row["stats/observation.image/std"])) > 0.01  # the reference writes 0 here
    np.testing.assert_allclose(
        np.ravel(row["stats/observation.image/mean"]), imgs.mean(axis=(0, 1, 2)), atol=1e-12
    )
    assert row["stats/observation.image/count"] == [30]
    states = np.stack([f["observation.state"] for f in frames]).astype(np.float64)
    np.testing.assert_allclose(row["stats/observation.state/mean"], states.mean(0), rtol=1e-12)
    np.testing.assert_allclose(row["stats/observation.state/std"], states.std(0), rtol=1e-12)
    # histogram quantile: within one bin of the order statistic it interpolates (15th of 30 samples)
    ordered = np.sort(states, axis=0)
    bin_width = np.ptp(states, axis=0) / 5000
    q50 = np.asarray(row["stats/observation.state/q50"])
    assert np.all(q50 >= ordered[13] - bin_width) and np.all(q50 <= ordered[15] + bin_width)
    assert np.all(
        np.asarray(row["stats/observation.state/q01"]) <= np.asarray(row["stats/observation.state/q10"])
    )
    stats = json.loads((tmp_path / "ds/meta/stats.json").read_text())
    assert stats["index"]["max"] == [29] and stats["timestamp"]["count"] == [30]


def test_packing_rolls_files_and_chunks(tmp_path):
    lengths = [20, 18, 22, 19, 21]
    root = make_dataset(
        tmp_path / "ds",
        n_episodes=5,
        episode_length=lengths,
        fps=10,
        camera_shape=(64, 64, 3),
        vcodec="h264",
        chunks_size=2,
        data_files_size_in_mb=0.012,
        video_files_size_in_mb=0.01,
    )
    eps = pd.concat([pd.read_parquet(p) for p in sorted((root / "meta/episodes").rglob("*.parquet"))])
    eps = eps.sort_values("episode_index")
    data_files = sorted((root / "data").rglob("*.parquet"))
    video_files = sorted((root / "videos").rglob("*.mp4"))
    assert len(data_files) > 1 and len(video_files) > 1
    assert any("chunk-001" in str(p) for p in data_files)  # chunks_size=2 -> third file goes to chunk-001
    assert all(p.name in ("file-000.parquet", "file-001.parquet") for p in data_files)
    total = 0
    for _, ep in eps.iterrows():
        path = root / f"data/chunk-{ep['data/chunk_index']:03d}/file-{ep['data/file_index']:03d}.parquet"
        idx = pq.read_table(path, columns=["index", "episode_index"]).to_pydict()
        mine = [
            i for i, e in zip(idx["index"], idx["episode_index"], strict=True) if e == ep["episode_index"]
        ]
        assert mine == list(range(ep["dataset_from_index"], ep["dataset_to_index"]))
        total += len(mine)
        assert ep["videos/observation.image/to_timestamp"] - ep[
            "videos/observation.image/from_timestamp"
        ] == pytest.approx(ep["length"] / 10)
    assert total == sum(lengths)
    # from_timestamp continues inside a file and restarts at 0 in a new one.
    prev = None
    for _, ep in eps.iterrows():
        loc = (ep["videos/observation.image/chunk_index"], ep["videos/observation.image/file_index"])
        if prev is not None and prev[0] == loc:
            assert ep["videos/observation.image/from_timestamp"] == pytest.approx(prev[1])
        else:
            assert ep["videos/observation.image/from_timestamp"] == 0.0
        prev = (loc, ep["videos/observation.image/to_timestamp"])


def _good_frame():
    return {
        "observation.image": np.zeros((32, 48, 3), np.uint8),
        "observation.state": np.zeros(3, np.float32),
        "action": np.zeros(3, np.float32),
        "task": "t",
    }


BAD_FRAMES = {
    "missing key": (lambda f: f.pop("action"), "missing keys \\['action'\\]"),
    "extra key": (lambda f: f.update(foo=1), "unexpected keys \\['foo'\\]"),
    "no task": (lambda f: f.pop("task"), "missing keys \\['task'\\]"),
    "timestamp given": (lambda f: f.update(timestamp=0.0), "'timestamp' is not accepted"),
    "wrong dtype": (
        lambda f: f.update({"observation.state": np.zeros(3, np.float64)}),
        "expected dtype float32, got float64",
    ),
    "wrong shape": (
        lambda f: f.update(action=np.zeros(4, np.float32)),
        "'action': expected shape \\(3,\\), got \\(4,\\)",
    ),
    "nan": (lambda f: f["observation.state"].__setitem__(0, np.nan), "NaN or inf"),
    "wrong image size": (
        lambda f: f.update({"observation.image": np.zeros((32, 40, 3), np.uint8)}),
        "expected image shape",
    ),
    "image dtype": (
        lambda f: f.update({"observation.image": np.zeros((32, 48, 3), np.int32)}),
        "dtype int32",
    ),
    "float image range": (
        lambda f: f.update({"observation.image": np.full((32, 48, 3), 2.0, np.float32)}),
        "values in \\[0, 1\\]",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FRAMES))
def test_bad_frame_is_refused_and_buffer_stays_usable(tmp_path, case):
    features = make_features(n_cameras=1, camera_shape=(32, 48, 3), state_dim=3, use_videos=False)
    writer = DatasetWriter.create(tmp_path / "ds", 10, features)
    writer.add_frame(_good_frame())
    bad = _good_frame()
    mutate, message = BAD_FRAMES[case]
    mutate(bad)
    with pytest.raises(ValueError, match=message):
        writer.add_frame(bad)
    assert writer.episode_buffer["size"] == 1
    chw = _good_frame()
    chw["observation.image"] = np.ones((3, 32, 48), np.float32)  # CHW float is accepted
    writer.add_frame(chw)
    writer.save_episode()
    writer.finalize()
    assert pq.read_table(tmp_path / "ds/data/chunk-000/file-000.parquet").num_rows == 2


def test_clear_buffer_resume_and_create_guard(tmp_path):
    root = make_dataset(
        tmp_path / "ds", n_episodes=2, episode_length=6, camera_shape=(32, 32, 3), vcodec="h264"
    )
    with pytest.raises(FileExistsError, match="resume"):
        DatasetWriter.create(root, 10, make_features(camera_shape=(32, 32, 3)))
    writer = DatasetWriter.resume(root)
    features = make_features(camera_shape=(32, 32, 3))
    rng = np.random.default_rng(5)
    for i in range(4):
        writer.add_frame(make_frame(features, i, "discarded", rng))
    writer.clear_episode_buffer()
    for i in range(5):
        writer.add_frame(make_frame(features, i, "new task", rng))
    writer.save_episode()
    writer.finalize()
    info = json.loads((root / "meta/info.json").read_text())
    assert (info["total_episodes"], info["total_frames"], info["total_tasks"]) == (3, 17, 3)
    assert not (root / "images").exists() and not (root / ".staging").exists()
    eps = pd.concat([pd.read_parquet(p) for p in sorted((root / "meta/episodes").rglob("*.parquet"))])
    last = eps.iloc[-1]
    assert (last["episode_index"], last["dataset_from_index"], last["data/file_index"]) == (
        2,
        12,
        1,
    )  # resume: new data file
    # resume seals the files of earlier sessions: the video starts a new file too (writer.py docstring)
    assert last["videos/observation.image/file_index"] == 1
    assert last["videos/observation.image/from_timestamp"] == 0.0
    assert list(pd.read_parquet(root / "meta/tasks.parquet").index)[-1] == "new task"


def test_streaming_encoding_writes_the_same_dataset(tmp_path):
    """Encoding while recording (no PNGs) gives the same video packets and stats as the PNG path."""
    features = make_features(n_cameras=2, camera_shape=(48, 64, 3), state_dim=3)
    roots = {}
    for streaming in (False, True):
        rng = np.random.default_rng(3)
        root = tmp_path / f"streaming_{streaming}"
        writer = DatasetWriter.create(
            root, 10, features, video_config=VideoEncodingConfig(vcodec="h264"), streaming_encoding=streaming
        )
        for ep, length in enumerate([8, 5]):
            for i in range(4):  # a discarded take first
                writer.add_frame(make_frame(features, i, "retake", rng))
            writer.clear_episode_buffer()
            for i in range(length):
                writer.add_frame(make_frame(features, i, f"task {ep}", rng))
            if streaming:
                assert not (root / "images").exists() or not any((root / "images").rglob("*.png"))
            writer.save_episode(wait=ep == 0)
        writer.finalize()
        assert not (root / ".staging").exists()
        roots[streaming] = root
    for key in ("observation.images.cam0", "observation.images.cam1"):
        rel = f"videos/{key}/chunk-000/file-000.mp4"
        with av.open(str(roots[False] / rel)) as a, av.open(str(roots[True] / rel)) as b:
            assert [bytes(p) for p in a.demux(video=0)] == [bytes(p) for p in b.demux(video=0)]
    eps = [pq.read_table(r / "meta/episodes/chunk-000/file-000.parquet").to_pylist() for r in roots.values()]
    assert eps[0] == eps[1]


def test_failed_background_save_stops_the_session_and_resume_recovers(tmp_path, monkeypatch):
    import lerobot.datasets.writing.writer as writer_module

    features = make_features(n_cameras=1, camera_shape=(32, 32, 3), state_dim=2)
    root = tmp_path / "ds"
    writer = DatasetWriter.create(root, 10, features, video_config=VideoEncodingConfig(vcodec="h264"))
    rng = np.random.default_rng(4)

    def record(n, task="t"):
        for i in range(n):
            writer.add_frame(make_frame(features, i, task, rng))

    record(3)
    writer.save_episode()
    real_encode = writer_module.encode_video_frames

    queued_event = threading.Event()

    def failing_encode(*args, **kwargs):
        queued_event.wait(30)  # fail only once the next episode is queued (no race with the main thread)
        raise OSError("No space left on device")

    monkeypatch.setattr(writer_module, "encode_video_frames", failing_encode)
    record(4)
    failed = writer.save_episode(wait=False)
    record(2)
    queued = writer.save_episode(wait=False)  # queued before the failure is known
    queued_event.set()
    with pytest.raises(OSError, match="No space left"):
        failed.result()
    with pytest.raises(RuntimeError, match="saving episode 1 failed"):
        queued.result()
    record(2)
    with pytest.raises(RuntimeError, match="resume"):
        writer.save_episode()
    with pytest.raises(OSError):
        writer.finalize()
    assert json.loads((root / "meta/info.json").read_text())["total_episodes"] == 1
    monkeypatch.setattr(writer_module, "encode_video_frames", real_encode)
    writer = DatasetWriter.resume(root, video_config=VideoEncodingConfig(vcodec="h264"))
    assert not (root / ".staging").exists() and writer.info["total_episodes"] == 1
    record(5, "again")
    writer.save_episode()
    writer.finalize()
    info = json.loads((root / "meta/info.json").read_text())
    assert (info["total_episodes"], info["total_frames"]) == (2, 8)


def test_png_writer_processes(tmp_path):
    """Temporary PNGs written by a process pool give the same parquet images as synchronous writes."""
    features = make_features(n_cameras=1, camera_shape=(24, 40, 3), state_dim=2, use_videos=False)
    tables = []
    for processes in (0, 1):
        root = make_dataset(
            tmp_path / f"p{processes}",
            n_episodes=1,
            episode_length=5,
            features=features,
            seed=6,
            image_writer_processes=processes,
        )
        tables.append(
            pq.read_table(root / "data/chunk-000/file-000.parquet").column("observation.image").to_pylist()
        )
    assert tables[0] == tables[1]


def test_create_options(tmp_path):
    features = make_features(n_cameras=1, camera_shape=(32, 32, 3), state_dim=2)
    with pytest.raises(ValueError, match="batch_encoding_size=4 is not supported"):
        DatasetWriter.create(tmp_path / "a", 10, features, batch_encoding_size=4)
    with pytest.raises(ValueError, match="contradicts"):
        DatasetWriter.create(tmp_path / "b", 10, features, vcodec="h264", video_config=VideoEncodingConfig())
    with pytest.raises(ValueError, match="fps must be a positive int"):
        DatasetWriter.create(tmp_path / "c", 0, features)
    with pytest.raises(ValueError, match="must not contain '/'"):
        DatasetWriter.create(tmp_path / "d", 10, {"a/b": {"dtype": "float32", "shape": [1]}})
    with pytest.raises(ValueError, match="unknown dtype 'float33'"):
        DatasetWriter.create(tmp_path / "e", 10, {"x": {"dtype": "float33", "shape": [1]}})
    writer = DatasetWriter.create(tmp_path / "f", 10, features, vcodec="h264", metadata_buffer_size=1)
    rng = np.random.default_rng(0)
    writer.add_frame(make_frame(features, 0, "t", rng))
    writer.add_frame(
        {**make_frame(features, 1, "t", rng), "observation.image": PIL.Image.new("RGB", (32, 32))}
    )
    writer.save_episode()
    writer.finalize()
    info = json.loads((tmp_path / "f/meta/info.json").read_text())
    assert info["features"]["observation.image"]["info"]["video.codec"] == "h264"


def test_reused_camera_buffers_are_copied(tmp_path):
    """A camera driver that fills the same buffer (numpy or torch) every tick must not corrupt queued frames."""
    import torch

    features = make_features(n_cameras=2, camera_shape=(32, 32, 3), state_dim=1, use_videos=False)
    writer = DatasetWriter.create(tmp_path / "ds", 10, features, image_writer_threads=2)
    np_buffer = np.zeros((32, 32, 3), np.uint8)
    torch_buffer = torch.zeros(3, 32, 32, dtype=torch.uint8)
    for i in range(6):
        np_buffer[:] = i * 10
        torch_buffer[:] = i * 20
        writer.add_frame(
            {
                "observation.images.cam0": np_buffer,
                "observation.images.cam1": torch_buffer,
                "observation.state": np.zeros(1, np.float32),
                "action": np.zeros(1, np.float32),
                "task": "t",
            }
        )
    writer.save_episode()
    writer.finalize()
    table = pq.read_table(tmp_path / "ds/data/chunk-000/file-000.parquet").to_pydict()
    for i in range(6):
        for key, value in (("observation.images.cam0", i * 10), ("observation.images.cam1", i * 20)):
            img = np.asarray(PIL.Image.open(io.BytesIO(table[key][i]["bytes"])))
            assert (img == value).all(), (key, i)


@pytest.mark.parametrize("name", ["pusht_v30", "multicam_v30"])
def test_episode_stats_match_the_reference(reference_fixtures, name):
    """compute_episode_stats on the fixture's own rows (PNG images are lossless) reproduces the reference's
    per-episode stats: min/max/mean/count exactly, quantiles to one histogram bin; std everywhere except
    cameras, where the reference writes 0 (uint8 overflow) and we write the real value."""
    from lerobot.datasets.compute_stats import compute_episode_stats

    base = reference_fixtures / "datasets" / name
    info = json.loads((base / "meta/info.json").read_text())
    rows = [
        r for p in sorted((base / "meta/episodes").rglob("*.parquet")) for r in pq.read_table(p).to_pylist()
    ]
    data: dict[str, list] = {}
    for path in sorted((base / "data").rglob("*.parquet")):
        for key, values in pq.read_table(path).to_pydict().items():
            data.setdefault(key, []).extend(values)
    for row in rows:
        a, b = row["dataset_from_index"], row["dataset_to_index"]
        columns = {}
        for key, ft in info["features"].items():
            if ft["dtype"] == "image":
                columns[key] = [np.asarray(PIL.Image.open(io.BytesIO(x["bytes"]))) for x in data[key][a:b]]
            elif ft["dtype"] != "video":
                columns[key] = np.asarray(data[key][a:b], dtype=ft["dtype"])
        columns["timestamp"] = columns["frame_index"] / info["fps"]  # what the writer feeds (float64)
        mine = compute_episode_stats(columns, info["features"])
        for key, stats in mine.items():
            is_camera = info["features"][key]["dtype"] == "image"
            ref = {s: np.asarray(row[f"stats/{key}/{s}"], dtype=np.float64) for s in stats}
            got = {s: np.asarray(v, dtype=np.float64).reshape(ref[s].shape) for s, v in stats.items()}
            for s in ("min", "max", "count"):
                np.testing.assert_array_equal(got[s], ref[s], err_msg=f"{key}/{s}")
            np.testing.assert_allclose(got["mean"], ref["mean"], rtol=1e-5, atol=1e-7, err_msg=f"{key}/mean")
            bin_width = (ref["max"] - ref["min"]) / 5000 + 1e-9
            for q in ("q01", "q10", "q50", "q90", "q99"):
                # + float32 rounding of the reference's bin edges for float32 features
                assert np.all(np.abs(got[q] - ref[q]) <= bin_width + 2e-7 * np.abs(ref[q]) + 1e-6), (key, q)
            if is_camera:
                assert np.all(ref["std"] == 0) and np.all(got["std"] > 0.01)
            else:
                # the reference's float32 E[x^2]-E[x]^2 cancels: its error grows with |mean| (0.45 for a
                # constant column at ~300, where ours is the exact 0)
                tolerance = 1e-3 * np.abs(ref["std"]) + 2e-3 * np.abs(ref["mean"]) + 1e-6
                assert np.all(np.abs(got["std"] - ref["std"]) <= tolerance), (key, "std")
