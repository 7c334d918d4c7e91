"""Robot features <-> dataset features.

All `float` entries of a robot's feature dict become one float32 vector (`observation.state` or
`action`) whose `names` are the keys in order (e.g. `shoulder_pan.pos`); each camera `(H, W, 3)` entry
becomes `observation.images.<name>` stored as `video` (or `image`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lerobot.utils.constants import ACTION, OBS_IMAGES, OBS_STATE


def hw_to_dataset_features(
    hw_features: dict[str, Any], prefix: str, use_video: bool = True
) -> dict[str, dict]:
    if prefix not in (ACTION, "observation"):
        raise ValueError(f"prefix must be '{ACTION}' or 'observation', got '{prefix}'.")
    floats = [k for k, v in hw_features.items() if v is float]
    cameras = {k: v for k, v in hw_features.items() if isinstance(v, tuple)}
    other = [k for k in hw_features if k not in floats and k not in cameras]
    if other:
        raise ValueError(
            f"Features {other} are neither float nor an (H, W, C) camera shape: cannot be recorded."
        )
    features: dict[str, dict] = {}
    if floats:
        key = ACTION if prefix == ACTION else OBS_STATE
        features[key] = {"dtype": "float32", "shape": [len(floats)], "names": floats}
    if prefix == "observation":
        for name, shape in cameras.items():
            features[f"{OBS_IMAGES}.{name}"] = {
                "dtype": "video" if use_video else "image",
                "shape": list(shape),
                "names": ["height", "width", "channels"],
            }
    return features


def build_dataset_frame(ds_features: dict[str, dict], values: dict[str, Any], prefix: str) -> dict[str, Any]:
    """Robot observation/action dict -> the dataset entries of `prefix` (vectors ordered by `names`)."""
    frame: dict[str, Any] = {}
    for key, ft in ds_features.items():
        if key == (ACTION if prefix == ACTION else OBS_STATE):
            missing = [n for n in ft["names"] if n not in values]
            if missing:
                raise KeyError(f"Cannot build '{key}': values lack {missing}.")
            frame[key] = np.array([values[n] for n in ft["names"]], dtype=np.float32)
        elif prefix == "observation" and key.startswith(f"{OBS_IMAGES}."):
            frame[key] = values[key.removeprefix(f"{OBS_IMAGES}.")]
    return frame
