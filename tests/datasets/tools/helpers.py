"""Shared checks of the dataset-tools tests: tree hashes, kept episodes' frames equal to the source's."""

import hashlib
from pathlib import Path

import datasets
import numpy as np
import pandas as pd
import torch

from lerobot.datasets.lerobot_dataset import LeRobotDataset

RENUMBERED = ("episode_index", "index", "task_index")


def tree_hash(root: Path) -> str:
    """Hash of every file's relative path and bytes (and the directory listing) under `root`."""
    h = hashlib.sha256()
    for p in sorted(Path(root).rglob("*")):
        h.update(str(p.relative_to(root)).encode())
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


def hf_rows(root: Path, cache: Path) -> datasets.Dataset:
    """The data files read by HF `datasets` as the reference's loader does."""
    files = [str(p) for p in sorted(Path(root).glob("data/*/*.parquet"))]
    return datasets.Dataset.from_parquet(files, cache_dir=str(cache))


def assert_same_episodes(
    src: Path, out: Path, mapping: dict[int, int], tmp: Path, task_of=None, total: int | None = None
) -> None:
    """Episode `s` of `src` equals episode `mapping[s]` of `out`: items of LeRobotDataset (every camera
    frame, every column but the renumbered ones) and rows read by HF `datasets`. `task_of(new_ep, old_task)`
    gives the expected task string (default: unchanged)."""
    a, b = LeRobotDataset("local/src", root=src), LeRobotDataset("local/out", root=out)
    assert b.num_episodes == (len(mapping) if total is None else total)
    ha, hb = hf_rows(src, tmp / "hf_a"), hf_rows(out, tmp / "hf_b")
    # the metadata as the reference reads it: the episodes table with HF `datasets`, tasks with pandas
    files = [str(p) for p in sorted(Path(out).glob("meta/episodes/*/*.parquet"))]
    episodes = datasets.Dataset.from_parquet(files, cache_dir=str(tmp / "hf_e"))
    assert episodes["episode_index"][:] == list(range(b.num_episodes))
    assert episodes["dataset_to_index"][-1] == b.num_frames == len(hb)
    tasks = pd.read_parquet(Path(out) / "meta/tasks.parquet")
    assert list(tasks.index) == b.meta.task_list and list(tasks["task_index"]) == list(range(len(tasks)))
    keys = [k for k in b.features if k not in RENUMBERED]
    for s, n in mapping.items():
        fa, ta = a.meta.episode_range(s)
        fb, tb = b.meta.episode_range(n)
        assert ta - fa == tb - fb, (s, n)
        for i in {0, (ta - fa) // 2, ta - fa - 1}:
            ia, ib = a[fa + i], b[fb + i]
            assert int(ib["episode_index"]) == n and int(ib["index"]) == fb + i
            expected_task = ia["task"] if task_of is None else task_of(n, ia["task"])
            assert ib["task"] == expected_task
            for k in keys:
                if k in ia:
                    assert torch.equal(ia[k], ib[k]), (s, i, k)
        ra, rb = ha[fa:ta], hb[fb:tb]
        for k in keys:
            if k in ra and b.features[k]["dtype"] not in ("image", "video"):
                assert np.array_equal(np.asarray(ra[k]), np.asarray(rb[k])), (s, k)
        assert rb["episode_index"] == [n] * (tb - fb)
        assert rb["index"] == list(range(fb, tb))


def rc(main, args: list[str]) -> int:
    """Exit status of a command's `main(args)` (errors end in SystemExit through lerobot/utils/cli.py)."""
    try:
        return main(args)
    except SystemExit as e:
        return e.code
