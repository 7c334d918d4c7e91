"""The evaluation that `lerobot-eval` runs: `EvalPipelineConfig` -> env, policy, rollouts, eval_info.json.

The policy is pretrained (`--policy.path`), randomly initialised (`--policy.type` alone), or absent
(uniformly random actions, a baseline). Its features are checked against the env's once, before any
rollout: on the config when it declares them (a pretrained policy: before the weights load), else on the
built policy.
"""

import logging
from pathlib import Path
from typing import Any

import gymnasium as gym

from lerobot.configs.eval import EvalPipelineConfig
from lerobot.configs.types import FeatureType
from lerobot.envs.factory import make_env
from lerobot.evaluation.eval_info import eval_info_layout, write_eval_info
from lerobot.evaluation.features import check_policy_matches_env
from lerobot.evaluation.rollout import RandomPolicy, eval_policy
from lerobot.utils.random_utils import set_seed

logger = logging.getLogger(__name__)


def make_eval_policy(cfg: EvalPipelineConfig, env: gym.vector.VectorEnv) -> Any:
    """The policy to evaluate: pretrained (`--policy.path`), randomly initialised, or random actions."""
    if cfg.policy is None:
        logger.warning("No --policy.path or --policy.type given: evaluating uniformly random actions.")
        return RandomPolicy(env.single_action_space, seed=cfg.seed)
    from lerobot.policies.factory import make_policy

    checked = bool(cfg.policy.input_features)
    if checked:  # before the policy is built (and its weights loaded)
        check_policy_matches_env(cfg.policy, cfg.env)
    if not cfg.policy.pretrained_path:
        logger.warning(
            "No --policy.path given: evaluating a randomly initialised '%s' policy.", cfg.policy.type
        )
    policy = make_policy(cfg.policy, env_cfg=cfg.env)
    if not checked:  # the features the factory gave the policy
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
    write_eval_info(info, output_dir)
    overall = info["overall"]
    low, high = overall["pc_success_ci95"]
    logger.info(
        "%s: %d episodes, avg_sum_reward %.3f, avg_max_reward %.3f, success %.1f%% (95%% CI %.1f-%.1f%%), %.1fs",
        cfg.job_name, overall["n_episodes"], overall["avg_sum_reward"], overall["avg_max_reward"],
        overall["pc_success"], low, high, overall["eval_s"],
    )  # fmt: skip
    return info
