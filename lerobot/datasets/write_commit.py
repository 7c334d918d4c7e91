"""Crash-safe commit of a save and the recovery pass (the design is in `lerobot.datasets.writer`'s docstring).

A save stages complete files in `<root>/.staging/episode-XXXXXX/`, fsyncs them, writes `COMMIT.json`
atomically (the commit point) and renames the staged files over their destinations. `recover(root)`
rolls a committed save forward and discards an uncommitted one.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from lerobot.datasets.write_format import IMAGES_DIR, STAGING_DIR, fsync_dir, write_json_file


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
                    moves = json.load(f)["moves"]
                for staged, final in moves:
                    src = ep_dir / staged
                    if src.exists():
                        dst = root / final
                        dst.parent.mkdir(parents=True, exist_ok=True)
                        os.replace(src, dst)
                actions.append(f"rolled forward committed save {ep_dir.name}")
            else:
                actions.append(f"discarded uncommitted save {ep_dir.name}")
        shutil.rmtree(staging)
        fsync_dir(root)
    if (root / IMAGES_DIR).is_dir():
        shutil.rmtree(root / IMAGES_DIR)
        actions.append("removed temporary images/")
    return actions


def _commit(root: Path, stage: Path, moves: list[tuple[str, str]]) -> None:
    """fsync staged files, write COMMIT.json atomically (the commit point), then move files in place."""
    for staged, _ in moves:
        with open(stage / staged, "rb") as f:
            os.fsync(f.fileno())
    tmp = stage / "COMMIT.json.tmp"
    write_json_file({"moves": moves}, tmp, fsync=True)
    os.replace(tmp, stage / "COMMIT.json")
    fsync_dir(stage)
    for staged, final in moves:
        dst = root / final
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.replace(stage / staged, dst)
    fsync_dir(root / "meta")
    shutil.rmtree(stage)
    with contextlib.suppress(OSError):  # only removed when empty (another save may be staging)
        stage.parent.rmdir()


def _write_parquet_appending(previous: Path | None, table: pa.Table, out: Path) -> None:
    """Write `previous`'s row groups (if any) followed by `table` as one more row group into `out`."""
    with pq.ParquetWriter(out, table.schema, compression="snappy") as writer:
        if previous is not None:
            pf = pq.ParquetFile(previous)
            for i in range(pf.num_row_groups):
                writer.write_table(pf.read_row_group(i).cast(table.schema))
        writer.write_table(table)
