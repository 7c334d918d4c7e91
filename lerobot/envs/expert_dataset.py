"""A small PushT dataset recorded by the scripted expert, with camera frames: the data of `examples/`.

    from lerobot.envs.expert_dataset import record_pusht_expert_dataset
    root = record_pusht_expert_dataset("outputs/examples/pusht", n_episodes=10)

Same features as the reference's `lerobot/pusht` (10 fps): `observation.image` (96x96 RGB, mp4),
`observation.state` (pusher x, y), `action` (target x, y), `next.reward`, `next.done`, `next.success`. The
expert (`lerobot/envs/experts.py`) reads the true block pose; executed actions get `action_noise` pixels
of Gaussian noise (the recorded action is the expert's), as `make demo` does.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

REPO_ID = "local/pusht_expert"
TASK = "Push the T-shaped block onto the T-shaped target."
FEATURES = {
    "observation.image": {"dtype": "video", "shape": [96, 96, 3], "names": ["height", "width", "channels"]},
    "observation.state": {"dtype": "float32", "shape": [2], "names": ["x", "y"]},
    "action": {"dtype": "float32", "shape": [2], "names": ["x", "y"]},
    "next.reward": {"dtype": "float32", "shape": [1], "names": None},
    "next.done": {"dtype": "bool", "shape": [1], "names": None},
    "next.success": {"dtype": "bool", "shape": [1], "names": None},
}


def record_pusht_expert_dataset(
    root: str | Path,
    n_episodes: int = 10,
    max_steps: int = 300,
    seed: int = 0,
    action_noise: float = 15.0,
    vcodec: str = "h264",
) -> Path:
    """Write `n_episodes` expert episodes (at most `max_steps` frames each) as a v3.0 dataset at `root`
    (which must not exist) and return `root`."""
    import gymnasium as gym

    from lerobot.datasets.lerobot_dataset import LeRobotDataset
    from lerobot.envs.configs import PushtEnv
    from lerobot.envs.experts import PushTExpert
    from lerobot.envs.factory import _import_env_package

    cfg = PushtEnv(obs_type="pixels_agent_pos", episode_length=max_steps)
    _import_env_package(cfg)
    env = gym.make(cfg.gym_id, disable_env_checker=True, **cfg.gym_kwargs)
    expert, rng = PushTExpert(), np.random.default_rng(seed)
    dataset = LeRobotDataset.create(
        REPO_ID, fps=cfg.fps, features=FEATURES, root=root, robot_type="pusht", vcodec=vcodec
    )
    try:
        for ep in range(n_episodes):
            obs, _ = env.reset(seed=seed + ep)
            for t in range(max_steps):
                action = expert(env)
                executed = np.clip(action + rng.normal(0.0, action_noise, 2), 0, 512).astype(np.float32)
                next_obs, reward, terminated, truncated, _ = env.step(executed)
                done = bool(terminated or truncated or t == max_steps - 1)
                dataset.add_frame(
                    {
                        "observation.image": obs["pixels"],
                        "observation.state": np.asarray(obs["agent_pos"], np.float32),
                        "action": action,
                        "next.reward": np.array([reward], np.float32),
                        "next.done": np.array([done]),
                        "next.success": np.array([bool(terminated)]),
                        "task": TASK,
                    }
                )
                obs = next_obs
                if done:
                    break
            dataset.save_episode()
    finally:
        dataset.finalize()
        env.close()
    return Path(root)
