"""Batched rollouts of a policy in a gymnasium vector env, and `eval_policy` over many episodes.

Rollout: episodes run `env.num_envs` at a time; episode i is reset with seed `start_seed + i`;
`policy.reset()` is called before each batch; a batch steps until every sub-env is done (terminated or
truncated). Per episode, the frames up to and including the first done count: `sum_reward`, `max_reward`,
`success` (any `is_success`). Shapes inside a batch: B sub-envs, T steps; observations are converted by
`preprocess_observation`, actions are (B, action_dim).

A policy is anything with `reset()` and `select_action(batch) -> (B, action_dim) tensor`: a
`PreTrainedPolicy`, `RandomPolicy` below, or a scripted expert.
"""

import math
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from tqdm import tqdm

from lerobot.envs.utils import preprocess_observation
from lerobot.evaluation.metrics import aggregate_metrics, episode_metrics
from lerobot.evaluation.videos import EpisodeFrames, write_episode_videos


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


def policy_device(policy: Any) -> torch.device:
    """The device of a torch policy's parameters; CPU for anything else."""
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
    device = policy_device(policy)
    policy.reset()
    observation, _ = env.reset(seed=seeds)
    frames = EpisodeFrames(env, n_render)

    done = np.zeros(n_envs, dtype=bool)
    rewards, successes, dones = [], [], []
    frames.capture(done)
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
        frames.capture(done)  # the frame of the step that ends an episode is kept
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
        "frames": frames.frames,
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
        video_paths += write_episode_videos(out["frames"], videos_dir, first, fps) if out["frames"] else []
    eval_s = time.perf_counter() - start
    aggregated = aggregate_metrics(
        [e["sum_reward"] for e in per_episode],
        [e["max_reward"] for e in per_episode],
        [e["success"] for e in per_episode],
    )
    aggregated.update({"eval_s": eval_s, "eval_ep_s": eval_s / n_episodes})
    return {"per_episode": per_episode, "aggregated": aggregated, "video_paths": video_paths}
