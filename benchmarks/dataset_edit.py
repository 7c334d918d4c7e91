"""What does an edit cost? Deleting one episode with stream-copied videos vs re-encoding them.

    python benchmarks/dataset_edit.py                  # 40 episodes x 50 frames, one 96x96 h264 camera
    python benchmarks/dataset_edit.py --episodes 100

Builds a dataset with the writer (tests/datasets/factories.py), then times, on the same machine in the
same run: `delete_episodes` (kept episodes' segments stream-copied, lerobot/datasets/tools/rewrite.py),
the same edit forced to decode and re-encode every segment (what an editor without stream copy pays), and
the in-place variant (written beside, swapped in by renames). Prints the times and the ratios
stream-copy / re-encode (target well below 1) and in-place / new-folder (target ~1: the swap is renames,
no copy). Absolute times depend on the load (printed with `os.getloadavg()`); the ratios of one run do
not.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a clone without installing

from lerobot.datasets.tools import edits, rewrite  # noqa: E402
from tests.datasets.factories import make_dataset  # noqa: E402


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=40)
    parser.add_argument("--frames", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src = make_dataset(tmp / "src", n_episodes=args.episodes, episode_length=args.frames, vcodec="h264")
        copy_s = _timed(lambda: edits.delete_episodes(src, [0], new_root=tmp / "copy"))
        real_cut = rewrite.cut_video

        def no_stream_copy(*a, **k):
            raise ValueError("stream copy disabled for the benchmark")

        rewrite.cut_video = no_stream_copy
        try:
            reencode_s = _timed(lambda: edits.delete_episodes(src, [0], new_root=tmp / "reencode"))
        finally:
            rewrite.cut_video = real_cut
        shutil.copytree(src, tmp / "inplace")
        inplace_s = _timed(lambda: edits.delete_episodes(tmp / "inplace", [0]))
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"dataset: {args.episodes} episodes x {args.frames} frames, one 96x96 h264 camera (load {load})")
    print(f"delete 1 episode, stream copy : {copy_s:7.2f} s")
    print(f"delete 1 episode, re-encode   : {reencode_s:7.2f} s")
    print(f"delete 1 episode, in place    : {inplace_s:7.2f} s")
    print(f"ratio stream copy / re-encode : {copy_s / reencode_s:7.2f}  (target < 0.5)")
    print(f"ratio in place / new folder   : {inplace_s / copy_s:7.2f}  (target ~1: the swap is renames)")


if __name__ == "__main__":
    main()
