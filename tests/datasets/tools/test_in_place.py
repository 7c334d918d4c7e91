"""In-place edits never destroy data: the old dataset is kept as a backup, a second edit keeps the first
backup, and a SIGKILL at any moment of an edit leaves a complete dataset (after `recover_edit`)."""

import multiprocessing
import os
import shutil
import time

import numpy as np
import pytest

from lerobot.datasets.lerobot_dataset import LeRobotDataset
from lerobot.datasets.tools import edits
from lerobot.datasets.tools.check import check_dataset
from lerobot.datasets.tools.swap import edit_dir, recover_edit
from tests.datasets.factories import make_dataset
from tests.datasets.tools.helpers import tree_hash


def _small(root):
    return make_dataset(root, n_episodes=3, episode_length=8, vcodec="h264", camera_shape=(32, 32, 3))


def test_in_place_edit_keeps_every_backup(tmp_path):
    root = _small(tmp_path / "ds")
    original = tree_hash(root)
    edits.delete_episodes(root, [1])
    backups = sorted(tmp_path.glob("ds.backup-*"))
    assert len(backups) == 1 and tree_hash(backups[0]) == original
    assert LeRobotDataset("l/ds", root=root).num_episodes == 2
    edits.modify_tasks(root, new_task="renamed")  # a second in-place edit: the first backup stays
    backups = sorted(tmp_path.glob("ds.backup-*"))
    assert len(backups) == 2 and original in {tree_hash(b) for b in backups}
    assert LeRobotDataset("l/ds", root=root).meta.task_list == ["renamed"]
    assert not edit_dir(root).exists()
    assert check_dataset(root) == []


def test_in_place_keep_backup_false_deletes_it_as_asked(tmp_path):
    root = _small(tmp_path / "ds")
    edits.delete_episodes(root, [0], keep_backup=False)
    assert not list(tmp_path.glob("ds.backup-*"))
    assert LeRobotDataset("l/ds", root=root).num_episodes == 2


def test_failed_in_place_edit_leaves_the_dataset_untouched(tmp_path, monkeypatch):
    root = _small(tmp_path / "ds")
    original = tree_hash(root)
    from lerobot.datasets.tools import rewrite

    def boom(*a, **k):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(rewrite, "concatenate_videos", boom)
    with pytest.raises(OSError, match="disk full"):
        edits.delete_episodes(root, [0])
    assert tree_hash(root) == original
    assert not edit_dir(root).exists() and not list(tmp_path.glob("ds.backup-*"))


def _edit(root, task):
    edits.modify_tasks(root, new_task=task)
    os._exit(0)


def test_sigkill_at_random_moments_always_leaves_a_complete_dataset(tmp_path):
    root = _small(tmp_path / "ds")
    ctx = multiprocessing.get_context("fork")
    t0 = time.perf_counter()
    p = ctx.Process(target=_edit, args=(root, "task warmup"))
    p.start()
    p.join()
    duration = time.perf_counter() - t0
    assert p.exitcode == 0
    rng = np.random.default_rng(0)
    tasks = {"task warmup"}
    outcomes = set()
    for k in range(12):
        task = f"task {k}"
        p = ctx.Process(target=_edit, args=(root, task))
        p.start()
        time.sleep(rng.uniform(0, duration))
        p.kill()  # SIGKILL
        p.join()
        assert root.exists()  # the swap is atomic (renameat2 RENAME_EXCHANGE on Linux)
        recover_edit(root)
        ds = LeRobotDataset("l/ds", root=root)
        assert ds.num_episodes == 3 and ds.num_frames == 24
        (current,) = ds.meta.task_list
        assert current in tasks | {task}
        outcomes.add("new" if current == task else "old")
        tasks.add(task)
        assert check_dataset(root) == [], k
    assert not edit_dir(root).exists()  # the recovery leaves nothing behind
    # every backup is a complete dataset too (nothing was lost)
    for backup in tmp_path.glob("ds.backup-*"):
        assert LeRobotDataset("l/b", root=backup).num_frames == 24
    shutil.rmtree(tmp_path / "ds")


@pytest.mark.parametrize("exchange", [True, False])
def test_crash_between_the_renames_is_rolled_forward(tmp_path, monkeypatch, exchange):
    """Killed right after the commit point's first rename (with or without an atomic exchange): the
    recovery finishes the swap and keeps the old dataset as the backup."""
    from lerobot.datasets.tools import swap

    root = _small(tmp_path / "ds")
    original = tree_hash(root)
    real_rename = os.rename
    calls = []

    def crash_on_second(a, b):
        calls.append((a, b))
        if len(calls) == (1 if exchange else 2):
            raise KeyboardInterrupt("killed")
        real_rename(a, b)

    if not exchange:
        monkeypatch.setattr(swap, "_exchange", lambda a, b: False)
    monkeypatch.setattr(swap.os, "rename", crash_on_second)
    with pytest.raises(KeyboardInterrupt):
        edits.delete_episodes(root, [2])
    monkeypatch.setattr(swap.os, "rename", real_rename)
    assert root.exists() == exchange  # without the exchange the root is briefly missing
    actions = recover_edit(root)
    assert actions and "old dataset kept at" in actions[0]
    assert LeRobotDataset("l/ds", root=root).num_episodes == 2
    (backup,) = tmp_path.glob("ds.backup-*")
    assert tree_hash(backup) == original


def test_in_place_edit_of_the_current_folder(tmp_path, monkeypatch):
    root = _small(tmp_path / "ds")
    monkeypatch.chdir(root)
    edits.delete_episodes(".", [0])
    assert LeRobotDataset("l/ds", root=root).num_episodes == 2
    assert len(list(tmp_path.glob("ds.backup-*"))) == 1
