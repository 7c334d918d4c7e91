"""Look up policies by their `type` name and build them from a dataset's or an environment's features.

- `get_policy_class(name)`: imports `lerobot.policies.<name>.modeling_<name>` on demand (so a policy's
  extra dependencies stay optional) and returns its `PreTrainedPolicy` subclass with `name == <name>`.
- `make_policy_config(policy_type, **kwargs)`: the registered config class instantiated with kwargs.
- `make_policy(cfg, ds_meta=None, env_cfg=None)`: fills `cfg.input_features` / `cfg.output_features`
  (unless already set) from `dataset_to_policy_features(ds_meta.features)` or from the env config's
  `features` (dict[str, PolicyFeature], env keys, cameras channel-last (H, W, C)) renamed through its `features_map` (env key -> policy
  key); takes the normalization stats from `ds_meta.stats`; loads the weights when
  `cfg.pretrained_path` is set; returns the policy on `cfg.device`.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from lerobot.configs.policies import PreTrainedConfig
from lerobot.configs.types import FeatureType, PolicyFeature
from lerobot.datasets.utils import dataset_to_policy_features
from lerobot.policies.pretrained import PreTrainedPolicy

logger = logging.getLogger(__name__)


def get_policy_class(name: str) -> type[PreTrainedPolicy]:
    """The policy class registered under `name` (e.g. "act" -> ACTPolicy)."""
    PreTrainedConfig.get_config_class(name)  # clear error for an unknown name, with a suggestion
    module = importlib.import_module(f"lerobot.policies.{name}.modeling_{name}")
    for obj in vars(module).values():
        if (
            isinstance(obj, type)
            and issubclass(obj, PreTrainedPolicy)
            and obj is not PreTrainedPolicy
            and getattr(obj, "name", None) == name
        ):
            return obj
    raise ImportError(f"lerobot.policies.{name}.modeling_{name} defines no PreTrainedPolicy named '{name}'.")


def make_policy_config(policy_type: str, **kwargs: Any) -> PreTrainedConfig:
    """Instantiate the config registered as `policy_type` with `kwargs` as field values."""
    return PreTrainedConfig.get_config_class(policy_type)(**kwargs)


def env_to_policy_features(env_cfg: Any) -> dict[str, PolicyFeature]:
    """Policy features of an env config (duck-typed: `features` and `features_map` attributes)."""
    features = getattr(env_cfg, "features", None)
    if not isinstance(features, dict):
        raise TypeError(
            f"{type(env_cfg).__name__} has no `features` dict: an env config must expose its features "
            "(env key -> PolicyFeature) and `features_map` (env key -> policy key)."
        )
    features_map = getattr(env_cfg, "features_map", None) or {}
    out: dict[str, PolicyFeature] = {}
    for key, ft in features.items():
        if isinstance(ft, dict):
            ft = PolicyFeature(type=FeatureType(ft["type"]), shape=tuple(ft["shape"]))
        shape = tuple(ft.shape)
        if ft.type is FeatureType.VISUAL:
            if len(shape) != 3:
                raise ValueError(f"Env camera feature '{key}' must be 3-D, got shape {list(shape)}.")
            shape = (shape[2], shape[0], shape[1])  # env cameras are channel-last (H, W, C) -> (C, H, W)
        if key not in features_map:
            raise KeyError(f"Env feature '{key}' has no entry in features_map {sorted(features_map)}.")
        out[features_map[key]] = PolicyFeature(type=ft.type, shape=shape)
    return out


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
