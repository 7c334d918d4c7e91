"""Data loading at the decode limit: the training DataLoader vs raw PyAV decoding of the same frames.

    python benchmarks/dataloading.py                 # 96x96 and 480x640, 1 and 2 cameras, 0/1/2 workers (~3 min)
    python benchmarks/dataloading.py --quick         # smaller datasets, shorter measurements, one repeat
    python benchmarks/dataloading.py --sizes 96x96 --cameras 1 --seconds 3 --repeats 3

For each generated video dataset (v3.0, AV1 libsvtav1, yuv420p, g=2, crf=30: the reference's encoding
defaults, written by lerobot's own DatasetWriter; `--cameras` cameras of the same size) and each
configuration (time windows or not, 0/1/2 DataLoader workers) it prints

* `loader`: samples/s of the training path: `LeRobotDataset(..., return_uint8=True)` through
  `lerobot.datasets.loading.make_dataloader(dataset, <batches of 32 of a shuffled order>, num_workers=N)` as
  `lerobot-train` builds it (persistent workers, prefetch 2; each worker builds whole batches column-wise,
  frames decoded grouped by video file, each once, into reused shared-memory buffers:
  `LeRobotDataset.get_batch`), counted from `iter(loader)` to the last batch; the workers are started and
  warmed up (their buffers allocated) on a few batches before, as the raw processes are started before;
* `raw`: samples/s of plain PyAV decoding exactly the same frames, sample after sample in the same order,
  with the same number of processes (max(1, N); the order is split into N contiguous shares), every
  container kept open (seek to the keyframe before a sample's first query, decode forward, pick the nearest
  frame, convert to RGB with one persistent swscale context, single-threaded decoder), no DataLoader, no
  parquet, no tensors: the decode limit;
* `ratio` = loader / raw, measured in the same run (alternating, best of `--repeats`): robust to the load;
* samples per CPU-second of each (all processes: main + workers, read from /proc), which hardly moves with
  the machine's load, and the main process's CPU microseconds per sample (what the training process itself
  spends on receiving batches); the load average (`uptime`) is printed before and after.

Time windows ("windows"): every camera and `observation.state` get the 2 past frames plus the current one,
`[-2/fps, -1/fps, 0]` (3 frames decoded per camera and sample), and `action` the 16 future actions,
`[0, 1/fps, ..., 15/fps]`. Without windows a sample is one frame per camera.

The target lines check the windows rows with 2 workers: 96x96 one camera >= 0.8x raw, 480x640 two cameras
>= 0.7x raw. Datasets are generated once into `--root` (default: a temporary folder) and reused; with the
defaults the run takes about 3 minutes on a 2-core machine (2.5 with load average 3.5 once the datasets
exist; generating them takes another 1-1.5 minutes the first time).
"""

from __future__ import annotations

import argparse
import bisect
import gc
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np
import pyarrow.parquet as pq
import torch
from av.video.reformatter import VideoReformatter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a clone without installing

from lerobot.datasets.lerobot_dataset import LeRobotDataset
from lerobot.datasets.loading import make_dataloader
from lerobot.datasets.video.encoding import VideoEncodingConfig
from lerobot.datasets.writing.writer import DatasetWriter

BATCH_SIZE = 32
FPS = 30
PAST_FRAMES = 2
FUTURE_ACTIONS = 16
TARGETS = {("96x96", 1): 0.8, ("480x640", 2): 0.7}  # (size, cameras) -> min loader/raw, windows, 2 workers


def camera_keys(n_cameras: int) -> list[str]:
    return (
        ["observation.image"] if n_cameras == 1 else [f"observation.images.cam{i}" for i in range(n_cameras)]
    )


# --- dataset generation ----------------------------------------------------------------------------


def _frame(h: int, w: int, i: int, rng: np.random.Generator) -> np.ndarray:
    """A camera-like frame: drifting colour ramps, a moving bright square and a little sensor noise."""
    y = np.linspace(0, 255, h, dtype=np.float32)[:, None]
    x = np.linspace(0, 255, w, dtype=np.float32)[None, :]
    img = np.empty((h, w, 3), dtype=np.float32)
    img[..., 0] = (x + 3.0 * i) % 256
    img[..., 1] = (y + 2.0 * i) % 256
    img[..., 2] = (x + y) / 2
    s = max(4, min(h, w) // 5)
    top, left = (2 * i) % (h - s), (3 * i) % (w - s)
    img[top : top + s, left : left + s] = 240
    img += rng.normal(0, 3, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def make_video_dataset(
    root: Path, height: int, width: int, n_cameras: int, n_episodes: int, episode_length: int
) -> Path:
    """Write a v3.0 dataset with `n_cameras` AV1 cameras, a 6-D state and action (skips if `root` exists)."""
    if root.is_dir():
        return root
    final, root = root, root.with_name(root.name + ".partial")  # renamed when complete (an interrupted run
    shutil.rmtree(root, ignore_errors=True)  # leaves no half-written dataset to reuse)
    cams = camera_keys(n_cameras)
    features = {
        **{
            cam: {"dtype": "video", "shape": [height, width, 3], "names": ["height", "width", "channels"]}
            for cam in cams
        },
        "observation.state": {"dtype": "float32", "shape": [6], "names": None},
        "action": {"dtype": "float32", "shape": [6], "names": None},
    }
    writer = DatasetWriter.create(root, FPS, features, video_config=VideoEncodingConfig(vcodec="libsvtav1"))
    rng = np.random.default_rng(0)
    try:
        for ep in range(n_episodes):
            for i in range(episode_length):
                state = np.sin(0.1 * i + np.arange(6) + ep).astype(np.float32)
                frame = {cam: _frame(height, width, i + 17 * ep + 5 * c, rng) for c, cam in enumerate(cams)}
                writer.add_frame(
                    {**frame, "observation.state": state, "action": state * 0.5, "task": "Push the block."}
                )
            writer.save_episode()
    finally:
        writer.finalize()
    root.rename(final)
    return final


# --- the decode limit: raw PyAV ----------------------------------------------------------------------


def sample_queries(root: Path, cams: list[str], indices: list[int], offsets: list[int]) -> list[list]:
    """Per sample: [(mp4 path, query timestamps in the file) per camera], from the parquet files directly."""
    meta_rows = pq.read_table(sorted((root / "meta" / "episodes").rglob("*.parquet"))).to_pylist()
    episodes = {r["episode_index"]: r for r in meta_rows}
    data = pq.read_table(
        sorted((root / "data").rglob("*.parquet")), columns=["index", "episode_index", "timestamp"]
    )
    order = np.argsort(data["index"].to_numpy())
    ep_col = data["episode_index"].to_numpy()[order]
    ts_col = data["timestamp"].to_numpy()[order].astype(np.float64)
    out = []
    for idx in indices:
        row = episodes[int(ep_col[idx])]
        start, end = row["dataset_from_index"], row["dataset_to_index"]
        rows = np.clip(idx + np.asarray(offsets), start, end - 1)
        sample = []
        for cam in cams:
            chunk, file = row[f"videos/{cam}/chunk_index"], row[f"videos/{cam}/file_index"]
            path = root / "videos" / cam / f"chunk-{chunk:03d}" / f"file-{file:03d}.mp4"
            sample.append((path, (row[f"videos/{cam}/from_timestamp"] + ts_col[rows]).tolist()))
        out.append(sample)
    return out


def _raw_decode(samples: list[list]) -> None:
    """Decode every sample's frames with PyAV alone, one seek per sample and camera (containers kept open)."""
    open_files: dict[Path, tuple] = {}
    for sample in samples:
        for path, times in sample:
            if path not in open_files:
                container = av.open(str(path))
                stream = container.streams.video[0]
                stream.codec_context.thread_count = 1
                keyframes = sorted(e.timestamp for e in stream.index_entries if e.is_keyframe)
                open_files[path] = (container, stream, keyframes, VideoReformatter())
            container, stream, keyframes, reformatter = open_files[path]
            tb = float(stream.time_base)
            target = round(times[0] / tb)
            container.seek(keyframes[max(0, bisect.bisect_right(keyframes, target) - 1)], stream=stream)
            frames = []
            for packet in container.demux(stream):
                frames += packet.decode()
                if frames and frames[-1].pts * tb >= times[-1]:
                    break
            pts = np.array([f.pts * tb for f in frames])
            for t in times:
                frame = frames[int(np.abs(pts - t).argmin())]
                reformatter.reformat(frame, format="rgb24", threads=1).to_ndarray()
    for container, *_ in open_files.values():
        container.close()


def _raw_worker(samples, ready, go, results) -> None:
    ready.put(os.getpid())
    go.wait()
    cpu = time.process_time()
    _raw_decode(samples)
    results.put(time.process_time() - cpu)


def raw_pyav_rate(samples: list[list], processes: int) -> tuple[float, float]:
    """Samples per second and per CPU-second decoding `samples` with PyAV alone in `processes` processes
    (forked and waiting before the clock starts; each decodes a contiguous share of the order)."""
    if processes <= 1:
        cpu, start = time.process_time(), time.perf_counter()
        _raw_decode(samples)
        return len(samples) / (time.perf_counter() - start), len(samples) / (time.process_time() - cpu)
    ctx = mp.get_context("fork")
    ready, results, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    share = -(-len(samples) // processes)
    procs = [
        ctx.Process(target=_raw_worker, args=(samples[k * share : (k + 1) * share], ready, go, results))
        for k in range(processes)
    ]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get()
    start = time.perf_counter()
    go.set()
    cpu = sum(results.get() for _ in procs)
    elapsed = time.perf_counter() - start
    for p in procs:
        p.join()
    return len(samples) / elapsed, len(samples) / cpu


# --- the loader ------------------------------------------------------------------------------------


def _process_cpu_seconds(pid: int) -> float:
    """user + system CPU seconds of a live process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def loader_rate(
    dataset: LeRobotDataset, order: list[int], num_workers: int
) -> tuple[float, int, float, float]:
    """Samples per second and per CPU-second (main process + workers) through the training DataLoader over
    `order`, the number of samples and the main process's CPU seconds per sample. The (persistent) workers
    are started and warmed up first on (prefetch + 1) batches each (process start-up and first allocation
    of the reused buffers excluded, as the raw processes are started before the clock); then the whole
    order is counted, from `iter(loader)` to the last batch."""
    batches = [order[i : i + BATCH_SIZE] for i in range(0, len(order), BATCH_SIZE)]
    schedule = batches[: 3 * max(1, num_workers)]  # warm-up; replaced in place by the measured batches below
    loader = make_dataloader(dataset, schedule, num_workers=num_workers)
    for _ in loader:
        pass
    schedule[:] = batches
    main_cpu = time.process_time()
    start = time.perf_counter()
    it = iter(loader)  # persistent workers: the same processes, now with the measured batches
    workers = [w.pid for w in getattr(it.inner, "_workers", [])]
    worker_cpu = sum(_process_cpu_seconds(pid) for pid in workers)  # warm-up CPU left out
    n = 0
    for batch in it:
        n += len(batch["index"])
    elapsed = time.perf_counter() - start
    main_cpu = time.process_time() - main_cpu
    cpu = main_cpu + sum(_process_cpu_seconds(pid) for pid in workers) - worker_cpu
    del it, loader, batch
    gc.collect()  # the DataLoader's buffers go now, not in a later configuration's measurement
    return n / elapsed, n, n / max(cpu, 1e-3), main_cpu / n


def run(
    root: Path, size: tuple[int, int], n_cameras: int, n_episodes: int, episode_length: int, args
) -> list:
    h, w = size
    t0 = time.perf_counter()
    ds_root = make_video_dataset(
        root / f"video_{h}x{w}_{n_cameras}cam_{n_episodes}x{episode_length}", h, w, n_cameras, n_episodes,
        episode_length,
    )  # fmt: skip
    cams = camera_keys(n_cameras)
    print(
        f"\n== {h}x{w}, {n_cameras} camera(s): {n_episodes} episodes x {episode_length} frames at {FPS} fps "
        f"(dataset ready in {time.perf_counter() - t0:.1f}s: {ds_root})",
        flush=True,
    )
    results = []
    for windows in (False, True):
        delta, offsets = None, [0]
        if windows:
            window = [-k / FPS for k in range(PAST_FRAMES, 0, -1)] + [0.0]
            delta = {**dict.fromkeys(cams, window), "observation.state": window}
            delta["action"] = [k / FPS for k in range(FUTURE_ACTIONS)]
            offsets = list(range(-PAST_FRAMES, 1))
        dataset = LeRobotDataset(f"bench/{h}x{w}", root=ds_root, delta_timestamps=delta, return_uint8=True)
        # Calibrate how many samples fit in `seconds` with one quick raw pass, then use one shuffled order
        # for the raw decode and every loader configuration.
        perm = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(0)).tolist()
        probe, _ = raw_pyav_rate(sample_queries(ds_root, cams, perm[:64], offsets), 1)
        n = int(max(6 * BATCH_SIZE, probe * args.seconds))
        order = (perm * (n // len(perm) + 1))[:n]  # epochs of the same permutation if the dataset is small
        samples = sample_queries(ds_root, cams, order, offsets)
        raw, raw_cpu, loader, loader_cpu, counted, main_us = {}, {}, {}, {}, {}, {}
        for _ in range(args.repeats):  # alternating; best of the repeats (other jobs only ever slow a run)
            for workers in args.workers:
                procs = max(1, workers)
                if procs not in raw or _ > 0:
                    wall, per_cpu = raw_pyav_rate(samples, procs)
                    raw[procs], raw_cpu[procs] = (
                        max(raw.get(procs, 0), wall),
                        max(raw_cpu.get(procs, 0), per_cpu),
                    )
                rate, counted[workers], per_cpu, main_s = loader_rate(dataset, order, workers)
                main_us[workers] = min(main_us.get(workers, float("inf")), main_s * 1e6)
                loader[workers] = max(loader.get(workers, 0.0), rate)
                loader_cpu[workers] = max(loader_cpu.get(workers, 0.0), per_cpu)
        for workers in args.workers:
            procs = max(1, workers)
            r = {
                "size": f"{h}x{w}", "cameras": n_cameras, "windows": windows, "workers": workers,
                "loader": loader[workers], "raw": raw[procs], "ratio": loader[workers] / raw[procs],
                "loader_cpu": loader_cpu[workers], "raw_cpu": raw_cpu[procs], "samples": counted[workers],
                "main_us": main_us[workers],
            }  # fmt: skip
            results.append(r)
            print(
                f"  windows={'yes' if windows else 'no ':3s} workers={workers}  loader {r['loader']:8.1f} samples/s"
                f"  raw PyAV ({procs} proc) {r['raw']:8.1f}  ratio {r['ratio']:5.2f}  | per CPU-second: loader "
                f"{r['loader_cpu']:7.1f}  raw {r['raw_cpu']:7.1f}  main process {r['main_us']:6.0f} us/sample  "
                f"({r['samples']} samples, best of {args.repeats})",
                flush=True,
            )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--root", type=Path, default=None, help="where datasets are generated/reused")
    parser.add_argument("--sizes", default="96x96,480x640", help="comma-separated HxW list")
    parser.add_argument("--cameras", default="1,2", help="comma-separated camera counts")
    parser.add_argument("--workers", default="0,1,2", help="comma-separated DataLoader worker counts")
    parser.add_argument("--seconds", type=float, default=1.2, help="target duration of each measurement")
    parser.add_argument("--episodes", type=int, default=None, help="episodes (default 10 small, 3 large)")
    parser.add_argument("--length", type=int, default=None, help="frames/episode (default 100)")
    parser.add_argument("--repeats", type=int, default=2, help="measurements per configuration (best kept)")
    parser.add_argument("--quick", action="store_true", help="small datasets, 1 s measurements, 1 repeat")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.repeats = min(args.seconds, 1.0), 1
    started = time.perf_counter()
    print(f"load average at the start (1/5/15 min): {os.getloadavg()} on {os.cpu_count()} CPUs", flush=True)
    args.workers = [int(v) for v in args.workers.split(",")]
    torch.set_num_threads(1)
    summary = []
    with tempfile.TemporaryDirectory() as tmp:
        root = args.root or Path(tmp)
        for size in args.sizes.split(","):
            h, w = (int(v) for v in size.lower().split("x"))
            small = h * w <= 128 * 128
            episodes = (
                args.episodes or (6 if args.quick else 10)
                if small
                else args.episodes or (2 if args.quick else 3)
            )
            length = args.length or (100 if small else (60 if args.quick else 100))
            for n_cameras in (int(v) for v in args.cameras.split(",")):
                summary += run(root, (h, w), n_cameras, episodes, length, args)
    print(
        f"\nload average at the end (1/5/15 min): {os.getloadavg()} on {os.cpu_count()} CPUs; "
        f"run time {time.perf_counter() - started:.0f} s"
    )
    print(
        "samples/s (loader, raw PyAV with max(1, workers) processes) and their ratio; samples per CPU-second "
        "of all processes; CPU us per sample of the main process"
    )
    print("size     cams windows workers   loader/s    raw/s  ratio  loader/cpu-s  raw/cpu-s  main us/sample")
    for r in summary:
        print(
            f"{r['size']:8s} {r['cameras']:4d} {'yes' if r['windows'] else 'no':7s} {r['workers']:7d}"
            f"{r['loader']:11.1f} {r['raw']:8.1f} {r['ratio']:6.2f} {r['loader_cpu']:13.1f} {r['raw_cpu']:10.1f}"
            f"{r['main_us']:16.0f}"
        )
    for (size, cams), limit in TARGETS.items():
        rows = [
            r
            for r in summary
            if (r["size"], r["cameras"]) == (size, cams) and r["windows"] and r["workers"] == 2
        ]
        for r in rows:
            print(
                f"target ({size}, {cams} camera(s), windows, batch {BATCH_SIZE}, 2 workers): loader >= {limit}x raw "
                f"PyAV with 2 processes -> {r['loader']:.0f} vs {r['raw']:.0f} samples/s = {r['ratio']:.2f}x: "
                f"{'MET' if r['ratio'] >= limit else 'NOT MET'} ({r['loader_cpu']:.0f} samples per CPU-second)"
            )


if __name__ == "__main__":
    main()
