"""Env throughput for evaluation: env steps/s with 1 env, N sync envs and N async envs.

    MUJOCO_GL=egl python benchmarks/eval.py --envs pusht aloha --n-envs 4 --steps 50

Random actions from the action space (no policy), observations converted by `preprocess_observation`
as in `lerobot-eval`. Each configuration is timed after a reset (env construction and the reset are not
counted); ratios are against the 1-env figure measured in the same run.
"""

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("MUJOCO_GL", "egl")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lerobot.envs.factory import make_env, make_env_config  # noqa: E402
from lerobot.envs.utils import preprocess_observation  # noqa: E402


def steps_per_second(env_type: str, n_envs: int, use_async: bool, steps: int) -> float:
    env = make_env(make_env_config(env_type, episode_length=10_000), n_envs=n_envs, use_async_envs=use_async)
    try:
        env.action_space.seed(0)
        obs, _ = env.reset(seed=list(range(n_envs)))
        preprocess_observation(obs)
        start = time.perf_counter()
        for _ in range(steps):
            obs, *_ = env.step(env.action_space.sample())
            preprocess_observation(obs)
        return n_envs * steps / (time.perf_counter() - start)
    finally:
        env.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envs", nargs="+", default=["pusht", "aloha"])
    parser.add_argument("--n-envs", type=int, default=4)
    parser.add_argument("--steps", type=int, default=50, help="vector steps per configuration")
    args = parser.parse_args()
    print(f"cpu cores: {os.cpu_count()}, MUJOCO_GL={os.environ['MUJOCO_GL']}, steps per config: {args.steps}")
    print(f"{'env':8s} {'config':14s} {'env steps/s':>12s} {'vs 1 env':>9s}")
    for env_type in args.envs:
        base = steps_per_second(env_type, 1, False, args.steps)
        print(f"{env_type:8s} {'1 env':14s} {base:12.1f} {1.0:9.2f}")
        for use_async in (False, True):
            label = f"{args.n_envs} {'async' if use_async else 'sync'}"
            sps = steps_per_second(env_type, args.n_envs, use_async, args.steps)
            print(f"{env_type:8s} {label:14s} {sps:12.1f} {sps / base:9.2f}")


if __name__ == "__main__":
    main()
