"""Helpers over the LeRobotDataset `features` dict (meta/info.json["features"])."""

import difflib
import numbers

import numpy as np

from lerobot.configs.types import FeatureType, PolicyFeature
from lerobot.utils.constants import ACTION, OBS_ENV_STATE, OBS_PREFIX, REWARD


def dataset_to_policy_features(features: dict[str, dict]) -> dict[str, PolicyFeature]:
    """Map dataset features to the policy's view of them (docs/dataset_format.md).

    `image`/`video` -> VISUAL with the shape made channel-first; `observation.environment_state` -> ENV;
    any other `observation*` key -> STATE; `action` -> ACTION; everything else is not a policy feature.
    """
    policy_features: dict[str, PolicyFeature] = {}
    for key, ft in features.items():
        shape = tuple(ft["shape"])
        if ft["dtype"] in ("image", "video"):
            type_ = FeatureType.VISUAL
            if len(shape) != 3:
                raise ValueError(
                    f"Camera feature '{key}' must have a 3-D shape (H, W, C), got {list(shape)}."
                )
            names = ft.get("names")
            # Recorded as (H, W, C); older ported datasets may be (C, H, W) and say so in `names`.
            if names and len(names) == 3 and names[0] in ("channel", "channels"):
                pass
            else:
                shape = (shape[2], shape[0], shape[1])
        elif key == OBS_ENV_STATE:
            type_ = FeatureType.ENV
        elif key.startswith(OBS_PREFIX) or key.startswith("observation"):
            type_ = FeatureType.STATE
        elif key == ACTION:
            type_ = FeatureType.ACTION
        else:
            continue
        policy_features[key] = PolicyFeature(type=type_, shape=shape)
    return policy_features


def format_ranges(values: list[int]) -> str:
    """[0, 1, 2, 3] -> "0..3"; other lists as they are (for error messages)."""
    if not values:
        return "none"
    if values == list(range(values[0], values[-1] + 1)):
        return f"{values[0]}..{values[-1]}"
    return str(values)


def check_delta_timestamps(
    delta_timestamps: dict, fps: float, tolerance_s: float, features: dict
) -> dict[str, list[int]]:
    """Validate `delta_timestamps` (docs/dataset_format.md) and turn them into frame offsets `round(dt * fps)`."""
    if not isinstance(delta_timestamps, dict):
        raise ValueError(
            f"delta_timestamps must be a dict of feature key -> list of seconds, got {delta_timestamps!r}."
        )
    delta_indices: dict[str, list[int]] = {}
    for key, dts in delta_timestamps.items():
        if key not in features:
            close = difflib.get_close_matches(str(key), list(features), n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise ValueError(
                f"delta_timestamps key '{key}' is not a dataset feature ({list(features)}).{hint}"
            )
        if features[key]["dtype"] == "string":
            raise ValueError(f"delta_timestamps['{key}']: string features cannot be stacked over time.")
        if isinstance(dts, (str, bytes)) or not hasattr(dts, "__len__") or len(dts) == 0:
            raise ValueError(f"delta_timestamps['{key}'] must be a non-empty list of seconds, got {dts!r}.")
        if not all(isinstance(d, numbers.Real) and not isinstance(d, (bool, np.bool_)) for d in dts):
            raise ValueError(f"delta_timestamps['{key}'] must hold numbers (seconds), got {list(dts)!r}.")
        off_grid = [d for d in dts if abs(d * fps - round(d * fps)) / fps > tolerance_s]
        if off_grid:
            raise ValueError(
                f"delta_timestamps['{key}'] has values {off_grid} that are not multiples of 1/fps = {1 / fps:.6g} s "
                f"(fps={fps}) within tolerance_s={tolerance_s}: time windows must fall on recorded frames."
            )
        delta_indices[key] = [round(d * fps) for d in dts]
    return delta_indices


def resolve_delta_timestamps(policy_cfg, ds_meta) -> dict[str, list[float]] | None:
    """The time windows a policy needs, in seconds, for the features of a dataset (docs/dataset_format.md).

    `policy_cfg` exposes `observation_delta_indices`, `action_delta_indices`, `reward_delta_indices`
    (frame offsets, or None for "no window"); `ds_meta` exposes `features` and `fps`. Every `observation.*`
    feature gets `observation_delta_indices / fps`, `action` gets `action_delta_indices / fps` and
    `next.reward` gets `reward_delta_indices / fps`. None when the policy needs no window at all.
    """
    fps = ds_meta.fps
    windows = {
        ACTION: policy_cfg.action_delta_indices,
        REWARD: policy_cfg.reward_delta_indices,
    }
    delta_timestamps: dict[str, list[float]] = {}
    for key in ds_meta.features:
        indices = policy_cfg.observation_delta_indices if key.startswith(OBS_PREFIX) else windows.get(key)
        if indices is not None:
            delta_timestamps[key] = [i / fps for i in indices]
    return delta_timestamps or None


IMAGENET_STATS = {"mean": [[[0.485]], [[0.456]], [[0.406]]], "std": [[[0.229]], [[0.224]], [[0.225]]]}
"""Per-channel (3, 1, 1) ImageNet mean/std, used for camera features at training time by default."""


def with_imagenet_stats(stats: dict[str, dict[str, np.ndarray]], camera_keys: list[str]) -> dict:
    """A copy of `stats` whose camera features have ImageNet mean/std (float32 (3,1,1)) (docs/dataset_format.md).

    What the reference's training does when `dataset.use_imagenet_stats` is true (the default); min, max,
    count and quantiles are kept. Cameras without stats get only mean/std.
    """
    out = {key: dict(ft_stats) for key, ft_stats in stats.items()}
    for key in camera_keys:
        entry = out.setdefault(key, {})
        for name, value in IMAGENET_STATS.items():
            entry[name] = np.asarray(value, dtype=np.float32)
    return out


def dim_names(feature: dict) -> list[str]:
    """Names of a vector feature's dimensions: its `names` (a list, or a dict of lists such as
    {"motors": [...]}) when they name every dimension, else "0" .. "D-1". Used for plot legends and entity
    names by both dataset visualizers."""
    size = int(np.prod(feature["shape"]))
    names = feature.get("names")
    if isinstance(names, dict):
        names = [n for group in names.values() for n in (group if isinstance(group, list) else [group])]
    if isinstance(names, list) and len(names) == size and all(isinstance(n, str) and n for n in names):
        return list(names)
    return [str(i) for i in range(size)]
