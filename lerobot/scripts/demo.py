"""`make demo`: the whole loop offline on a laptop CPU — demonstrations, training, evaluation.

Task: PushT (gym-pusht) with the state observation `environment_state_agent_pos` (16 keypoint coordinates of
the T + the pusher position), so that a small ACT policy learns in minutes on a CPU. Steps, each runnable
alone (the demo prints the equivalent lerobot-train / lerobot-eval commands):

    python -m lerobot.scripts.demo collect  [--out outputs/demo] [--n_episodes 200]   # scripted expert -> v3.0 dataset
    python -m lerobot.scripts.demo train    [--out outputs/demo] [--steps 16000]      # lerobot-train on it
    python -m lerobot.scripts.demo evaluate [--out outputs/demo] [--n_episodes 20]    # trained vs random vs expert
    python -m lerobot.scripts.demo                                                    # all three + report

Outputs under `--out`: `dataset/` (LeRobotDataset v3.0), `train/` (checkpoints, train_metrics.jsonl),
`eval/{trained,random,expert}/eval_info.json` with rollout videos, `training_curve.png`, `report.json`.
"""

from __future__ import annotations

import json
import logging
import shlex
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import torch

from lerobot.utils.cli import ArgumentParser, command
from lerobot.utils.constants import ACTION, OBS_ENV_STATE, OBS_STATE, REWARD, SUCCESS

logger = logging.getLogger("lerobot.demo")

REPO_ID = "local/pusht_scripted_expert"
ENV_FLAGS = ["--env.type=pusht", "--env.obs_type=environment_state_agent_pos"]
# A small ACT on the state observation: short chunks keep it reactive; no VAE (the expert is deterministic).
POLICY_FLAGS = [
    "--policy.type=act",
    "--policy.chunk_size=10",
    "--policy.n_action_steps=1",
    "--policy.dim_model=128",
    "--policy.n_heads=4",
    "--policy.dim_feedforward=512",
    "--policy.n_encoder_layers=2",
    "--policy.n_decoder_layers=1",
    "--policy.use_vae=false",
    # ACT normalises no ENV feature by default: the keypoints (0-512 px) would enter the network raw.
    "--policy.normalization_mapping={VISUAL: MEAN_STD, STATE: MEAN_STD, ENV: MEAN_STD, ACTION: MEAN_STD}",
    "--policy.dropout=0.0",
    "--policy.optimizer_lr=3e-4",
    "--policy.optimizer_weight_decay=0.0",
    "--policy.pretrained_backbone_weights=null",
    "--policy.push_to_hub=false",
    "--policy.device=cpu",
]
FEATURES = {
    OBS_STATE: {"dtype": "float32", "shape": [2], "names": ["x", "y"]},
    OBS_ENV_STATE: {
        "dtype": "float32",
        "shape": [16],
        "names": [f"kp{i // 2}_{'xy'[i % 2]}" for i in range(16)],
    },
    ACTION: {"dtype": "float32", "shape": [2], "names": ["x", "y"]},
    REWARD: {"dtype": "float32", "shape": [1], "names": None},
    SUCCESS: {"dtype": "bool", "shape": [1], "names": None},
}


def _banner(text: str) -> None:
    print(f"\n=== {text} ===", flush=True)


def _make_pusht(max_steps: int):
    import gymnasium as gym

    from lerobot.envs.configs import PushtEnv
    from lerobot.envs.factory import _import_env_package

    cfg = PushtEnv(obs_type="environment_state_agent_pos", episode_length=max_steps)
    _import_env_package(cfg)
    return gym.make(cfg.gym_id, disable_env_checker=True, **cfg.gym_kwargs)


# ----- step 1: demonstrations ------------------------------------------------------------------------------
def collect(
    out: Path, n_episodes: int, seed: int = 0, max_steps: int = 300, action_noise: float = 15.0
) -> Path:
    """Roll out the scripted expert and write the episodes as a v3.0 LeRobotDataset in `out/dataset`.

    The executed actions get Gaussian noise of `action_noise` pixels; the recorded action is the expert's."""
    from tqdm import tqdm

    from lerobot.datasets.lerobot_dataset import LeRobotDataset
    from lerobot.envs.experts import PushTExpert

    root = out / "dataset"
    if root.exists():
        shutil.rmtree(root)
    env = _make_pusht(max_steps)
    expert = PushTExpert()
    rng = np.random.default_rng(seed)
    dataset = LeRobotDataset.create(
        REPO_ID, fps=10, features=FEATURES, root=root, robot_type="pusht", use_videos=False
    )
    max_rewards = []
    try:
        for ep in tqdm(range(n_episodes), desc="expert episodes"):
            obs, _ = env.reset(seed=seed + ep)
            best = 0.0
            for _ in range(max_steps):
                action = expert(env)
                # DART-style: execute a perturbed action, record the expert's label, so the data also
                # shows how to recover from the small drifts a learned policy makes.
                executed = np.clip(action + rng.normal(0.0, action_noise, size=2), 0, 512).astype(np.float32)
                next_obs, reward, terminated, truncated, _ = env.step(executed)
                dataset.add_frame(
                    {
                        OBS_STATE: np.asarray(obs["agent_pos"], np.float32),
                        OBS_ENV_STATE: np.asarray(obs["environment_state"], np.float32),
                        ACTION: action,
                        REWARD: np.array([reward], np.float32),
                        SUCCESS: np.array([terminated]),
                        "task": "Push the T-shaped block onto the T-shaped target.",
                    }
                )
                best = max(best, float(reward))
                obs = next_obs
                if terminated or truncated:
                    break
            dataset.save_episode()
            max_rewards.append(best)
    finally:
        dataset.finalize()
        env.close()
    print(f"{n_episodes} expert episodes, {dataset.num_frames} frames, avg max reward "
          f"{np.mean(max_rewards):.3f} -> {root}")  # fmt: skip
    return root


# ----- step 2: training --------------------------------------------------------------------------------------
def train_args(out: Path, steps: int, batch_size: int) -> list[str]:
    return [
        f"--dataset.repo_id={REPO_ID}",
        f"--dataset.root={out / 'dataset'}",
        *POLICY_FLAGS,
        *ENV_FLAGS,
        f"--output_dir={out / 'train'}",
        f"--steps={steps}",
        f"--batch_size={batch_size}",
        "--num_workers=0",
        f"--log_freq={max(1, steps // 60)}",
        f"--save_freq={steps}",
        "--eval_freq=0",
        "--seed=1000",
    ]


def train(out: Path, steps: int, batch_size: int) -> Path:
    from lerobot.scripts.train import main as train_main

    if (out / "train").exists():
        shutil.rmtree(out / "train")
    args = train_args(out, steps, batch_size)
    print("lerobot-train " + shlex.join(args), flush=True)
    checkpoint = train_main(args)
    plot_training_curve(out / "train" / "train_metrics.jsonl", out / "training_curve.png")
    return checkpoint / "pretrained_model"


def plot_training_curve(metrics_file: Path, png: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    records = [json.loads(line) for line in metrics_file.read_text().splitlines() if line.strip()]
    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
    ax.plot([r["steps"] for r in records], [r["loss"] for r in records], label="training loss (L1)")
    ax.set_yscale("log")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss")
    ax.set_title("ACT on scripted PushT demonstrations")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(png)
    plt.close(fig)
    print(f"training curve: {png}")
    return png


# ----- step 3: evaluation --------------------------------------------------------------------------------------
class ExpertPolicy:
    """The scripted expert behind the policy interface of `eval_policy` (reads each sub-env's simulator)."""

    def __init__(self, vector_env):
        from lerobot.envs.experts import PushTExpert

        self.envs = vector_env.envs
        self.expert = PushTExpert()

    def reset(self) -> None:
        pass

    def select_action(self, batch) -> torch.Tensor:
        return torch.from_numpy(np.stack([self.expert(env) for env in self.envs]))


def eval_args(
    out: Path, name: str, n_episodes: int, policy_path: Path | None, max_steps: int = 300
) -> list[str]:
    args = [*ENV_FLAGS, f"--env.episode_length={max_steps}", f"--eval.n_episodes={n_episodes}"]
    args += [f"--eval.batch_size={min(10, n_episodes)}", "--seed=100000"]
    args += [f"--output_dir={out / 'eval' / name}", "--max_episodes_rendered=2", f"--job_name=demo_{name}"]
    if policy_path is not None:
        args += [f"--policy.path={policy_path}", "--policy.device=cpu"]
    return args


def evaluate(out: Path, n_episodes: int, policy_path: Path | None = None, max_steps: int = 300) -> dict:
    from lerobot.configs.eval import EvalPipelineConfig
    from lerobot.configs.parser import parse
    from lerobot.envs.factory import make_env
    from lerobot.scripts.eval import eval_info_layout, eval_main, eval_policy, set_seed

    policy_path = policy_path or out / "train" / "checkpoints" / "last" / "pretrained_model"
    results = {}
    for name, path in (("trained", policy_path), ("random", None)):
        _banner(f"evaluating the {name} policy on {n_episodes} episodes")
        args = eval_args(out, name, n_episodes, path, max_steps)
        print("lerobot-eval " + shlex.join(args), flush=True)
        results[name] = eval_main(parse(EvalPipelineConfig, args))["overall"]
    _banner(f"evaluating the scripted expert on {n_episodes} episodes")
    cfg = parse(EvalPipelineConfig, eval_args(out, "expert", n_episodes, None, max_steps))
    set_seed(cfg.seed)
    env = make_env(cfg.env, n_envs=cfg.eval.batch_size)
    try:
        result = eval_policy(
            env, ExpertPolicy(env), n_episodes, cfg.env.episode_length, start_seed=cfg.seed,
            videos_dir=cfg.output_dir / "videos", max_episodes_rendered=2, fps=cfg.env.fps,
        )  # fmt: skip
    finally:
        env.close()
    info = eval_info_layout(result, cfg.env)
    cfg.output_dir.mkdir(parents=True, exist_ok=True)
    (cfg.output_dir / "eval_info.json").write_text(json.dumps(info, indent=2))
    results["expert"] = info["overall"]
    return results


def report(out: Path, results: dict, elapsed_s: float | None = None) -> dict:
    _banner("PushT, 20+ evaluation episodes each (same seeds)")
    print(f"{'policy':<16}{'success rate':>14}{'avg max reward':>17}")
    for name in ("trained", "random", "expert"):
        r = results[name]
        print(f"{name:<16}{r['pc_success']:>13.1f}%{r['avg_max_reward']:>17.3f}")
    trained, expert, random_ = (results[k]["avg_max_reward"] for k in ("trained", "expert", "random"))
    summary = {
        "results": {k: {"pc_success": v["pc_success"], "avg_max_reward": v["avg_max_reward"]} for k, v in results.items()},
        "trained_over_expert": trained / expert if expert else float("nan"),
        "rollout_video": (results["trained"].get("video_paths") or [None])[0],
        "training_curve": str(out / "training_curve.png"),
        "elapsed_s": elapsed_s,
    }  # fmt: skip
    print(f"trained / expert avg max reward: {summary['trained_over_expert']:.2f} (random: {random_:.3f})")
    print(f"rollout video of the trained policy: {summary['rollout_video']}")
    print(f"training curve: {summary['training_curve']}")
    (out / "report.json").write_text(json.dumps(summary, indent=2))
    return summary


@command("demo")
def main(argv: list[str] | None = None) -> None:
    parser = ArgumentParser(prog="demo", description=__doc__.split("\n")[0])
    parser.add_argument(
        "step",
        nargs="?",
        default="all",
        choices=["all", "collect", "train", "evaluate"],
        help="the part to run",
    )
    parser.add_argument("--out", type=Path, default=Path("outputs/demo"), help="folder for every output")
    parser.add_argument(
        "--n_episodes", type=int, default=None, help="expert episodes (collect) / eval episodes"
    )
    parser.add_argument("--steps", type=int, default=16000, help="training steps")
    parser.add_argument("--batch_size", type=int, default=64, help="training batch size")
    parser.add_argument("--max_steps", type=int, default=300, help="episode length (collect and evaluate)")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(levelname)s %(asctime)s %(message)s", datefmt="%H:%M:%S"
    )
    # One thread: the model is small, and on a busy 2-core machine OpenMP threads waiting for each other
    # cost more than they gain (measured: 40 steps/s -> 0.6 steps/s under load with 2 threads).
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        _run_steps(args)
    finally:
        torch.set_num_threads(threads)


def _run_steps(args) -> None:
    start, cpu_start = time.perf_counter(), time.process_time()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.step in ("all", "collect"):
        _banner("1/3 collecting demonstrations with the scripted expert")
        collect(args.out, args.n_episodes or 200, max_steps=args.max_steps)
    if args.step in ("all", "train"):
        _banner("2/3 training ACT on them")
        train(args.out, args.steps, args.batch_size)
    if args.step in ("all", "evaluate"):
        n_eval = args.n_episodes if args.step == "evaluate" and args.n_episodes else 20
        results = evaluate(args.out, n_eval, max_steps=args.max_steps)
        report(args.out, results, time.perf_counter() - start)
    print(f"\ndone in {time.perf_counter() - start:.0f} s wall, {time.process_time() - cpu_start:.0f} s CPU "
          "(this process)", flush=True)  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1:])
