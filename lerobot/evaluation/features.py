"""Does a policy fit an env? Its input features must be among the env's observations (same shapes) and its
action must have the env's action shape. Checked once per evaluation, before the rollouts start."""

from typing import Any

from lerobot.envs.configs import EnvConfig
from lerobot.envs.utils import check_policy_features_match_env, env_to_policy_features
from lerobot.utils.constants import ACTION


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
