"""One writer per dataset root (lerobot/datasets/writing/lock.py): a second writer fails at once naming the
root and the holder, readers are not blocked, the first writer finishes, a dead writer's lock is taken over."""

import json
import logging
import multiprocessing
import os
import signal
import socket
import subprocess
import sys

import numpy as np
import pytest

from lerobot.datasets.lerobot_dataset import LeRobotDataset
from lerobot.datasets.writing.lock import LOCK_FILE, DatasetLockedError
from lerobot.datasets.writing.writer import DatasetWriter
from tests.datasets.factories import make_features, make_frame

FEATURES = make_features(n_cameras=0, state_dim=3)


def _save(writer, n_frames=3, task="t", seed=0):
    rng = np.random.default_rng(seed)
    for i in range(n_frames):
        writer.add_frame(make_frame(FEATURES, i, task, rng))
    writer.save_episode()


def test_second_writer_fails_readers_are_not_blocked(tmp_path):
    root = tmp_path / "ds"
    first = DatasetWriter.create(root, 10, FEATURES)
    _save(first)
    holder = json.loads((root / LOCK_FILE).read_text())
    assert holder["pid"] == os.getpid() and holder["host"] == socket.gethostname()
    expected = f"{root} is being written by pid {os.getpid()} on host {socket.gethostname()}"
    for second in (
        lambda: DatasetWriter.resume(root),
        lambda: DatasetWriter.create(root, 10, FEATURES),
        lambda: LeRobotDataset.resume("local/ds", root),
    ):
        with pytest.raises(DatasetLockedError, match=expected):
            second()
    # another process: fails at once too, with the same message
    code = f"from lerobot.datasets.writing.writer import DatasetWriter; DatasetWriter.resume({str(root)!r})"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and expected in proc.stderr
    assert len(LeRobotDataset("local/ds", root=root)) == 3  # a reader is not blocked
    _save(first, seed=1)  # the first writer goes on and finishes
    first.finalize()
    assert not (root / LOCK_FILE).exists()
    resumed = DatasetWriter.resume(root)  # free again
    _save(resumed, seed=2)
    resumed.finalize()
    ds = LeRobotDataset("local/ds", root=root)
    assert ds.num_episodes == 3 and len(ds) == 9


def _crash_while_writing(root):
    writer = DatasetWriter.create(root, 10, FEATURES)
    _save(writer)
    os.kill(os.getpid(), signal.SIGKILL)


def test_lock_of_a_killed_writer_is_taken_over(tmp_path, caplog):
    root = tmp_path / "ds"
    proc = multiprocessing.get_context("fork").Process(target=_crash_while_writing, args=(root,))
    proc.start()
    proc.join()
    assert proc.exitcode == -signal.SIGKILL and (root / LOCK_FILE).exists()
    with caplog.at_level(logging.WARNING):
        writer = DatasetWriter.resume(root)
    assert f"taking over the writer lock left by pid {proc.pid}" in caplog.text
    _save(writer, seed=3)
    writer.finalize()
    assert LeRobotDataset("local/ds", root=root).num_episodes == 2


def test_record_cli_reports_a_held_dataset_in_one_line(tmp_path, capsys):
    from lerobot.scripts.lerobot_record import main

    root = tmp_path / "ds"
    writer = DatasetWriter.create(root, 10, FEATURES)
    _save(writer)
    args = [
        "--robot.type=so100_follower", "--robot.port=/dev/null", "--robot.id=f1",
        "--teleop.type=so100_leader", "--teleop.port=/dev/null", "--teleop.id=l1",
        "--dataset.repo_id=test/rec", f"--dataset.root={root}", "--dataset.single_task=t",
        "--dataset.push_to_hub=false", "--play_sounds=false", "--keyboard=none", "--resume=true",
    ]  # fmt: skip
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"{root} is being written by pid {os.getpid()}" in err
    writer.finalize()
