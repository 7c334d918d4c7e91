"""In-place edits that can never destroy data: the new dataset is written beside the old one, then swapped in.

Invariant: at every moment the folder `ROOT` holds a complete dataset (the old one, then the new one), or
(on a file system without an atomic exchange) it is missing while both complete datasets exist beside it
and the journal says how to finish; `recover_edit(ROOT)` finishes or discards an interrupted edit. The old
dataset is never deleted: it becomes `ROOT.backup-<time>` and stays until the user removes it (or asks
for it with `keep_backup=False`).

Mechanism (files beside ROOT, in its parent folder):
* `.ROOT.edit/` holds the edit: its lock (`.writer.lock`, writing/lock.py: one edit at a time), the new
  dataset `new/` written and fsynced by tools/rewrite.py, and `SWAP.json`.
* Commit point: `SWAP.json` (the inode of `new/` and the backup name) written atomically. Before it, a
  crash leaves ROOT untouched and the recovery deletes the unfinished `new/`.
* Swap: `renameat2(RENAME_EXCHANGE)` exchanges `new/` and ROOT atomically (Linux); `new/` now holds the old
  dataset, which is renamed to the backup name. Without the exchange call: ROOT -> backup, `new/` -> ROOT.
* Recovery with a journal: ROOT's inode tells whether the exchange happened; the remaining renames are
  redone (roll forward); nothing is deleted except the edit folder once empty of datasets.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import shutil
import time
from pathlib import Path

from lerobot.datasets.writing.frames import fsync_dir, write_json_file
from lerobot.datasets.writing.lock import WriterLock

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def edit_dir(root: Path) -> Path:
    return root.parent / f".{root.name}.edit"


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths (Linux renameat2); False when the system cannot."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    rc = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return rc == 0


def _backup_name(root: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = root.parent / f"{root.name}.backup-{stamp}"
    n = 1
    while path.exists():
        path = root.parent / f"{root.name}.backup-{stamp}-{n}"
        n += 1
    return path


def recover_edit(root: Path | str) -> list[str]:
    """Finish (journal present) or discard (no journal) an interrupted in-place edit of `root`.
    Returns what was done. Raises DatasetLockedError if an edit of `root` is running."""
    root = Path(os.path.abspath(root))
    edit = edit_dir(root)
    if not edit.is_dir():
        return []
    lock = WriterLock(edit)
    lock.acquire()
    try:
        return _recover_locked(root, edit)
    finally:
        lock.release()
        _remove_edit_dir(edit)


def _recover_locked(root: Path, edit: Path) -> list[str]:
    journal = edit / "SWAP.json"
    new = edit / "new"
    actions = []
    if journal.is_file():
        plan = json.loads(journal.read_text())
        backup = Path(plan["backup"])
        if root.exists() and os.stat(root).st_ino == plan["new_ino"]:
            if new.exists():  # exchanged: `new/` holds the old dataset
                os.rename(new, backup)
            actions.append(f"completed the edit of {root} (old dataset kept at {backup})")
        else:
            if root.exists():
                os.rename(root, backup)
            os.rename(new, root)
            actions.append(f"rolled forward the edit of {root} (old dataset kept at {backup})")
        fsync_dir(root.parent)
    elif new.exists():
        shutil.rmtree(new)
        actions.append(f"discarded an unfinished edit of {root} (the dataset was not changed)")
    for leftover in ("SWAP.json", "SWAP.json.tmp"):
        (edit / leftover).unlink(missing_ok=True)
    return actions


def _remove_edit_dir(edit: Path) -> None:
    if not edit.is_dir():
        return
    for p in edit.iterdir():
        if p.name != ".writer.lock":
            return
    shutil.rmtree(edit, ignore_errors=True)


def replace_in_place(root: Path, write_new, keep_backup: bool = True) -> Path | None:
    """Run `write_new(stage)` (writes the complete new dataset into `stage`), then swap it in for `root`.
    Returns the backup folder (None when `keep_backup=False` and it was deleted as asked)."""
    root = Path(os.path.abspath(root))  # "." or "ds/" name their folder too
    recover_edit(root)
    edit = edit_dir(root)
    edit.mkdir(exist_ok=True)
    lock = WriterLock(edit)
    lock.acquire()
    try:
        recording = WriterLock(root)  # no recording may run on root during the edit
        recording.acquire()
        recording.release()
        new = edit / "new"
        if new.exists():
            shutil.rmtree(new)
        try:
            write_new(new)
        except BaseException:
            shutil.rmtree(new, ignore_errors=True)  # not committed: the dataset was never touched
            raise
        backup = _backup_name(root)
        write_json_file(
            {"new_ino": os.stat(new).st_ino, "backup": str(backup)}, edit / "SWAP.json.tmp", fsync=True
        )
        os.replace(edit / "SWAP.json.tmp", edit / "SWAP.json")  # commit point
        fsync_dir(edit)
        if _exchange(new, root):
            fsync_dir(root.parent)
            os.rename(new, backup)
        else:
            os.rename(root, backup)
            os.rename(new, root)
        fsync_dir(root.parent)
        (edit / "SWAP.json").unlink()
    finally:
        lock.release()
        _remove_edit_dir(edit)
    if not keep_backup:
        shutil.rmtree(backup)
        return None
    return backup
