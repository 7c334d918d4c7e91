"""Does a save cost more because of what was recorded before? Save time and bytes written vs dataset size.

    python benchmarks/dataset_scaling.py                       # 1,000 episodes x 50 frames, state-only and video
    python benchmarks/dataset_scaling.py --episodes 200 --modes state

Writes `--episodes` episodes of `--frames` frames through the public write path (`LeRobotDataset.create`,
`add_frame`, `save_episode()`, `finalize()`), `observation.state` and `action` of 6 float32 each, once
without camera (`state`) and once with one 96x96 video camera (`video`, the reference's default codec
libsvtav1). Only `save_episode()` is timed (the frames are generated and added before). It prints

* the median save time of the first and of the last 100 episodes (10% of them for short runs) and their
  ratio (target <= 1.3: the cost of a save does not grow with the dataset);
* bytes written by the writer's commits (saves and merges) / the final size of the dataset, in total and
  by kind (data parquet, mp4, episodes table, and the small per-save files info.json/stats.json/
  tasks.parquet, also by file), per episode, and the number of files at the end. Temporary PNGs/mp4s of
  the episode being encoded are not counted.

Targets (issue #13): ratio <= 1.3, bytes written <= 2.5x the final size, state-only save <= ~45 ms (the
reference LeRobot 0.4.4 measured on the same 2-core machine). Absolute times depend on the machine's load,
printed with the figures; the ratio of one run does not.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a clone without installing

from lerobot.datasets.lerobot_dataset import LeRobotDataset  # noqa: E402

STATE_DIM = 6
CAMERA = "observation.image"


def _features(with_video: bool) -> dict:
    features = {
        "observation.state": {"dtype": "float32", "shape": [STATE_DIM], "names": None},
        "action": {"dtype": "float32", "shape": [STATE_DIM], "names": None},
    }
    if with_video:
        features[CAMERA] = {"dtype": "video", "shape": [96, 96, 3], "names": ["height", "width", "channels"]}
    return features


def run(mode: str, episodes: int, frames: int, root: Path, vcodec: str) -> dict:
    with_video = mode == "video"
    ds = LeRobotDataset.create("bench/scaling", 30, _features(with_video), root=root, vcodec=vcodec)
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (96, 96, 3), dtype=np.uint8)
    save_s = []
    start = time.perf_counter()
    for ep in range(episodes):
        for i in range(frames):
            frame = {
                "observation.state": rng.standard_normal(STATE_DIM).astype(np.float32),
                "action": rng.standard_normal(STATE_DIM).astype(np.float32),
                "task": f"task {ep % 3}",
            }
            if with_video:
                frame[CAMERA] = np.roll(image, i, axis=1)
            ds.add_frame(frame)
        t0 = time.perf_counter()
        ds.save_episode()
        save_s.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    ds.finalize()
    finalize_s = time.perf_counter() - t0
    total_s = time.perf_counter() - start
    final_size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and p.name != ".writer.lock")
    assert len(LeRobotDataset("bench/scaling", root=root)) == episodes * frames
    written = dict(ds.writer.bytes_written)
    files = {
        "data": len(list(root.glob("data/*/*.parquet"))),
        "videos": len(list(root.glob("videos/*/*/*.mp4"))),
        "meta/episodes": len(list(root.glob("meta/episodes/*/*.parquet"))),
    }
    return {
        "files": files,
        "written_meta": dict(ds.writer.bytes_written_meta),
        "save_s": save_s,
        "finalize_s": finalize_s,
        "total_s": total_s,
        "final": final_size,
        "written": written,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--episodes", type=int, default=1000)
    parser.add_argument("--frames", type=int, default=50)
    parser.add_argument("--modes", nargs="+", default=["state", "video"], choices=["state", "video"])
    parser.add_argument("--vcodec", default="libsvtav1")
    parser.add_argument(
        "--root", type=Path, default=None, help="where to write (default: a temporary folder)"
    )
    args = parser.parse_args()
    if args.episodes < 20:
        parser.error(f"--episodes must be >= 20 to compare first and last saves, got {args.episodes}")
    window = min(100, args.episodes // 10)
    base = args.root or Path(tempfile.mkdtemp(prefix="lerobot-scaling-"))
    print(f"{args.episodes} episodes x {args.frames} frames; medians over the first/last {window} saves")
    print(f"machine load average (1/5/15 min): {os.getloadavg()} on {os.cpu_count()} CPUs")
    header = f"{'mode':6} {'first ms':>9} {'last ms':>9} {'ratio':>6} {'written/final':>14} {'final MB':>9}  by kind (written/final)"
    print(header)
    verdicts = []
    for mode in args.modes:
        root = base / mode
        shutil.rmtree(root, ignore_errors=True)
        r = run(mode, args.episodes, args.frames, root, args.vcodec)
        first = statistics.median(r["save_s"][:window]) * 1e3
        last = statistics.median(r["save_s"][-window:]) * 1e3
        ratio = last / first
        written = sum(r["written"].values())
        sizes = {
            "data": sum(p.stat().st_size for p in root.glob("data/*/*")),
            "videos": sum(p.stat().st_size for p in root.glob("videos/*/*/*")),
            "meta/episodes": sum(p.stat().st_size for p in root.glob("meta/episodes/*/*")),
        }
        sizes["meta"] = sum(p.stat().st_size for p in (root / "meta").glob("*") if p.is_file())
        kinds = "  ".join(
            f"{k} {r['written'][k] / 1e6:.2f}/{sizes[k] / 1e6:.2f} MB" for k in r["written"] if sizes[k]
        )
        print(
            f"{mode:6} {first:9.1f} {last:9.1f} {ratio:6.2f} {written / r['final']:14.2f} {r['final'] / 1e6:9.2f}  {kinds}"
        )
        meta = "  ".join(f"{k} {v / 1e6:.2f}" for k, v in sorted(r["written_meta"].items()))
        per_save = sum(r["written"].values()) - r["written"]["videos"]
        print(f"       meta written by file (MB): {meta}")
        print(
            f"       per episode: {r['final'] / args.episodes / 1e3:.1f} KB final, "
            f"{per_save / args.episodes / 1e3:.1f} KB of parquet/json written"
        )
        print(f"       files at the end: {r['files']}")
        print(f"       finalize {r['finalize_s'] * 1e3:.0f} ms, whole run {r['total_s']:.1f} s")
        ok = ratio <= 1.3 and written / r["final"] <= 2.5 and (mode != "state" or last <= 45)
        verdicts.append(f"{mode}: {'MET' if ok else 'NOT MET'}")
    print(f"machine load average after: {os.getloadavg()}")
    print("targets (ratio <= 1.3, written <= 2.5x final, state-only save <= 45 ms): " + ", ".join(verdicts))
    if args.root is None:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
