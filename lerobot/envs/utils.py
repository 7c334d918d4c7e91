"""Env observations -> policy inputs, and env features -> policy features.

Batch layout produced by `preprocess_observation` for a vector env of B sub-envs:
- `observation.image` / `observation.images.<cam>`: float32 (B, C, H, W) in [0, 1];
- `observation.state`: float32 (B, D_state);
- `observation.environment_state`: float32 (B, D_env).
Which of them are present depends on the env's `obs_type` (see `lerobot.envs.configs`).
"""

import numpy as np
import torch

from lerobot.configs.types import FeatureType, PolicyFeature
from lerobot.envs.configs import EnvConfig
from lerobot.utils.constants import OBS_ENV_STATE, OBS_IMAGE, OBS_IMAGES, OBS_STATE


def _image_to_tensor(img: np.ndarray, key: str) -> torch.Tensor:
    """(B, H, W, C) uint8 -> (B, C, H, W) float32 in [0, 1]."""
    if not isinstance(img, np.ndarray):
        raise TypeError(f"Observation {key!r} must be a numpy array of images, got {type(img).__name__}.")
    if img.ndim != 4 or img.shape[-1] != 3:
        raise ValueError(
            f"Observation {key!r} must be a batch of channel-last RGB images (B, H, W, 3), got {img.shape}."
        )
    if img.dtype != np.uint8:
        raise ValueError(f"Observation {key!r} must hold uint8 images, got dtype {img.dtype}.")
    # In numpy (single-threaded): on a busy CPU, torch's thread pool made this the slowest part of a step.
    chw = np.ascontiguousarray(img.transpose(0, 3, 1, 2), dtype=np.float32)
    np.divide(chw, 255.0, out=chw, dtype=np.float32)  # the same IEEE float32 division as `tensor / 255.0`
    return torch.from_numpy(chw)


def _vector_to_tensor(x, key: str) -> torch.Tensor:
    arr = np.asarray(x)
    if arr.ndim != 2:
        raise ValueError(f"Observation {key!r} must be batched as (B, D), got shape {arr.shape}.")
    return torch.from_numpy(arr).to(torch.float32)


_KNOWN_KEYS = ("pixels", "environment_state", "agent_pos")


def _is_image_batch(x) -> bool:
    return isinstance(x, np.ndarray) and x.ndim == 4


def preprocess_observation(observations: dict[str, np.ndarray] | np.ndarray) -> dict[str, torch.Tensor]:
    """Convert a batched gym observation to LeRobot keys and layouts.

    Dict observations: `pixels` (array) -> `observation.image`; `pixels` (dict of cameras) ->
    `observation.images.<cam>`; `environment_state` -> `observation.environment_state`; `agent_pos` ->
    `observation.state`. Every key is optional (pixel-only observations give only image keys). A dict of
    cameras alone (gym-aloha's obs_type="pixels": `{"top": ...}`) -> `observation.images.<cam>`.
    Bare arrays (obs_type="pixels" / "state" of pusht and xarm): an image batch (B, H, W, 3) ->
    `observation.image`; a vector batch (B, D) (the simulator's whole state) -> `observation.environment_state`.
    Images must be uint8 (B, H, W, C); they become float32 (B, C, H, W) / 255.
    """
    if isinstance(observations, np.ndarray):
        if observations.ndim == 4:
            return {OBS_IMAGE: _image_to_tensor(observations, "pixels")}
        if observations.ndim == 2:
            return {OBS_ENV_STATE: _vector_to_tensor(observations, "state")}
        raise ValueError(
            "A bare-array observation must be a batch of images (B, H, W, 3) (obs_type='pixels') or of "
            f"state vectors (B, D) (obs_type='state'), got shape {observations.shape}."
        )
    if not isinstance(observations, dict):
        raise TypeError(
            "Expected a dict observation (keys like 'pixels', 'agent_pos') or a batched array, got "
            f"{type(observations).__name__}."
        )
    out: dict[str, torch.Tensor] = {}
    cameras_only = (
        bool(observations)
        and not any(k in observations for k in _KNOWN_KEYS)
        and all(_is_image_batch(v) for v in observations.values())
    )
    if cameras_only:  # e.g. {"top": ...}
        for cam, img in observations.items():
            out[f"{OBS_IMAGES}.{cam}"] = _image_to_tensor(img, cam)
        return out
    if "pixels" in observations:
        pixels = observations["pixels"]
        if isinstance(pixels, dict):
            for cam, img in pixels.items():
                out[f"{OBS_IMAGES}.{cam}"] = _image_to_tensor(img, f"pixels/{cam}")
        else:
            out[OBS_IMAGE] = _image_to_tensor(pixels, "pixels")
    if "environment_state" in observations:
        out[OBS_ENV_STATE] = _vector_to_tensor(observations["environment_state"], "environment_state")
    if "agent_pos" in observations:
        out[OBS_STATE] = _vector_to_tensor(observations["agent_pos"], "agent_pos")
    unknown = set(observations) - set(_KNOWN_KEYS)
    if unknown:
        raise KeyError(
            f"Unknown observation keys {sorted(unknown)}; expected 'pixels', 'environment_state', 'agent_pos' "
            "(or only camera images, as gym-aloha's obs_type='pixels' returns)."
        )
    return out


def env_to_policy_features(env_cfg: EnvConfig) -> dict[str, PolicyFeature]:
    """The env's features under LeRobot keys, as a policy sees them (cameras channel-first (C, H, W)).

    `env_cfg` is an EnvConfig or any object with `features` (gym key -> PolicyFeature or {type, shape},
    images channel-last (H, W, C)) and `features_map` (gym key -> LeRobot key)."""
    features = getattr(env_cfg, "features", None)
    name = f"--env.type={env_cfg.type}" if hasattr(env_cfg, "type") else type(env_cfg).__name__
    if not isinstance(features, dict):
        raise TypeError(
            f"{name} has no `features` dict: an env config must expose its features "
            "(env key -> PolicyFeature) and `features_map` (env key -> policy key)."
        )
    features_map = getattr(env_cfg, "features_map", None) or {}
    policy_features: dict[str, PolicyFeature] = {}
    for key, ft in features.items():
        if isinstance(ft, dict):
            ft = PolicyFeature(type=FeatureType(ft["type"]), shape=tuple(ft["shape"]))
        if key not in features_map:
            raise KeyError(
                f"Env feature {key!r} of {name} has no entry in features_map {sorted(features_map)}."
            )
        shape = tuple(ft.shape)
        if ft.type is FeatureType.VISUAL:
            if len(shape) != 3:
                raise ValueError(f"Camera feature {key!r} must have a 3-D shape (H, W, C), got {shape}.")
            shape = (shape[2], shape[0], shape[1])
        policy_features[features_map[key]] = PolicyFeature(type=ft.type, shape=shape)
    return policy_features


def check_policy_features_match_env(input_features: dict[str, PolicyFeature], env_cfg: EnvConfig) -> None:
    """Raise a ValueError naming every policy input the env does not provide (or provides with another shape)."""
    env_features = env_to_policy_features(env_cfg)
    problems = []
    for key, ft in input_features.items():
        if key not in env_features:
            problems.append(f"'{key}' (shape {list(ft.shape)}) is not provided by the env")
        elif tuple(env_features[key].shape) != tuple(ft.shape):
            problems.append(
                f"'{key}' has shape {list(ft.shape)} in the policy but {list(env_features[key].shape)} in the env"
            )
    if problems:
        provided = {k: list(v.shape) for k, v in env_features.items()}
        fits = _obs_types_providing(input_features, env_cfg)
        hint = f" Pass --env.obs_type={fits[0]}, which provides them." if fits else ""
        raise ValueError(
            f"The policy's input features do not match --env.type={env_cfg.type} "
            f"(task {env_cfg.task}, obs_type {getattr(env_cfg, 'obs_type', None)}): "
            + "; ".join(problems)
            + f". The env provides {provided}."
            + hint
        )


def _obs_types_providing(input_features: dict[str, PolicyFeature], env_cfg: EnvConfig) -> list[str]:
    """The other `--env.obs_type`s of `env_cfg`'s env whose observations give every input feature."""
    import dataclasses

    fits = []
    for obs_type in getattr(env_cfg, "available_obs_types", ()):
        if obs_type == getattr(env_cfg, "obs_type", None):
            continue
        try:  # copies: __post_init__ rewrites features / features_map in place
            other = dataclasses.replace(
                env_cfg,
                obs_type=obs_type,
                features=dict(env_cfg.features),
                features_map=dict(env_cfg.features_map),
            )
            provided = env_to_policy_features(other)
        except (TypeError, ValueError, KeyError):
            continue
        if all(
            k in provided and tuple(provided[k].shape) == tuple(ft.shape) for k, ft in input_features.items()
        ):
            fits.append(obs_type)
    return fits
