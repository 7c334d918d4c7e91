"""One writer per dataset root: an OS-level lock held from `create`/`resume` until `finalize`.

The lock is `flock(LOCK_EX | LOCK_NB)` on `<root>/.writer.lock`, which holds the holder's pid, host and
start time (for the error message). The kernel drops the lock when its process dies, so a lock file left
by a killed writer is taken over (with a warning naming the dead holder). A second writer, in the same
process or another, fails at once with `DatasetLockedError` naming the root and the holder. Readers never
take the lock, so they are never blocked. Released by `finalize()` (the file is removed).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import socket
import time
from pathlib import Path

LOCK_FILE = ".writer.lock"
logger = logging.getLogger(__name__)


class DatasetLockedError(RuntimeError):
    """Another writer holds the dataset root."""


def _holder(text: str) -> str:
    try:
        info = json.loads(text)
        return f"pid {info['pid']} on host {info['host']} (since {info['since']})"
    except (ValueError, KeyError, TypeError):
        return "an unknown process (unreadable lock file)"


class WriterLock:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.path = self.root / LOCK_FILE
        self._fd: int | None = None
        self._pid: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None and self._pid == os.getpid()

    def acquire(self) -> None:
        if self.held:
            return
        self._fd = None  # inherited through fork: the parent owns that lock
        self.root.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                with os.fdopen(fd, encoding="utf-8") as f:
                    holder = _holder(f.read())
                raise DatasetLockedError(
                    f"Dataset {self.root} is being written by {holder}: only one writer per dataset. "
                    f"Stop that recording first (or wait for it to finish), or record into another root."
                ) from None
            # The holder before us may have removed the file after we opened it: lock the current one.
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        stale = os.read(fd, 4096).decode("utf-8", errors="replace")
        if stale.strip():
            logger.warning(
                "Dataset %s: taking over the writer lock left by %s, which is no longer running.",
                self.root,
                _holder(stale),
            )
        info = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.strftime("%Y-%m-%dT%H:%M:%S")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        os.fsync(fd)
        self._fd, self._pid = fd, os.getpid()

    def release(self) -> None:
        if not self.held:  # never acquired, released, or a forked child's copy: the parent owns the lock
            return
        fd, self._fd = self._fd, None
        try:
            self.path.unlink(missing_ok=True)  # while still locked: a waiter re-checks the inode
        finally:
            os.close(fd)  # drops the flock

    def __del__(self):
        with contextlib.suppress(Exception):  # interpreter shutdown: the kernel drops the lock anyway
            self.release()
