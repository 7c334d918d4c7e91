"""Helpers over the LeRobotDataset `features` dict (meta/info.json["features"])."""

from lerobot.configs.types import FeatureType, PolicyFeature
from lerobot.utils.constants import ACTION, OBS_ENV_STATE, OBS_PREFIX


def dataset_to_policy_features(features: dict[str, dict]) -> dict[str, PolicyFeature]:
    """Map dataset features to the policy's view of them (spec §1.1 "Feature -> policy type mapping").

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
