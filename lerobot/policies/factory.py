"""Look up policies by their `type` name and build them from a dataset's or an environment's features.

- `get_policy_class(name)`: the `PreTrainedPolicy` subclass registered as `name` in lerobot/registry.py,
  its module imported on demand (so a policy's extra dependencies stay optional).
- `make_policy_config(policy_type, **kwargs)`: the registered config class instantiated with kwargs.
- `make_policy(cfg, ds_meta=None, env_cfg=None)`: fills `cfg.input_features` / `cfg.output_features`
  (unless already set) from `dataset_to_policy_features(ds_meta.features)` or from the env config's
  `features` renamed through its `features_map` (`lerobot.envs.utils.env_to_policy_features`); takes
  the normalization stats from `ds_meta.stats`; loads the weights when `cfg.pretrained_path` is set;
  returns the policy on `cfg.device`.
"""

from __future__ import annotations

import logging
from typing import Any

from lerobot.configs.policies import PreTrainedConfig
from lerobot.configs.types import FeatureType
from lerobot.datasets.utils import dataset_to_policy_features
from lerobot.envs.utils import env_to_policy_features
from lerobot.policies.pretrained import PreTrainedPolicy
from lerobot.registry import POLICIES

logger = logging.getLogger(__name__)


def get_policy_class(name: str) -> type[PreTrainedPolicy]:
    """The policy class registered under `name` (e.g. "act" -> ACTPolicy), its module imported now."""
    cls = POLICIES.get_class(name)  # an unknown name: ValueError listing the known ones, with a did-you-mean
    if (
        not (isinstance(cls, type) and issubclass(cls, PreTrainedPolicy))
        or getattr(cls, "name", None) != name
    ):
        raise TypeError(
            f"The policy class registered as '{name}' ({cls!r}) must be a PreTrainedPolicy subclass whose "
            f"`name` is '{name}' (lerobot/registry.py, docs/contributing.md)."
        )
    return cls


def make_policy_config(policy_type: str, **kwargs: Any) -> PreTrainedConfig:
    """Instantiate the config registered as `policy_type` with `kwargs` as field values."""
    return PreTrainedConfig.get_config_class(policy_type)(**kwargs)


def make_policy(cfg: PreTrainedConfig, ds_meta: Any = None, env_cfg: Any = None) -> PreTrainedPolicy:
    """Build (or load, when `cfg.pretrained_path` is set) the policy described by `cfg`."""
    if ds_meta is None and env_cfg is None:
        raise ValueError("make_policy needs the dataset metadata (ds_meta) or an env config (env_cfg).")
    if ds_meta is not None:
        features = dataset_to_policy_features(ds_meta.features)
        stats = getattr(ds_meta, "stats", None)
    else:
        features = env_to_policy_features(env_cfg)
        stats = None

    if not cfg.output_features:
        cfg.output_features = {k: ft for k, ft in features.items() if ft.type is FeatureType.ACTION}
    if not cfg.input_features:
        candidates = {
            k: ft
            for k, ft in features.items()
            if k not in cfg.output_features and ft.type is not FeatureType.ACTION
        }
        unusable = cfg.unusable_input_features(candidates)
        if len(unusable) == len(candidates):  # nothing usable: validate_features says what is missing
            unusable = []
        if unusable:
            logger.warning(
                "The %s policy cannot take %s as inputs: left out of its input features.", cfg.type, unusable
            )
        cfg.input_features = {k: ft for k, ft in candidates.items() if k not in unusable}
    cfg.validate_features()

    policy_cls = get_policy_class(cfg.type)
    if cfg.pretrained_path:
        policy = policy_cls.from_pretrained(cfg.pretrained_path, config=cfg)
    else:
        policy = policy_cls(cfg, dataset_stats=stats)
    policy.to(cfg.device)
    return policy
