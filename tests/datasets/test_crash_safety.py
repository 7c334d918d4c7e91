"""A writer process is SIGKILLed at random moments; every kill must leave a dataset that holds every episode
whose save_episode() returned, and `resume` must continue after it (writer.py docstring: crash safety)."""

import json
import multiprocessing
import os
import random
import select
import shutil
import signal
import time

import av
import numpy as np
import pyarrow.parquet as pq
import pytest

from lerobot.datasets.lerobot_dataset import LeRobotDataset
from lerobot.datasets.video_encoding import VideoEncodingConfig
from lerobot.datasets.writing.merge import MIN_MERGE_TAIL
from lerobot.datasets.writing.writer import DatasetWriter, recover
from tests.datasets.factories import make_dataset, make_features, make_frame

FEATURES = {
    **make_features(n_cameras=1, camera_shape=(32, 32, 3), state_dim=3),
    "observation.images.top": {
        "dtype": "image",
        "shape": [16, 16, 3],
        "names": ["height", "width", "channels"],
    },
}
TRIALS = 20


def _writer_loop(root, write_fd, seed):
    """Child: create or resume the dataset, then save tiny episodes forever, reporting each one."""
    rng = np.random.default_rng(seed)
    config = VideoEncodingConfig(vcodec="h264", preset="ultrafast")
    streaming = seed % 2 == 1  # odd trials encode while recording, even ones go through temporary PNGs
    if (root / "meta/info.json").is_file():
        writer = DatasetWriter.resume(root, video_config=config, streaming_encoding=streaming)
    else:
        shutil.rmtree(root, ignore_errors=True)
        writer = DatasetWriter.create(
            root,
            10,
            FEATURES,
            video_config=config,
            chunks_size=2,
            data_files_size_in_mb=0.02,
            video_files_size_in_mb=0.01,
            streaming_encoding=streaming,
        )
    merge = writer._files._merge

    def announced_merge(plans):  # tell the parent, so that some kills land inside a merge
        os.write(write_fd, b"merge\n")
        return merge(plans)

    writer._files._merge = announced_merge
    episode = writer.info["total_episodes"]
    while True:
        for i in range(int(rng.integers(2, 6))):
            writer.add_frame(make_frame(FEATURES, i, f"task {episode % 3}", rng))
        writer.save_episode()
        os.write(write_fd, f"{episode}\n".encode())
        episode += 1


def _check_dataset(root, min_episodes):
    """Consistency of every file with info.json, the episodes table and the data/video contents."""
    info = json.loads((root / "meta/info.json").read_text())
    n_eps = info["total_episodes"]
    assert n_eps >= min_episodes, f"lost saved episodes: {n_eps} on disk < {min_episodes} saved"
    if n_eps == 0:
        return n_eps
    rows = []
    for path in sorted((root / "meta/episodes").rglob("*.parquet")):
        rows += pq.read_table(path).to_pylist()
    assert [r["episode_index"] for r in rows] == list(range(n_eps))
    assert rows[-1]["dataset_to_index"] == info["total_frames"]
    # as a loader that globs the data files reads them: rows 0..N-1 in path order, no duplicates
    index = [
        pq.read_table(p, columns=["index"]).column("index").to_numpy() for p in sorted(root.glob("data/*/*"))
    ]
    np.testing.assert_array_equal(np.concatenate(index), np.arange(info["total_frames"]))
    frames_per_video: dict[tuple, int] = {}
    for r in rows:
        data = pq.read_table(
            root
            / info["data_path"].format(chunk_index=r["data/chunk_index"], file_index=r["data/file_index"])
        )
        idx = data.column("index").to_numpy()[data.column("episode_index").to_numpy() == r["episode_index"]]
        np.testing.assert_array_equal(idx, np.arange(r["dataset_from_index"], r["dataset_to_index"]))
        loc = (r["videos/observation.image/chunk_index"], r["videos/observation.image/file_index"])
        frames_per_video[loc] = frames_per_video.get(loc, 0) + r["length"]
    for (chunk, file), n_frames in frames_per_video.items():
        path = root / info["video_path"].format(
            video_key="observation.image", chunk_index=chunk, file_index=file
        )
        with av.open(str(path)) as c:
            assert sum(1 for _ in c.decode(video=0)) == n_frames
    stats = json.loads((root / "meta/stats.json").read_text())
    assert stats["index"]["count"] == [info["total_frames"]]
    tasks = pq.read_table(root / "meta/tasks.parquet").num_rows
    assert tasks == info["total_tasks"]
    return n_eps


def test_sigkill_at_random_moments_keeps_saved_episodes(tmp_path):
    root = tmp_path / "ds"
    # Warm up imports and codec initialisation in the parent, so forked writers start saving at once.
    make_dataset(tmp_path / "warmup", n_episodes=1, episode_length=2, features=FEATURES, vcodec="h264")
    ctx = multiprocessing.get_context("fork")
    rnd = random.Random(0)
    total_saved = 0
    kills_mid_save = 0
    kills_mid_merge = 0
    for trial in range(TRIALS):
        read_fd, write_fd = os.pipe()
        proc = ctx.Process(target=_writer_loop, args=(root, write_fd, trial), daemon=True)
        proc.start()
        os.close(write_fd)
        output = b""
        if trial % 4 == 3:
            # every 4th trial first waits for one saved episode, so the run makes progress on a slow machine
            select.select([read_fd], [], [], 30)
        if trial % 3 == 1:
            # every 3rd trial is killed a few ms after a merge starts
            deadline = time.monotonic() + 30
            while b"merge" not in output and time.monotonic() < deadline:
                if select.select([read_fd], [], [], 1)[0]:
                    output += os.read(read_fd, 4096)
            time.sleep(rnd.uniform(0.0, 0.03))
        else:
            time.sleep(rnd.uniform(0.05, 0.8))
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
        with os.fdopen(read_fd, "rb") as f:
            output += f.read()
        saved = [int(line) for line in output.decode().split() if line != "merge"]
        if saved:
            total_saved = saved[-1] + 1
        # Before recovery every parquet file on disk is complete (footer written).
        for path in root.glob("[dm]*/**/*.parquet"):
            pq.ParquetFile(path)
        staging = root / ".staging"
        if staging.exists():
            kills_mid_save += 1
            kills_mid_merge += any(p.name.startswith("merge-") for p in staging.iterdir())
        in_commit = staging.exists() and any(staging.glob("*/COMMIT.json"))
        # valid as it is, before any recovery, and the library's reader loads every saved episode
        valid = (root / "meta/info.json").is_file() and not in_commit and _check_dataset(root, total_saved)
        if valid and trial % 2 == 0:
            assert LeRobotDataset("local/ds", root=root).num_episodes >= total_saved
        recover(root)
        if (root / "meta/info.json").is_file():
            on_disk = _check_dataset(root, total_saved)
            total_saved = on_disk  # a save may have committed right before its report was written
    assert total_saved >= 5, "the writer never got going: the test would prove nothing"
    assert kills_mid_save >= 1, "no kill landed inside a save: make the kill times denser"
    assert kills_mid_merge >= 1, "no kill landed inside a merge"
    # resume after the last crash, add one episode, and read everything with the library's reader
    writer = DatasetWriter.resume(root, video_config=VideoEncodingConfig(vcodec="h264", preset="ultrafast"))
    rng = np.random.default_rng(99)
    for i in range(3):
        writer.add_frame(make_frame(FEATURES, i, "after crash", rng))
    writer.save_episode()
    writer.finalize()
    assert _check_dataset(root, total_saved + 1) == total_saved + 1
    ds = LeRobotDataset("local/ds", root=root)
    assert ds.meta.total_episodes == total_saved + 1
    last = ds[len(ds) - 1]
    assert last["task"] == "after crash" and int(last["frame_index"]) == 2
    assert tuple(last["observation.image"].shape) == (3, 32, 32)


class _SimulatedCrashError(Exception):
    pass


@pytest.mark.parametrize(
    ("commit", "renames_before_crash"),
    [("save", None), ("save", 0), ("save", 2), ("save", 5), ("merge", None), ("merge", 0), ("merge", 2)],
)
def test_crash_inside_the_commit_is_rolled_forward_or_back(
    tmp_path, monkeypatch, commit, renames_before_crash
):
    """Deterministic version of the kill test for the commit window of a save or of a merge: a crash before
    COMMIT.json (None) loses the save (a merge: nothing), a crash after it, with any number of files already
    moved, keeps it."""
    root = tmp_path / "ds"
    config = VideoEncodingConfig(vcodec="h264", preset="ultrafast")
    writer = DatasetWriter.create(root, 10, FEATURES, video_config=config)
    rng = np.random.default_rng(0)
    # the MIN_MERGE_TAIL-th save of a session triggers its first merge
    saved_before = 1 if commit == "save" else MIN_MERGE_TAIL - 1
    for _ in range(saved_before):
        for i in range(3):
            writer.add_frame(make_frame(FEATURES, i, "first", rng))
        writer.save_episode()
    real_replace = os.replace
    state = {"commits": 0, "committed": False, "moves": 0}
    skip_commits = 0 if commit == "save" else 1  # a merge commits after the save that triggers it

    def crashing_replace(src, dst):
        if os.path.basename(dst) == "COMMIT.json":
            state["commits"] += 1
            if state["commits"] <= skip_commits:
                return real_replace(src, dst)
            if renames_before_crash is None:
                raise _SimulatedCrashError("power cut before the commit point")
            real_replace(src, dst)
            state["committed"] = True
            return
        if state["committed"]:
            if state["moves"] == renames_before_crash:
                raise _SimulatedCrashError(f"power cut after {renames_before_crash} renames")
            state["moves"] += 1
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crashing_replace)
    for i in range(4):
        writer.add_frame(make_frame(FEATURES, i, "second", rng))
    with pytest.raises(_SimulatedCrashError):
        writer.save_episode()
    monkeypatch.setattr(os, "replace", real_replace)
    if commit == "merge":
        assert any(p.name.startswith("merge-") for p in (root / ".staging").iterdir())
    writer._lock.release()  # the crashed process is gone: the kernel drops its lock
    actions = recover(root)
    expected = saved_before + (0 if commit == "save" and renames_before_crash is None else 1)
    rolled = renames_before_crash is not None
    assert any(("rolled forward" if rolled else "discarded") in a for a in actions)
    assert _check_dataset(root, expected) == expected
    resumed = DatasetWriter.resume(root, video_config=config)
    for i in range(2):
        resumed.add_frame(make_frame(FEATURES, i, "third", rng))
    resumed.save_episode()
    resumed.finalize()
    assert _check_dataset(root, expected + 1) == expected + 1
