"""Crash-safe commit of a save or a merge, and the recovery pass (the writer's invariants are in
`lerobot.datasets.writing.writer`'s docstring).

A save (merge) stages complete files in `<root>/.staging/episode-XXXXXX/` (`merge-XXXXXX/`), fsyncs them,
writes `COMMIT.json` atomically (the commit point: the renames, then the files to delete) and renames the
staged files over their destinations, then deletes the merged-away files. `recover(root)` rolls a
committed save or merge forward and discards an uncommitted one.

Crash safety
------------
* A save or a merge never writes into a live file: every file it produces is written complete into a
  staging directory `<root>/.staging/episode-<e>/` (or `merge-<e>/`) and fsynced.
* Commit point: `COMMIT.json` (the `staged -> final` renames, info.json last for a save, then the files
  to delete for a merge) is written to a temp name, fsynced and atomically renamed into the staging
  directory. Then every staged file is moved over its destination with `os.replace` (atomic on POSIX),
  the merged-away files are deleted and the staging directory is removed. `save_episode()` returns only
  after that.
* Recovery (`recover(root)`, run by `resume` under the writer lock): for each staging directory with a
  `COMMIT.json`, redo the renames whose source still exists and the deletes (roll forward); every
  staging directory without one is deleted (roll back: the live files were never touched). The
  temporary `images/` tree is removed (it only holds frames of the unsaved episode).
* So a SIGKILL at any moment, including during a merge, loses at most the episode being recorded or
  saved; a killed merge either happened or did not. A power cut is covered by the fsyncs before the
  commit point. Only one writer may run on a root at a time (writing/lock.py), so recovery never cleans up
  after a live writer.
* There are no open parquet writers between episodes, so `finalize()` has nothing to flush: it waits for
  background saves, folds the tail and releases the lock (it stays mandatory in the API, as in the
  reference).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path

from lerobot.datasets.writing.frames import IMAGES_DIR, STAGING_DIR, fsync_dir, write_json_file


def recover(root: Path | str) -> list[str]:
    """Bring a dataset root back to a consistent state after a crash (see the module docstring).

    Returns a list of human-readable actions taken (empty when the root was clean)."""
    root = Path(root)
    actions: list[str] = []
    staging = root / STAGING_DIR
    if staging.is_dir():
        for ep_dir in sorted(p for p in staging.iterdir() if p.is_dir()):
            commit = ep_dir / "COMMIT.json"
            if commit.is_file():
                with open(commit, encoding="utf-8") as f:
                    plan = json.load(f)
                for staged, final in plan["moves"]:
                    src = ep_dir / staged
                    if src.exists():
                        dst = root / final
                        dst.parent.mkdir(parents=True, exist_ok=True)
                        os.replace(src, dst)
                for rel in plan.get("deletes", []):
                    (root / rel).unlink(missing_ok=True)
                actions.append(f"rolled forward committed {ep_dir.name}")
            else:
                actions.append(f"discarded uncommitted save {ep_dir.name}")
        shutil.rmtree(staging)
        fsync_dir(root)
    if (root / IMAGES_DIR).is_dir():
        shutil.rmtree(root / IMAGES_DIR)
        actions.append("removed temporary images/")
    return actions


def _commit(root: Path, stage: Path, moves: list[tuple[str, str]], deletes: list[str] = ()) -> dict[str, int]:
    """fsync staged files, write COMMIT.json atomically (the commit point), then move files in place and
    delete `deletes` (paths relative to root). Returns the bytes of the staged files by destination."""
    written = {}
    for staged, final in moves:
        with open(stage / staged, "rb") as f:
            os.fsync(f.fileno())
            written[final] = os.fstat(f.fileno()).st_size
    tmp = stage / "COMMIT.json.tmp"
    write_json_file({"moves": moves, "deletes": list(deletes)}, tmp, fsync=True)
    os.replace(tmp, stage / "COMMIT.json")
    fsync_dir(stage)
    for staged, final in moves:
        dst = root / final
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.replace(stage / staged, dst)
    for rel in deletes:
        (root / rel).unlink(missing_ok=True)
    fsync_dir(root / "meta")
    shutil.rmtree(stage)
    with contextlib.suppress(OSError):  # only removed when empty (another save may be staging)
        stage.parent.rmdir()
    return written
