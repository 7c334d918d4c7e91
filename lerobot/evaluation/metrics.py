"""Per-episode metrics of a rollout and their aggregates, with the 95% Wilson interval of the success rate.

Shapes: a batch of rollouts gives (B, T) arrays (B sub-envs, T steps); an episode counts the steps up to and
including its first `done`.
"""

import math
from typing import Any

import numpy as np


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


def aggregate_metrics(
    sum_rewards: list[float], max_rewards: list[float], successes: list[bool]
) -> dict[str, Any]:
    """Averages over episodes, the success rate in percent and its 95% Wilson interval (in percent)."""
    n = len(successes)
    low, high = wilson_interval(int(sum(successes)), n)
    return {
        "avg_sum_reward": float(np.mean(sum_rewards)),
        "avg_max_reward": float(np.mean(max_rewards)),
        "pc_success": float(np.mean(successes) * 100),
        "pc_success_ci95": [low * 100, high * 100],
        "n_episodes": n,
    }
