"""The PushT demo pipeline behind `make demo` / `python -m lerobot.scripts.demo` (which only parses its flags).

Task: PushT (gym-pusht) with the state observation `environment_state_agent_pos` (16 keypoint coordinates of
the T + the pusher position), so that a small ACT policy learns in minutes on a CPU. Steps:

* `collect`: the scripted expert (lerobot/envs/experts.py) with DART-style noise bursts -> a v3.0 dataset;
* `train`: `lerobot-train` on it (the exact command is printed), with evaluations during training;
* `evaluate`: the trained policy, random actions and the expert on seeded episodes; `report` writes
  `report.json` with success rates and their 95% Wilson intervals, rollout videos and the training curve.

`run(...)` runs the steps in order, as the command line does.
"""

from __future__ import annotations

import json
import logging
import shlex
import shutil
import time
from pathlib import Path

import numpy as np
import torch

from lerobot.utils.constants import ACTION, OBS_ENV_STATE, OBS_STATE, REWARD, SUCCESS

logger = logging.getLogger("lerobot.demo")

REPO_ID = "local/pusht_scripted_expert"
N_DEMOS = 400  # expert episodes collected by default (from the env's random start)
N_NEAR_GOAL = N_DEMOS  # and expert episodes starting near the goal (the end game), by default
BURST_PROB, BURST_STEPS = 0.05, (3, 8)  # collection noise: bursts of 3-8 steps, one every ~20 steps
NEAR_GOAL_PX, NEAR_GOAL_RAD = 40.0, 0.5  # the near-goal starts: up to 40 px and 0.5 rad (29 deg) off
STEPS = 25000  # training steps by default
ENV_FLAGS = ["--env.type=pusht", "--env.obs_type=environment_state_agent_pos"]
# A small ACT on the state observation: chunks of 10 actions (1 s), the first 8 executed before the next
# inference (measured on one checkpoint, 100 episodes: 56% success with 6 or 8, 53% with 5, 45% with all 10,
# 18% replanning every step with temporal ensembling, which stalls next to the goal); no VAE (measured no
# better).
POLICY_FLAGS = [
    "--policy.type=act",
    "--policy.chunk_size=10",
    "--policy.n_action_steps=8",
    "--policy.dim_model=128",
    "--policy.n_heads=4",
    "--policy.dim_feedforward=512",
    "--policy.n_encoder_layers=2",
    "--policy.n_decoder_layers=1",
    "--policy.use_vae=false",
    # ACT normalises no ENV feature by default: the keypoints (0-512 px) would enter the network raw.
    "--policy.normalization_mapping={VISUAL: MEAN_STD, STATE: MEAN_STD, ENV: MEAN_STD, ACTION: MEAN_STD}",
    "--policy.dropout=0.0",
    "--policy.pretrained_backbone_weights=null",
    "--policy.push_to_hub=false",
    "--policy.device=cpu",
]
# AdamW with a cosine learning-rate decay to 0 over the run (peak 8e-4 after 500 warm-up steps) instead of
# ACT's constant preset (measured on the same data, 50 episodes: a constant 3e-4 reached 26% success after
# 10000 steps, and its loss fell slowly; the decay reached 44-60% after 20000 steps, see README "The demo").
OPTIMIZER_FLAGS = [
    "--use_policy_training_preset=false",
    "--optimizer.type=adamw",
    "--optimizer.lr=8e-4",
    "--optimizer.weight_decay=0.0",
    "--scheduler.type=diffuser",
    "--scheduler.name=cosine",
    "--scheduler.num_warmup_steps=500",
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
def _noise_levels(rng: np.random.Generator, action_noise: float):
    """Per-step noise (px) of the executed action: `action_noise` in bursts of BURST_STEPS steps, each step
    outside a burst starting one with probability BURST_PROB, 0 elsewhere (about a fifth of the steps are
    noisy). The clean stretches hold consistent expert chunks (most of all the fine final alignment, which
    noise on every step drowns); the bursts push the block off course and show the recoveries."""
    left = 0
    while True:
        if left == 0 and rng.random() < BURST_PROB:
            left = int(rng.integers(BURST_STEPS[0], BURST_STEPS[1] + 1))
        if left > 0:
            left -= 1
            yield action_noise
        else:
            yield 0.0


def _near_goal_state(env, rng: np.random.Generator) -> list[float]:
    """A start state [agent x, y, block x, y, angle] with the T near the goal (up to NEAR_GOAL_PX px and
    NEAR_GOAL_RAD rad off, coverage below 90%) and the pusher anywhere clear of it: the end-game episodes
    that give the last, precise pushes more examples than the ends of the full episodes alone."""
    from lerobot.envs.experts import PUSHER_RADIUS, PUSHT_GOAL_POSE, PushTExpert

    sim = env.unwrapped
    while True:
        offset = rng.uniform(-1.0, 1.0, 3) * [NEAR_GOAL_PX, NEAR_GOAL_PX, NEAR_GOAL_RAD]
        state = [*rng.uniform(50.0, 460.0, 2), *(PUSHT_GOAL_POSE + offset)]
        env.reset(options={"reset_to_state": state})
        c, s = np.cos(sim.block.angle), np.sin(sim.block.angle)
        pose_inv = (np.array(sim.block.position), np.array([[c, s], [-s, c]]))
        gap, _ = PushTExpert._gap(np.array(sim.agent.position)[None], pose_inv)
        if gap[0] > PUSHER_RADIUS + 10.0 and sim._get_coverage() < 0.9:
            return state


def collect(
    out: Path,
    n_episodes: int,
    seed: int = 0,
    max_steps: int = 300,
    action_noise: float = 15.0,
    n_near_goal: int | None = None,
) -> Path:
    """Roll out the scripted expert and write the episodes as a v3.0 LeRobotDataset in `out/dataset`:
    `n_episodes` from the env's random start (seeds `seed`...), then `n_near_goal` (default: as many)
    starting near the goal (`_near_goal_state`).

    The executed actions get Gaussian noise of `action_noise` pixels in bursts (`_noise_levels`); the
    recorded action is the expert's."""
    from tqdm import tqdm

    from lerobot.datasets.lerobot_dataset import LeRobotDataset
    from lerobot.envs.experts import PushTExpert

    n_near_goal = n_episodes if n_near_goal is None else n_near_goal
    root = out / "dataset"
    if root.exists():
        shutil.rmtree(root)
    env = _make_pusht(max_steps)
    expert = PushTExpert()
    rng = np.random.default_rng(seed)
    dataset = LeRobotDataset.create(
        REPO_ID, fps=10, features=FEATURES, root=root, robot_type="pusht", use_videos=False
    )
    max_rewards, successes = [], []
    try:
        for ep in tqdm(range(n_episodes + n_near_goal), desc="expert episodes"):
            options = None if ep < n_episodes else {"reset_to_state": _near_goal_state(env, rng)}
            obs, _ = env.reset(seed=seed + ep, options=options)
            noise = _noise_levels(rng, action_noise)
            best, success = 0.0, False
            for _ in range(max_steps):
                action = expert(env)
                # DART-style: execute a perturbed action, record the expert's label, so the data also
                # shows how to recover from the drifts a learned policy makes.
                executed = np.clip(action + rng.normal(0.0, next(noise), size=2), 0, 512).astype(np.float32)
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
                best, success = max(best, float(reward)), success or bool(terminated)
                obs = next_obs
                if terminated or truncated:
                    break
            dataset.save_episode()
            max_rewards.append(best)
            successes.append(success)
    finally:
        dataset.finalize()
        env.close()
    print(f"{n_episodes} + {n_near_goal} (near the goal) expert episodes, {dataset.num_frames} frames, "
          f"success {100 * np.mean(successes[:n_episodes]):.0f}% (with the noise), avg max reward "
          f"{np.mean(max_rewards[:n_episodes]):.3f} -> {root}")  # fmt: skip
    return root


# ----- step 2: training --------------------------------------------------------------------------------------
def train_args(
    out: Path, steps: int, batch_size: int, eval_freq: int = 0, eval_episodes: int = 10, max_steps: int = 300
) -> list[str]:
    """lerobot-train flags; with `eval_freq` > 0 the run also rolls the policy out on `eval_episodes`
    episodes (seeds 1000...) every `eval_freq` steps, for the success-rate curve."""
    args = [
        f"--dataset.repo_id={REPO_ID}",
        f"--dataset.root={out / 'dataset'}",
        *POLICY_FLAGS,
        *OPTIMIZER_FLAGS,
        *ENV_FLAGS,
        f"--env.episode_length={max_steps}",
        f"--output_dir={out / 'train'}",
        f"--steps={steps}",
        f"--batch_size={batch_size}",
        "--num_workers=0",
        f"--log_freq={max(1, steps // 60)}",
        f"--save_freq={steps}",
        f"--eval_freq={eval_freq}",
        "--seed=1000",
    ]
    if eval_freq > 0:
        args += [f"--eval.n_episodes={eval_episodes}", f"--eval.batch_size={min(10, eval_episodes)}"]
    return args


def train(
    out: Path, steps: int, batch_size: int, eval_freq: int = 0, eval_episodes: int = 10, max_steps: int = 300
) -> Path:
    from lerobot.configs.parser import parse
    from lerobot.configs.train import TrainPipelineConfig
    from lerobot.training import train as train_main

    if (out / "train").exists():
        shutil.rmtree(out / "train")
    args = train_args(out, steps, batch_size, eval_freq, eval_episodes, max_steps)
    print("lerobot-train " + shlex.join(args), flush=True)
    checkpoint = train_main(parse(TrainPipelineConfig, args))
    print(
        f"training curve and success rate: {plot_training_curve(out / 'train', out / 'training_curve.png')}"
    )
    return checkpoint / "pretrained_model"


def _read_jsonl(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def plot_training_curve(train_dir: Path, png: Path, final: dict | None = None) -> Path:
    """Two panels: the training loss, and the success rate of the evaluations made during training (with
    the final evaluation's 95% interval, the expert's and random's success when `final` holds them)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lerobot.training import EVAL_METRICS_FILE, TRAIN_METRICS_FILE

    records = _read_jsonl(train_dir / TRAIN_METRICS_FILE)
    evals = _read_jsonl(train_dir / EVAL_METRICS_FILE)
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 3.8), dpi=100)
    ax.plot([r["steps"] for r in records], [r["loss"] for r in records], label="training loss (L1)")
    ax.set_yscale("log")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss")
    ax.set_title("ACT on scripted PushT demonstrations")
    ax.grid(alpha=0.3)
    ax.legend()
    if evals:
        n = evals[-1].get("n_episodes", "?")
        steps = [e["step"] for e in evals]
        ax2.plot(steps, [e["pc_success"] for e in evals], "o-", label=f"success, during training ({n} ep.)")
        ax2.plot(
            steps, [100 * e["avg_max_reward"] for e in evals], "x:", color="C0", label="avg max reward x 100"
        )
    last_step = max([r["steps"] for r in records] + [e["step"] for e in evals] + [1])
    for name, color in (("trained", "C1"), ("expert", "C2"), ("random", "C7")):
        r = (final or {}).get(name)
        if r is None:
            continue
        low, high = r["pc_success_ci95"]
        label = f"{name}, final ({r['n_episodes']} ep.)"
        if name == "trained":
            ax2.errorbar([last_step], [r["pc_success"]], yerr=[[r["pc_success"] - low], [high - r["pc_success"]]],
                         fmt="s", color=color, capsize=4, label=label + ", 95% CI")  # fmt: skip
        else:
            ax2.axhline(r["pc_success"], color=color, ls="--", label=label)
    ax2.set_ylim(-3, 103)
    ax2.set_xlabel("optimizer step")
    ax2.set_ylabel("success rate (%)")
    ax2.set_title("PushT success (coverage > 95%)")
    ax2.grid(alpha=0.3)
    ax2.legend(fontsize=7, loc="center left")
    fig.tight_layout()
    fig.savefig(png)
    plt.close(fig)
    return png


# ----- step 3: evaluation --------------------------------------------------------------------------------------
class ExpertPolicy:
    """The scripted expert behind the policy interface of `eval_policy` (reads each sub-env's simulator)."""

    def __init__(self, vector_env):
        from lerobot.envs.experts import PushTExpert

        self.envs = vector_env.envs
        self.experts = [PushTExpert() for _ in self.envs]  # one each: an expert remembers its contact

    def reset(self) -> None:
        for expert in self.experts:
            expert.reset()

    def select_action(self, batch) -> torch.Tensor:
        return torch.from_numpy(np.stack([expert(env) for expert, env in zip(self.experts, self.envs)]))


def eval_args(
    out: Path, name: str, n_episodes: int, policy_path: Path | None, max_steps: int = 300, n_rendered: int = 1
) -> list[str]:
    args = [*ENV_FLAGS, f"--env.episode_length={max_steps}", f"--eval.n_episodes={n_episodes}"]
    args += [f"--eval.batch_size={min(10, n_episodes)}", "--seed=100000"]
    args += [
        f"--output_dir={out / 'eval' / name}",
        f"--max_episodes_rendered={n_rendered}",
        f"--job_name=demo_{name}",
    ]
    if policy_path is not None:
        args += [f"--policy.path={policy_path}", "--policy.device=cpu"]
    return args


def evaluate(
    out: Path, n_episodes: int, policy_path: Path | None = None, max_steps: int = 300, n_expert: int = 100
) -> dict:
    """The trained policy and random actions on `n_episodes` seeded episodes (seeds 100000...) via
    lerobot-eval, the scripted expert on `n_expert` (the same first seeds). Returns their eval_info.json."""
    from lerobot.configs.eval import EvalPipelineConfig
    from lerobot.configs.parser import parse
    from lerobot.envs.factory import make_env
    from lerobot.evaluation import eval_info_layout, eval_main, eval_policy
    from lerobot.utils.random_utils import set_seed

    policy_path = policy_path or out / "train" / "checkpoints" / "last" / "pretrained_model"
    results = {}
    # The first 10 episodes of the trained policy are rendered: the report picks a success and a failure.
    for name, path, n_rendered in (("trained", policy_path, 10), ("random", None, 1)):
        _banner(f"evaluating the {name} policy on {n_episodes} episodes")
        args = eval_args(out, name, n_episodes, path, max_steps, min(n_rendered, n_episodes))
        print("lerobot-eval " + shlex.join(args), flush=True)
        results[name] = eval_main(parse(EvalPipelineConfig, args))
    _banner(f"evaluating the scripted expert on {n_expert} episodes")
    cfg = parse(EvalPipelineConfig, eval_args(out, "expert", n_expert, None, max_steps))
    set_seed(cfg.seed)
    env = make_env(cfg.env, n_envs=cfg.eval.batch_size)
    try:
        result = eval_policy(
            env, ExpertPolicy(env), n_expert, cfg.env.episode_length, start_seed=cfg.seed,
            videos_dir=cfg.output_dir / "videos", max_episodes_rendered=1, fps=cfg.env.fps,
        )  # fmt: skip
    finally:
        env.close()
    info = eval_info_layout(result, cfg.env)
    cfg.output_dir.mkdir(parents=True, exist_ok=True)
    (cfg.output_dir / "eval_info.json").write_text(json.dumps(info, indent=2))
    results["expert"] = info
    return results


def _pick_videos(out: Path, info: dict) -> dict[str, str | None]:
    """Copy the video of the first successful and of the first failed rendered episode next to the report."""
    picked: dict[str, str | None] = {"success": None, "failure": None}
    for kind in picked:  # none left over from an earlier run
        (out / f"rollout_{kind}.mp4").unlink(missing_ok=True)
    rendered = {Path(p).stem.rsplit("_", 1)[-1]: Path(p) for p in info["overall"].get("video_paths") or []}
    for episode in info.get("per_episode", []):
        kind = "success" if episode["success"] else "failure"
        video = rendered.get(str(episode["episode_ix"]))
        if picked[kind] is None and video is not None and video.is_file():
            target = out / f"rollout_{kind}.mp4"
            shutil.copyfile(video, target)
            picked[kind] = str(target)
    return picked


def report(out: Path, results: dict, elapsed_s: float | None = None) -> dict:
    """Print the summary table and write `report.json` (and the success panel of training_curve.png)."""
    _banner("PushT results (seeds 100000...; success = coverage > 95% within the episode)")
    print(f"{'policy':<10}{'episodes':>9}{'success':>10}{'95% interval (Wilson)':>24}{'avg max reward':>16}")
    summary_results = {}
    for name in ("trained", "random", "expert"):
        r = results[name]["overall"]
        low, high = r["pc_success_ci95"]
        print(f"{name:<10}{r['n_episodes']:>9}{r['pc_success']:>9.1f}%{f'[{low:.1f}%, {high:.1f}%]':>24}"
              f"{r['avg_max_reward']:>16.3f}")  # fmt: skip
        summary_results[name] = {
            k: r[k]
            for k in ("n_episodes", "pc_success", "pc_success_ci95", "avg_max_reward", "avg_sum_reward")
        }
    trained, expert = (summary_results[k]["avg_max_reward"] for k in ("trained", "expert"))
    videos = _pick_videos(out, results["trained"])
    curve = out / "training_curve.png"
    if (out / "train").is_dir():
        plot_training_curve(out / "train", curve, final=summary_results)
    summary = {
        "task": "gym_pusht/PushT-v0, obs_type=environment_state_agent_pos",
        "results": summary_results,
        "trained_over_expert": trained / expert if expert else float("nan"),
        "rollout_videos": videos,
        "training_curve": str(curve) if curve.is_file() else None,
        "elapsed_s": elapsed_s,
    }
    print(f"trained / expert avg max reward: {summary['trained_over_expert']:.2f}")
    print(f"rollout videos of the trained policy: success {videos['success']}, failure {videos['failure']}")
    print(f"training curve and success rate: {summary['training_curve']}")
    (out / "report.json").write_text(json.dumps(summary, indent=2))
    print(f"report: {out / 'report.json'}")
    return summary


def run(
    step: str = "all",
    out: Path = Path("outputs/demo"),
    n_demos: int = N_DEMOS,
    n_near_goal: int | None = None,
    steps: int = STEPS,
    batch_size: int = 64,
    eval_freq: int | None = None,
    train_eval_episodes: int = 10,
    max_steps: int = 300,
    n_eval: int = 50,
    n_expert_eval: int = 100,
) -> dict | None:
    """Run the demo's `step` ("all", "collect", "train" or "evaluate"); returns the report for "all"/"evaluate".

    Training runs on one torch thread: the model is small, and on a busy 2-core machine OpenMP threads waiting
    for each other cost more than they gain (measured: 40 steps/s -> 0.6 steps/s under load with 2 threads)."""
    if eval_freq is None:
        eval_freq = max(1, steps // 4)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    start, cpu_start = time.perf_counter(), time.process_time()
    summary = None
    try:
        out.mkdir(parents=True, exist_ok=True)
        if step in ("all", "collect"):
            _banner("1/3 collecting demonstrations with the scripted expert")
            collect(out, n_demos, max_steps=max_steps, n_near_goal=n_near_goal)
        if step in ("all", "train"):
            _banner("2/3 training ACT on them")
            train(out, steps, batch_size, eval_freq, train_eval_episodes, max_steps)
        if step in ("all", "evaluate"):
            results = evaluate(out, n_eval, max_steps=max_steps, n_expert=n_expert_eval)
            summary = report(out, results, time.perf_counter() - start)
    finally:
        torch.set_num_threads(threads)
    print(f"\ndone in {time.perf_counter() - start:.0f} s wall, {time.process_time() - cpu_start:.0f} s CPU "
          "(this process)", flush=True)  # fmt: skip
    return summary
