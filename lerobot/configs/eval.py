"""Configs of `lerobot-eval` (docs/cli.md): how many episodes, in how many parallel envs, and where to write.

`EvalPipelineConfig` is what `python lerobot/scripts/eval.py` / `lerobot-eval` parses:
`--env.type=pusht --policy.path=<dir|hub id> --eval.n_episodes=10 --eval.batch_size=10 --seed=1000`.
"""

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from lerobot.configs.policies import PreTrainedConfig
from lerobot.envs.configs import EnvConfig


@dataclass
class EvalConfig:
    """Rollout settings."""

    # Number of episodes to run (and average over).
    n_episodes: int = 50
    # Number of environments run in parallel (gymnasium vector env); must not exceed n_episodes.
    batch_size: int = 50
    # Run each environment in its own process (gymnasium AsyncVectorEnv) instead of one after the other.
    use_async_envs: bool = False

    def __post_init__(self):
        if not isinstance(self.n_episodes, int) or self.n_episodes < 1:
            raise ValueError(f"--eval.n_episodes must be a positive integer, got {self.n_episodes!r}.")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ValueError(
                f"--eval.batch_size (number of parallel envs) must be a positive integer, got {self.batch_size!r}."
            )
        if self.batch_size > self.n_episodes:
            raise ValueError(
                f"--eval.batch_size ({self.batch_size}) cannot exceed --eval.n_episodes ({self.n_episodes}): "
                "the batch size is the number of environments run in parallel, and those beyond n_episodes "
                f"would be wasted. Use --eval.batch_size={self.n_episodes} or fewer."
            )


@dataclass
class EvalPipelineConfig:
    """Evaluate a policy (or random actions when no policy is given) in a simulation environment."""

    # The simulation environment (required): --env.type=pusht|aloha|xarm plus --env.<field> overrides.
    env: EnvConfig | None = None
    # Rollout settings (--eval.n_episodes, --eval.batch_size, --eval.use_async_envs).
    eval: EvalConfig = field(default_factory=EvalConfig)
    # The policy: --policy.path=<local pretrained_model dir | Hub repo id> (plus --policy.device,
    # --policy.use_amp overrides) or --policy.type=<name> for a randomly initialised one. Without
    # either, actions are sampled uniformly from the env's action space.
    policy: PreTrainedConfig | None = None
    # Where eval_info.json and videos/ go; default outputs/eval/<date>/<time>_<job_name>.
    output_dir: Path | None = None
    # Run name used in the default output_dir; default <env.type>_<policy.type> (or <env.type>_random).
    job_name: str | None = None
    # Base seed: episode i is reset with seed + i; also seeds torch/numpy/random. None = unseeded.
    seed: int | None = 1000
    # Number of the first episodes rendered to <output_dir>/videos/eval_episode_<i>.mp4.
    max_episodes_rendered: int = 10

    def __post_init__(self):
        if not isinstance(self.env, EnvConfig):
            raise ValueError(
                f"--env.type is required (one of {sorted(EnvConfig.get_known_choices())}), "
                f"got {type(self.env).__name__}."
            )
        if self.max_episodes_rendered < 0:
            raise ValueError(f"--max_episodes_rendered must be >= 0, got {self.max_episodes_rendered}.")
        if self.seed is not None and (not isinstance(self.seed, int) or self.seed < 0):
            raise ValueError(f"--seed must be a non-negative integer, got {self.seed!r}.")
        if self.job_name is None:
            policy_name = self.policy.type if self.policy is not None else "random"
            self.job_name = f"{self.env.type}_{policy_name}"
        if self.output_dir is None:
            now = dt.datetime.now()
            self.output_dir = (
                Path("outputs/eval") / now.strftime("%Y-%m-%d") / f"{now:%H-%M-%S}_{self.job_name}"
            )
        self.output_dir = Path(self.output_dir)
