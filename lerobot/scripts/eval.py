"""Evaluate a policy in simulation: batched rollouts, per-episode rewards/success, videos, eval_info.json.

Usage (from a clone, or as the console script `lerobot-eval` with the same flags):

    python lerobot/scripts/eval.py --policy.path=lerobot/diffusion_pusht --env.type=pusht \
        --eval.batch_size=10 --eval.n_episodes=10 --policy.use_amp=false --policy.device=cuda

`--policy.path` is a local `pretrained_model` folder or a Hub repo id; without a policy, actions are
sampled uniformly from the env's action space (a baseline), and `--policy.type=<name>` evaluates a
randomly initialised policy built for the env's features.

Rollout (spec §4.3): episodes run `eval.batch_size` at a time in a gymnasium vector env; episode i is
reset with seed `seed + i`; `policy.reset()` is called before each batch; a batch steps until every
sub-env is done (terminated or truncated). Per episode, the frames up to and including the first done
count: `sum_reward`, `max_reward`, `success` (any `is_success`). Shapes inside a batch: B sub-envs,
T steps; observations are converted by `preprocess_observation`, actions are (B, action_dim).

Output `<output_dir>/eval_info.json`: `overall`, `per_group` (by env type), `per_task` (the reference's
v0.4+ layout), plus `per_episode` records; success rates come with a 95% Wilson confidence interval.
"""

import json
import logging
import math
import random
import sys
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python lerobot/scripts/eval.py` from a clone
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import gymnasium as gym
import numpy as np
import torch
from tqdm import tqdm

from lerobot.configs.eval import EvalPipelineConfig
from lerobot.configs.types import FeatureType
from lerobot.envs.configs import EnvConfig
from lerobot.envs.factory import make_env
from lerobot.envs.utils import check_policy_features_match_env, env_to_policy_features, preprocess_observation
from lerobot.utils.cli import command
from lerobot.utils.constants import ACTION
from lerobot.utils.rollout_video import write_video

logger = logging.getLogger(__name__)

EVAL_INFO_NAME = "eval_info.json"


class RandomPolicy:
    """Uniform random actions from the env's (single) action space: the no-policy baseline."""

    def __init__(self, action_space: gym.spaces.Box, seed: int | None = None):
        if not isinstance(action_space, gym.spaces.Box):
            raise TypeError(f"RandomPolicy needs a Box action space, got {action_space}.")
        self.low = np.broadcast_to(action_space.low, action_space.shape).astype(np.float32)
        self.high = np.broadcast_to(action_space.high, action_space.shape).astype(np.float32)
        self.rng = np.random.default_rng(seed)

    def reset(self) -> None:
        """No internal state besides the RNG, which keeps running across batches."""

    def select_action(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        n = next(iter(batch.values())).shape[0]
        return torch.from_numpy(
            self.rng.uniform(self.low, self.high, size=(n, *self.low.shape)).astype(np.float32)
        )


def wilson_interval(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """95% Wilson score interval for a binomial proportion, as fractions in [0, 1]."""
    if n <= 0:
        raise ValueError("The Wilson interval needs at least one episode.")
    p = successes / n
    denom = 1 + z * z / n
    center = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # Rounded so that 0/n and n/n give exactly 0 and 1 at the ends (no 1e-15 residue).
    return max(0.0, round(center - half, 12)), min(1.0, round(center + half, 12))


def _policy_device(policy: Any) -> torch.device:
    if isinstance(policy, torch.nn.Module):
        param = next(policy.parameters(), None)
        if param is not None:
            return param.device
    return torch.device("cpu")


def rollout(
    env: gym.vector.VectorEnv,
    policy: Any,
    seeds: list[int] | None,
    max_steps: int,
    use_amp: bool = False,
    n_render: int = 0,
    progress: bool = True,
) -> dict[str, Any]:
    """Run one batch of episodes until every sub-env is done (or `max_steps` steps).

    Returns `reward`, `success`, `done` arrays of shape (B, T) (T = steps taken; entries after an env's
    first done are not part of its episode) and `frames`: per rendered env (the first `n_render`), the
    list of (H, W, 3) frames of its episode.
    """
    n_envs = env.num_envs
    device = _policy_device(policy)
    policy.reset()
    observation, _ = env.reset(seed=seeds)
    frames: list[list[np.ndarray]] = [[] for _ in range(min(n_render, n_envs))]

    def render(done_mask: np.ndarray) -> None:
        wanted = [i for i in range(len(frames)) if not done_mask[i]]
        if not wanted:
            return
        if isinstance(env, gym.vector.SyncVectorEnv):  # render only the recorded envs
            images = {i: env.envs[i].render() for i in wanted}
        else:
            images = dict(enumerate(env.call("render")))
        for i in wanted:
            frames[i].append(np.asarray(images[i]))

    done = np.zeros(n_envs, dtype=bool)
    rewards, successes, dones = [], [], []
    render(done)
    amp = torch.autocast(device_type=device.type) if use_amp else nullcontext()
    bar = tqdm(total=max_steps, desc="rollout steps", leave=False, disable=not progress)
    step = 0
    while not done.all() and step < max_steps:
        batch = {k: v.to(device, non_blocking=True) for k, v in preprocess_observation(observation).items()}
        with torch.inference_mode(), amp:
            action = policy.select_action(batch)
        action = action.detach().to("cpu", torch.float32).numpy()
        expected = (n_envs, *env.single_action_space.shape)
        if action.shape != expected:
            raise ValueError(
                f"The policy returned actions of shape {action.shape}; the env expects {expected}."
            )
        observation, reward, terminated, truncated, info = env.step(action)
        is_success = np.asarray(info.get("is_success", np.zeros(n_envs, dtype=bool)), dtype=bool)
        mask = np.asarray(info.get("_is_success", np.ones(n_envs, dtype=bool)), dtype=bool)
        successes.append(is_success & mask)
        rewards.append(np.asarray(reward, dtype=np.float64))
        step_done = np.asarray(terminated, dtype=bool) | np.asarray(truncated, dtype=bool)
        dones.append(step_done | done)
        render(done)  # the frame of the step that ends an episode is kept
        done = done | step_done
        step += 1
        bar.update(1)
        bar.set_postfix(running=int((~done).sum()))
    bar.close()
    if step == 0:
        raise RuntimeError("The rollout took no step: check --env.episode_length.")
    return {
        "reward": np.stack(rewards, axis=1),
        "success": np.stack(successes, axis=1),
        "done": np.stack(dones, axis=1),
        "frames": frames,
    }


def episode_metrics(reward: np.ndarray, success: np.ndarray, done: np.ndarray) -> dict[str, np.ndarray]:
    """(B, T) arrays -> per-episode sum/max reward and success over the steps up to the first done."""
    T = done.shape[1]
    first_done = np.where(done.any(axis=1), done.argmax(axis=1), T - 1)
    mask = np.arange(T)[None, :] <= first_done[:, None]
    return {
        "sum_reward": np.where(mask, reward, 0.0).sum(axis=1),
        "max_reward": np.where(mask, reward, -np.inf).max(axis=1),
        "success": (success & mask).any(axis=1),
    }


def _aggregate(sum_rewards: list[float], max_rewards: list[float], successes: list[bool]) -> dict[str, Any]:
    n = len(successes)
    low, high = wilson_interval(int(sum(successes)), n)
    return {
        "avg_sum_reward": float(np.mean(sum_rewards)),
        "avg_max_reward": float(np.mean(max_rewards)),
        "pc_success": float(np.mean(successes) * 100),
        "pc_success_ci95": [low * 100, high * 100],
        "n_episodes": n,
    }


def eval_policy(
    env: gym.vector.VectorEnv,
    policy: Any,
    n_episodes: int,
    max_steps: int,
    start_seed: int | None = None,
    videos_dir: Path | None = None,
    max_episodes_rendered: int = 0,
    fps: int = 30,
    use_amp: bool = False,
    progress: bool = True,
) -> dict[str, Any]:
    """Roll out `n_episodes` episodes in batches of `env.num_envs`; per-episode records and aggregates.

    Episode i uses seed `start_seed + i`. The last batch may run more envs than episodes left; the extra
    episodes are dropped. Returns {"per_episode": [...], "aggregated": {...}, "video_paths": [...]}.
    """
    if n_episodes < 1:
        raise ValueError(f"n_episodes must be >= 1, got {n_episodes}.")
    if max_episodes_rendered > 0 and videos_dir is None:
        raise ValueError("videos_dir is needed to render episodes.")
    start = time.perf_counter()
    n_envs = env.num_envs
    n_batches = math.ceil(n_episodes / n_envs)
    per_episode: list[dict[str, Any]] = []
    video_paths: list[str] = []
    for batch_ix in tqdm(range(n_batches), desc="eval batches", disable=not progress or n_batches == 1):
        first = batch_ix * n_envs
        seeds = None if start_seed is None else [start_seed + first + i for i in range(n_envs)]
        n_render = max(0, min(max_episodes_rendered - first, n_episodes - first))
        out = rollout(env, policy, seeds, max_steps, use_amp=use_amp, n_render=n_render, progress=progress)
        metrics = episode_metrics(out["reward"], out["success"], out["done"])
        for i in range(min(n_envs, n_episodes - first)):
            per_episode.append(
                {
                    "episode_ix": first + i,
                    "sum_reward": float(metrics["sum_reward"][i]),
                    "max_reward": float(metrics["max_reward"][i]),
                    "success": bool(metrics["success"][i]),
                    "seed": None if seeds is None else seeds[i],
                }
            )
        for i, episode_frames in enumerate(out["frames"]):
            path = write_video(episode_frames, Path(videos_dir) / f"eval_episode_{first + i}.mp4", fps)
            video_paths.append(str(path))
    eval_s = time.perf_counter() - start
    aggregated = _aggregate(
        [e["sum_reward"] for e in per_episode],
        [e["max_reward"] for e in per_episode],
        [e["success"] for e in per_episode],
    )
    aggregated.update({"eval_s": eval_s, "eval_ep_s": eval_s / n_episodes})
    return {"per_episode": per_episode, "aggregated": aggregated, "video_paths": video_paths}


def eval_info_layout(result: dict[str, Any], env_cfg: EnvConfig) -> dict[str, Any]:
    """The reference's v0.4+ eval_info.json layout (overall / per_group / per_task) + per-episode records."""
    episodes = result["per_episode"]
    agg = result["aggregated"]
    group = {
        k: agg[k] for k in ("avg_sum_reward", "avg_max_reward", "pc_success", "pc_success_ci95", "n_episodes")
    }
    return {
        "overall": {**agg, "video_paths": result["video_paths"]},
        "per_group": {env_cfg.type: {**group, "video_paths": result["video_paths"]}},
        "per_task": [
            {
                "task_group": env_cfg.type,
                "task_id": 0,
                "task": env_cfg.task,
                "metrics": {
                    "sum_rewards": [e["sum_reward"] for e in episodes],
                    "max_rewards": [e["max_reward"] for e in episodes],
                    "successes": [e["success"] for e in episodes],
                    "video_paths": result["video_paths"],
                },
            }
        ],
        "per_episode": episodes,
    }


def set_seed(seed: int | None) -> None:
    if seed is None:
        return
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def check_policy_matches_env(policy_cfg: Any, env_cfg: EnvConfig) -> None:
    """Fail early, naming the features, when a policy's inputs or action do not fit the env."""
    check_policy_features_match_env(policy_cfg.input_features or {}, env_cfg)
    env_action = env_to_policy_features(env_cfg).get(ACTION)
    policy_action = (policy_cfg.output_features or {}).get(ACTION)
    if (
        env_action is not None
        and policy_action is not None
        and tuple(env_action.shape) != tuple(policy_action.shape)
    ):
        raise ValueError(
            f"The policy's '{ACTION}' has shape {list(policy_action.shape)} but --env.type={env_cfg.type} "
            f"takes actions of shape {list(env_action.shape)}."
        )


def make_eval_policy(cfg: EvalPipelineConfig, env: gym.vector.VectorEnv) -> Any:
    """The policy to evaluate: pretrained (`--policy.path`), randomly initialised, or random actions."""
    if cfg.policy is None:
        logger.warning("No --policy.path or --policy.type given: evaluating uniformly random actions.")
        return RandomPolicy(env.single_action_space, seed=cfg.seed)
    from lerobot.policies.factory import make_policy

    if cfg.policy.input_features:
        check_policy_matches_env(cfg.policy, cfg.env)
    if not cfg.policy.pretrained_path:
        logger.warning(
            "No --policy.path given: evaluating a randomly initialised '%s' policy.", cfg.policy.type
        )
    policy = make_policy(cfg.policy, env_cfg=cfg.env)
    check_policy_matches_env(policy.config, cfg.env)
    policy.eval()
    return policy


def eval_main(cfg: EvalPipelineConfig, progress: bool = True) -> dict[str, Any]:
    """Run the evaluation described by `cfg`; write and return the eval_info.json content."""
    if not any(ft.type is FeatureType.ACTION for ft in cfg.env.features.values()):
        raise ValueError(f"--env.type={cfg.env.type} declares no action feature.")
    set_seed(cfg.seed)
    output_dir = Path(cfg.output_dir)
    env = make_env(cfg.env, n_envs=cfg.eval.batch_size, use_async_envs=cfg.eval.use_async_envs)
    try:
        policy = make_eval_policy(cfg, env)
        output_dir.mkdir(parents=True, exist_ok=True)  # only once the run can start: no empty folder left
        use_amp = bool(cfg.policy is not None and cfg.policy.use_amp)
        result = eval_policy(
            env,
            policy,
            n_episodes=cfg.eval.n_episodes,
            max_steps=cfg.env.episode_length,
            start_seed=cfg.seed,
            videos_dir=output_dir / "videos",
            max_episodes_rendered=cfg.max_episodes_rendered,
            fps=int(env.metadata.get("render_fps") or cfg.env.fps),
            use_amp=use_amp,
            progress=progress,
        )
    finally:
        env.close()
    info = eval_info_layout(result, cfg.env)
    with open(output_dir / EVAL_INFO_NAME, "w") as f:
        json.dump(info, f, indent=2)
    overall = info["overall"]
    low, high = overall["pc_success_ci95"]
    logger.info(
        "%s: %d episodes, avg_sum_reward %.3f, avg_max_reward %.3f, success %.1f%% (95%% CI %.1f-%.1f%%), %.1fs",
        cfg.job_name, overall["n_episodes"], overall["avg_sum_reward"], overall["avg_max_reward"],
        overall["pc_success"], low, high, overall["eval_s"],
    )  # fmt: skip
    return info


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Console entry point (`lerobot-eval`): parse the flags into EvalPipelineConfig and run it."""
    from lerobot.configs.parser import parse

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    cfg = parse(EvalPipelineConfig, argv)
    return eval_main(cfg)


# The console script `lerobot-eval`: bad flags and inputs end in one `lerobot-eval: error: ...` line (see
# lerobot/utils/cli.py); `--debug` shows the traceback.
cli = command("lerobot-eval")(main)


if __name__ == "__main__":
    cli()
