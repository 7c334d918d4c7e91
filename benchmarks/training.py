"""lerobot-train throughput per policy at default config: steps/s and the share of time waiting for data.

    python benchmarks/training.py                                  # every policy, CPU, batch 8, 4 workers
    python benchmarks/training.py --policies act diffusion --steps 12 --num-workers 0 --device cuda

For each policy it generates a PushT-shaped v3.0 dataset once (96x96 video camera, 2-D state and action,
reward), runs the real training loop (`lerobot.training.train`, default policy config and training
flags except `--steps`) and reads the per-step `update_s` / `dataloading_s` the loop logs. The first
`--warmup` steps (worker start-up, first allocations) are left out. Printed per policy: median update
time, median data wait, steps/s = 1 / (update + wait), and the data share = wait / (update + wait); the
baseline in the same run is the update alone (`bare steps/s`), so `steps/s / bare` shows what loading
costs the loop.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lerobot.configs.parser import parse  # noqa: E402
from lerobot.configs.train import TrainPipelineConfig  # noqa: E402
from lerobot.training import TRAIN_METRICS_FILE, train  # noqa: E402
from tests.datasets.factories import make_dataset  # noqa: E402

FEATURES = {
    "observation.image": {"dtype": "video", "shape": [96, 96, 3], "names": ["height", "width", "channels"]},
    "observation.state": {"dtype": "float32", "shape": [2], "names": ["x", "y"]},
    "action": {"dtype": "float32", "shape": [2], "names": ["x", "y"]},
    "next.reward": {"dtype": "float32", "shape": [1], "names": None},
}
# Defaults except what a camera-less download would need (no ImageNet weights offline).
POLICY_FLAGS = {
    "act": ["--policy.pretrained_backbone_weights=null"],
    "diffusion": [],
    "tdmpc": [],
    "vqbet": [],
}


def bench(policy: str, root: Path, work: Path, args) -> dict:
    out = work / f"run_{policy}"
    argv = [
        f"--policy.type={policy}", *POLICY_FLAGS[policy], f"--policy.device={args.device}",
        "--policy.push_to_hub=false", "--dataset.repo_id=local/bench", f"--dataset.root={root}",
        f"--steps={args.steps}", f"--batch_size={args.batch_size}", f"--num_workers={args.num_workers}",
        "--log_freq=1", "--save_checkpoint=false", "--eval_freq=0", f"--output_dir={out}",
    ]  # fmt: skip
    start = time.perf_counter()
    train(parse(TrainPipelineConfig, argv), progress=False)
    wall = time.perf_counter() - start
    records = [json.loads(x) for x in (out / TRAIN_METRICS_FILE).read_text().splitlines()][args.warmup :]
    update = statistics.median(r["update_s"] for r in records)
    wait = statistics.median(r["dataloading_s"] for r in records)
    return {
        "policy": policy,
        "update_s": update,
        "wait_s": wait,
        "steps_per_s": 1 / (update + wait),
        "bare_steps_per_s": 1 / update,
        "data_share": wait / (update + wait),
        "run_wall_s": wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--policies", nargs="+", default=list(POLICY_FLAGS))
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--batch_size", "--batch-size", type=int, default=8)
    parser.add_argument("--num_workers", "--num-workers", type=int, default=4)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        root = make_dataset(work / "ds", n_episodes=4, episode_length=50, fps=10, features=FEATURES)
        print(f"device {args.device}, batch {args.batch_size}, {args.num_workers} workers, "
              f"{args.steps} steps ({args.warmup} warm-up left out), load average {os.getloadavg()[0]:.1f}")  # fmt: skip
        print(f"{'policy':<10}{'update ms':>11}{'data ms':>9}{'steps/s':>9}{'bare/s':>8}{'data share':>12}")
        for policy in args.policies:
            r = bench(policy, root, work, args)
            print(f"{policy:<10}{r['update_s'] * 1e3:>11.1f}{r['wait_s'] * 1e3:>9.1f}{r['steps_per_s']:>9.2f}"
                  f"{r['bare_steps_per_s']:>8.2f}{r['data_share']:>11.1%}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
