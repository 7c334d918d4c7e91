"""Recording benchmark: a simulated 30 fps loop with 2 cameras of 480x640 writing v3.0 episodes.

    python benchmarks/recording.py                      # default AV1 (libsvtav1, crf 30, g 2)
    python benchmarks/recording.py --vcodec h264        # the fast one-flag alternative
    python benchmarks/recording.py --vcodec libsvtav1 --preset 12
    python benchmarks/recording.py --vcodec h264 --streaming   # encode while recording, no PNGs

Prints, for the chosen encoder settings:
* the raw PyAV encode rate of the same frames (frames/s for one camera, and its ratio to the 60 frames/s
  that 2 cameras at 30 fps need) -- the baseline, measured in the same run;
* loop tick p50 / p99 / max (time spent in `add_frame` per tick) while the previous episode is encoded in
  the background (`save_episode(wait=False)`), and the number of missed 33 ms deadlines;
* the real-time factor of saving: (encode + commit time of an episode) / (episode duration); <= 1 means
  an episode of T seconds is saved within T seconds, i.e. during the next episode or the reset period.

The machine may be shared: figures are noisy, compare them only with the baseline of the same run.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lerobot.datasets.video_encoding import VideoEncodingConfig, encode_video_arrays  # noqa: E402
from lerobot.datasets.writing.writer import DatasetWriter  # noqa: E402
from tests.datasets.factories import make_camera_frame  # noqa: E402

FPS = 30
SHAPE = (480, 640, 3)
CAMERAS = ("observation.images.front", "observation.images.wrist")


def make_frames(n: int, camera: int) -> list[np.ndarray]:
    rng = np.random.default_rng(camera)
    return [make_camera_frame(SHAPE, i, camera, rng) for i in range(n)]


def raw_encode_rate(frames: list[np.ndarray], config: VideoEncodingConfig, workdir: Path) -> float:
    t0 = time.perf_counter()
    encode_video_arrays(frames, workdir / "raw.mp4", FPS, config)
    return len(frames) / (time.perf_counter() - t0)


def record(args, config: VideoEncodingConfig, pool: dict[str, list[np.ndarray]], workdir: Path) -> dict:
    features = {
        k: {"dtype": "video", "shape": list(SHAPE), "names": ["height", "width", "channels"]} for k in CAMERAS
    }
    features["observation.state"] = {"dtype": "float32", "shape": [6], "names": None}
    features["action"] = {"dtype": "float32", "shape": [6], "names": None}
    writer = DatasetWriter.create(
        workdir / "ds",
        FPS,
        features,
        image_writer_threads=args.image_writer_threads,
        image_writer_processes=args.image_writer_processes,
        video_config=config,
        encoder_niceness=args.niceness,
        streaming_encoding=args.streaming,
    )
    n_frames = int(args.episode_seconds * FPS)
    state = np.zeros(6, np.float32)
    ticks: list[float] = []  # per episode >= 1 (recorded while the previous one is being saved)
    late = 0
    save_times: list[float] = []
    futures = []
    for ep in range(args.episodes):
        next_deadline = time.perf_counter()
        for i in range(n_frames):
            frame = {k: pool[k][i % len(pool[k])] for k in CAMERAS}
            frame.update({"observation.state": state, "action": state, "task": "benchmark"})
            t0 = time.perf_counter()
            writer.add_frame(frame)
            dt = time.perf_counter() - t0
            if ep >= 1:
                ticks.append(dt)
            next_deadline += 1.0 / FPS
            sleep = next_deadline - time.perf_counter()
            if sleep > 0:
                time.sleep(sleep)
            elif ep >= 1:
                late += 1
        t_save = time.perf_counter()
        future = writer.save_episode(wait=False)
        future.add_done_callback(lambda _f, t=t_save: save_times.append(time.perf_counter() - t))
        futures.append(future)
    writer.finalize()
    ticks_ms = np.array(ticks) * 1e3
    return {
        "tick_p50_ms": float(np.percentile(ticks_ms, 50)),
        "tick_p99_ms": float(np.percentile(ticks_ms, 99)),
        "tick_max_ms": float(ticks_ms.max()),
        "late_ticks": late,
        "ticks": len(ticks),
        "save_s": save_times,
        "rtf": [s / args.episode_seconds for s in save_times],
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--vcodec", default="libsvtav1", choices=["libsvtav1", "h264", "hevc"])
    parser.add_argument(
        "--preset", default=None, help="encoder preset (svt-av1: 0-13; x264: ultrafast..veryslow)"
    )
    parser.add_argument("--crf", type=int, default=None, help="default: 30 (reference), 23 for h264/hevc")
    parser.add_argument("--episode-seconds", type=float, default=10.0)
    parser.add_argument("--episodes", type=int, default=3)
    parser.add_argument("--image-writer-threads", type=int, default=4)
    parser.add_argument(
        "--image-writer-processes", type=int, default=0, help="PNG writer processes (0: threads)"
    )
    parser.add_argument("--niceness", type=int, default=0, help="nice value of the background saver thread")
    parser.add_argument(
        "--streaming",
        action="store_true",
        help="encode while recording (no temporary PNGs for video cameras)",
    )
    args = parser.parse_args()
    crf = args.crf if args.crf is not None else (30 if args.vcodec == "libsvtav1" else 23)
    preset = int(args.preset) if args.preset is not None and args.preset.isdigit() else args.preset
    config = VideoEncodingConfig(vcodec=args.vcodec, crf=crf, preset=preset)
    workdir = Path(tempfile.mkdtemp(prefix="lerobot-recording-bench-"))
    try:
        pool = {k: make_frames(60, n) for n, k in enumerate(CAMERAS)}
        rate = raw_encode_rate(pool[CAMERAS[0]] * 2, config, workdir)
        mode = (
            "streaming encoding"
            if args.streaming
            else (
                f"PNGs ({args.image_writer_processes or args.image_writer_threads} "
                f"{'processes' if args.image_writer_processes else 'threads'}) + encode at save"
            )
        )
        print(
            f"{mode}; encoder: {args.vcodec} crf={crf} preset={preset} g=2 yuv420p; 2 cameras {SHAPE[1]}x{SHAPE[0]} @ {FPS} fps"
        )
        print(
            f"raw PyAV encode rate (1 camera, main thread, idle loop): {rate:.1f} frames/s = "
            f"{rate / (len(CAMERAS) * FPS):.2f}x the {len(CAMERAS) * FPS} frames/s needed"
        )
        res = record(args, config, pool, workdir)
        print(
            f"loop tick (add_frame) while the previous episode saves: p50 {res['tick_p50_ms']:.2f} ms, "
            f"p99 {res['tick_p99_ms']:.2f} ms, max {res['tick_max_ms']:.2f} ms; "
            f"{res['late_ticks']}/{res['ticks']} ticks missed the 33.3 ms deadline"
        )
        saves = ", ".join(f"{s:.1f}s (rtf {r:.2f})" for s, r in zip(res["save_s"], res["rtf"], strict=True))
        print(f"episode save time for {args.episode_seconds:.0f}s episodes: {saves}")
        ok_tick = res["tick_p99_ms"] < 33.3
        # the last episode is saved with no recording going on; the others while the next one records
        ok_rtf = max(res["rtf"][:-1] or res["rtf"]) <= 1.0
        print(
            f"p99 tick < 33 ms: {'yes' if ok_tick else 'NO'}; saving keeps up (rtf <= 1): {'yes' if ok_rtf else 'NO'}"
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
