"""Normalization of policy inputs/targets and unnormalization of actions, both eras (docs/checkpoints.md).

Statistics are `dict[feature_key, dict[stat_name, Tensor]]` (float32; camera stats shaped (C, 1, 1)).
They belong to the policy (`PreTrainedPolicy.normalizer`) but are NOT part of its `state_dict()`: they are
written to the reference 0.4.4 processor files instead:

- `policy_preprocessor.json` + `policy_preprocessor_step_3_normalizer_processor.safetensors`
- `policy_postprocessor.json` + `policy_postprocessor_step_0_unnormalizer_processor.safetensors`

Each state file is a flat map `"<feature key>.<stat>" -> float32 tensor` holding ALL the statistics
the policy was given (every dataset feature and stat, like the reference); a reader only uses the stats
named by the mode of each listed feature.

Formulas (`eps = 1e-8`):

| mode       | 0.4.4 normalize (default)                          | 0.3.2 (`legacy=True`)             |
|------------|----------------------------------------------------|-----------------------------------|
| MEAN_STD   | (x - mean) / (std + eps)                           | same                              |
| MIN_MAX    | 2 (x - min) / d - 1, d = max - min, eps where d==0 | 2 (x - min) / (max - min + eps) - 1 |
| QUANTILES  | same as MIN_MAX with q01 / q99                     | n/a                               |
| QUANTILE10 | same as MIN_MAX with q10 / q90                     | n/a                               |
| IDENTITY   | unchanged                                          | unchanged                         |

Camera frames may arrive as uint8 (the training DataLoader ships them so: 4x fewer bytes between processes,
see lerobot/datasets/loading.py); `normalize` first turns them into float32 `x / 255` on
their own device (`uint8_frames_to_float`), bit-identical to the dataset's float frames, then applies the mode.

Unnormalization is the exact inverse without eps (MIN_MAX with the same zero-guard on `d` in 0.4.4).
Old (0.3.2) checkpoints keep the stats inside `model.safetensors` as `normalize_inputs.buffer_<key>.*`,
`normalize_targets.buffer_<key>.*`, `unnormalize_outputs.buffer_<key>.*`;
`split_legacy_normalization` maps `buffer_<name>` back to a feature by comparing `<name>` with the
config's feature keys with "." replaced by "_" (not by turning every "_" into ".", which is lossy).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import save_file
from torch import Tensor

from lerobot.configs.types import FeatureType, NormalizationMode, PolicyFeature
from lerobot.policies.utils import load_safetensors
from lerobot.utils.constants import POSTPROCESSOR_NAME, PREPROCESSOR_NAME

EPS = 1e-8
NORMALIZER_REGISTRY_NAME = "normalizer_processor"
UNNORMALIZER_REGISTRY_NAME = "unnormalizer_processor"
PREPROCESSOR_STATE_FILE = f"{PREPROCESSOR_NAME}_step_3_{NORMALIZER_REGISTRY_NAME}.safetensors"
POSTPROCESSOR_STATE_FILE = f"{POSTPROCESSOR_NAME}_step_0_{UNNORMALIZER_REGISTRY_NAME}.safetensors"
LEGACY_PREFIXES = ("normalize_inputs.", "normalize_targets.", "unnormalize_outputs.")

Stats = dict[str, dict[str, Tensor]]

# Which two statistics bound each range mode.
_RANGE_STATS = {
    NormalizationMode.MIN_MAX: ("min", "max"),
    NormalizationMode.QUANTILES: ("q01", "q99"),
    NormalizationMode.QUANTILE10: ("q10", "q90"),
}


def uint8_frames_to_float(x: Tensor) -> Tensor:
    """uint8 frames -> float32 `x / 255` on x's device, bit-identical to the dataset's float frames.

    The divisor is a tensor on x's device, not a Python number: CUDA multiplies by the reciprocal of a Python
    scalar divisor (one bit off for some values), while tensor / tensor is IEEE division on CPU and GPU, the
    same correctly rounded float32 as numpy's `uint8 / np.float32(255)` in the video decoder. The result is
    contiguous: frames laid out channels-last in memory (the training DataLoader's, see
    lerobot/datasets/batching.py) are permuted to (..., C, H, W) memory in the same copy that converts them.
    """
    x = x.to(torch.float32, memory_format=torch.contiguous_format)
    return x.div_(torch.full((), 255.0, dtype=torch.float32, device=x.device))


def stats_to_tensors(stats: Mapping[str, Mapping[str, Any]] | None) -> Stats:
    """Dataset stats (numpy arrays, lists, tensors or numbers) -> float32 CPU tensors, same nesting."""
    out: Stats = {}
    for key, per_stat in (stats or {}).items():
        if not isinstance(per_stat, Mapping):
            raise ValueError(f"stats['{key}'] must map stat names to arrays, got {type(per_stat).__name__}.")
        out[key] = {}
        for name, value in per_stat.items():
            if isinstance(value, Tensor):
                t = value.detach().to("cpu", torch.float32)
            else:
                t = torch.as_tensor(np.asarray(value, dtype=np.float64), dtype=torch.float32)
            out[key][name] = t.clone()
    return out


def flatten_stats(stats: Stats) -> dict[str, Tensor]:
    """{key: {stat: t}} -> {"key.stat": t} (contiguous float32, the processor state-file layout)."""
    return {f"{k}.{s}": v.contiguous().to(torch.float32) for k, d in stats.items() for s, v in d.items()}


def unflatten_stats(flat: Mapping[str, Tensor]) -> Stats:
    """{"key.stat": t} -> {key: {stat: t}}, splitting on the LAST dot (keys themselves contain dots)."""
    out: Stats = {}
    for name, value in flat.items():
        key, sep, stat = name.rpartition(".")
        if not sep:
            raise ValueError(f"Normalizer state entry '{name}' is not of the form '<feature>.<stat>'.")
        out.setdefault(key, {})[stat] = value.to(torch.float32)
    return out


class Normalizer:
    """(Un)normalizes the features of a batch dict according to their FeatureType's mode.

    Not an `nn.Module` on purpose: its statistics must not appear in the policy's state dict. Stats are
    moved to the device/dtype of each incoming tensor when used.
    """

    def __init__(
        self,
        features: Mapping[str, PolicyFeature],
        norm_map: Mapping[str, NormalizationMode],
        stats: Mapping[str, Mapping[str, Any]] | None = None,
        eps: float = EPS,
        legacy: bool = False,
    ):
        self.features = dict(features)
        self.norm_map = {str(getattr(k, "value", k)): NormalizationMode(v) for k, v in norm_map.items()}
        self.stats: Stats = stats_to_tensors(stats)
        self.eps = eps
        self.legacy = legacy

    def mode(self, key: str) -> NormalizationMode:
        ft = self.features[key]
        return self.norm_map.get(FeatureType(ft.type).value, NormalizationMode.IDENTITY)

    def _bounds(self, key: str, names: tuple[str, ...], like: Tensor) -> list[Tensor]:
        per_stat = self.stats.get(key, {})
        missing = [n for n in names if n not in per_stat]
        if missing:
            raise ValueError(
                f"No {'/'.join(missing)} statistics for feature '{key}' (mode {self.mode(key).value}): build "
                "the policy with dataset stats (make_policy(cfg, ds_meta=...) or dataset_stats=...) or load "
                f"a pretrained one. Features with stats: {sorted(self.stats)}."
            )
        out = []
        for n in names:
            s = per_stat[n]
            if s.device != like.device or s.dtype != like.dtype:
                s = s.to(device=like.device, dtype=like.dtype)
            out.append(s)
        return out

    def _range(self, lo: Tensor, hi: Tensor) -> Tensor:
        if self.legacy:
            return hi - lo + self.eps
        d = hi - lo
        return torch.where(d == 0, torch.full_like(d, self.eps), d)

    def normalize_tensor(self, key: str, x: Tensor) -> Tensor:
        if x.dtype == torch.uint8 and FeatureType(self.features[key].type) is FeatureType.VISUAL:
            x = uint8_frames_to_float(x)
        mode = self.mode(key)
        if mode is NormalizationMode.IDENTITY:
            return x
        if mode is NormalizationMode.MEAN_STD:
            mean, std = self._bounds(key, ("mean", "std"), x)
            return (x - mean) / (std + self.eps)
        lo, hi = self._bounds(key, _RANGE_STATS[mode], x)
        return (x - lo) / self._range(lo, hi) * 2 - 1

    def unnormalize_tensor(self, key: str, x: Tensor) -> Tensor:
        mode = self.mode(key)
        if mode is NormalizationMode.IDENTITY:
            return x
        if mode is NormalizationMode.MEAN_STD:
            mean, std = self._bounds(key, ("mean", "std"), x)
            return x * std + mean
        lo, hi = self._bounds(key, _RANGE_STATS[mode], x)
        d = hi - lo if self.legacy else self._range(lo, hi)
        return (x + 1) / 2 * d + lo

    def normalize(self, batch: Mapping[str, Any]) -> dict[str, Any]:
        """A new dict where every feature present in `batch` is normalized; other keys pass through."""
        out = dict(batch)
        for key in self.features:
            if key in out and isinstance(out[key], Tensor):
                out[key] = self.normalize_tensor(key, out[key])
        return out

    def unnormalize(self, batch: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(batch)
        for key in self.features:
            if key in out and isinstance(out[key], Tensor):
                out[key] = self.unnormalize_tensor(key, out[key])
        return out


# ----- processor pipeline files (0.4.4 layout) ---------------------------------------------------------
def _features_json(features: Mapping[str, PolicyFeature]) -> dict[str, Any]:
    return {k: {"type": FeatureType(ft.type).value, "shape": list(ft.shape)} for k, ft in features.items()}


def _norm_map_json(norm_map: Mapping[str, NormalizationMode]) -> dict[str, str]:
    return {str(getattr(k, "value", k)): NormalizationMode(v).value for k, v in norm_map.items()}


def save_processor_files(
    save_directory: str | Path,
    input_features: Mapping[str, PolicyFeature],
    output_features: Mapping[str, PolicyFeature],
    norm_map: Mapping[str, NormalizationMode],
    stats: Stats,
    device: str,
    eps: float = EPS,
) -> list[Path]:
    """Write the two pipelines exactly as lerobot 0.4.4 does; returns the four written paths."""
    save_directory = Path(save_directory)
    save_directory.mkdir(parents=True, exist_ok=True)
    norm_map_json = _norm_map_json(norm_map)
    pre = {
        "name": PREPROCESSOR_NAME,
        "steps": [
            {"registry_name": "rename_observations_processor", "config": {"rename_map": {}}},
            {"registry_name": "to_batch_processor", "config": {}},
            {"registry_name": "device_processor", "config": {"device": device, "float_dtype": None}},
            {
                "registry_name": NORMALIZER_REGISTRY_NAME,
                "config": {
                    "eps": eps,
                    "features": _features_json({**input_features, **output_features}),
                    "norm_map": norm_map_json,
                },
                "state_file": PREPROCESSOR_STATE_FILE,
            },
        ],
    }
    post = {
        "name": POSTPROCESSOR_NAME,
        "steps": [
            {
                "registry_name": UNNORMALIZER_REGISTRY_NAME,
                "config": {
                    "eps": eps,
                    "features": _features_json(output_features),
                    "norm_map": norm_map_json,
                },
                "state_file": POSTPROCESSOR_STATE_FILE,
            },
            {"registry_name": "device_processor", "config": {"device": "cpu", "float_dtype": None}},
        ],
    }
    flat = flatten_stats(stats)
    paths = [
        save_directory / f"{PREPROCESSOR_NAME}.json",
        save_directory / f"{POSTPROCESSOR_NAME}.json",
        save_directory / PREPROCESSOR_STATE_FILE,
        save_directory / POSTPROCESSOR_STATE_FILE,
    ]
    paths[0].write_text(json.dumps(pre, indent=2) + "\n")
    paths[1].write_text(json.dumps(post, indent=2) + "\n")
    save_file(flat, str(paths[2]))
    save_file({k: v.clone() for k, v in flat.items()}, str(paths[3]))
    return paths


def check_state_file_name(name: Any, pipeline_json: Path | str) -> None:
    """A processor step's `state_file` must name a file inside the checkpoint folder: a plain relative file
    name, no `..`, no absolute path (a checkpoint must never make the loader read files elsewhere)."""
    parts = Path(str(name)).parts
    if (
        not isinstance(name, str)
        or not name
        or Path(name).is_absolute()
        or ".." in parts
        or "\\" in name
        or len(parts) != 1
    ):
        raise ValueError(
            f"{pipeline_json}: state_file {name!r} does not name a file inside the checkpoint folder; expected "
            "a plain file name such as 'policy_preprocessor_step_3_normalizer_processor.safetensors'."
        )


def _read_pipeline(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"{path} is not valid JSON: {e}") from e
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list):
        raise ValueError(f"{path} must be a JSON object with a 'steps' list (a lerobot processor pipeline).")
    return data


def load_processor_stats(directory: str | Path, files: Mapping[str, Path] | None = None) -> Stats | None:
    """Statistics stored by the 0.4.4 pipelines in `directory` (None when there is no pipeline file).

    The preprocessor's normalizer state gives the input (and target) stats; the postprocessor's
    unnormalizer state, when present, gives the output stats (it wins for the features it lists).
    `files` may map file names to already-downloaded paths (Hub snapshots).
    """
    directory = Path(directory)

    def locate(name: str) -> Path:
        if files and name in files:
            return Path(files[name])
        return directory / name

    stats: Stats = {}
    found = False
    for pipeline, registry_name in (
        (PREPROCESSOR_NAME, NORMALIZER_REGISTRY_NAME),
        (POSTPROCESSOR_NAME, UNNORMALIZER_REGISTRY_NAME),
    ):
        json_path = locate(f"{pipeline}.json")
        if not json_path.is_file():
            continue
        found = True
        data = _read_pipeline(json_path)
        for step in data["steps"]:
            if step.get("registry_name") != registry_name or "state_file" not in step:
                continue
            check_state_file_name(step["state_file"], json_path)
            state_path = locate(step["state_file"])
            if not state_path.is_file():
                raise FileNotFoundError(
                    f"{json_path} names the state file '{step['state_file']}', which is missing from "
                    f"{state_path.parent}."
                )
            loaded = unflatten_stats(
                load_safetensors(state_path, f"the state file named in {json_path.name}")
            )
            listed = step.get("config", {}).get("features", {})
            for key, per_stat in loaded.items():
                if pipeline == POSTPROCESSOR_NAME and key not in listed and key in stats:
                    continue
                stats.setdefault(key, {}).update(per_stat)
    return stats if found else None


def split_legacy_normalization(
    state_dict: Mapping[str, Tensor],
    input_features: Mapping[str, PolicyFeature],
    output_features: Mapping[str, PolicyFeature],
) -> tuple[dict[str, Tensor], Stats]:
    """Separate 0.3.2 in-model normalization buffers from the network weights.

    Returns (weights without the buffers, stats by feature key). Buffers are named
    `<module>.buffer_<key with "." -> "_">.<stat>`; a buffer whose name matches no configured feature raises.
    """
    by_buffer_name = {k.replace(".", "_"): k for k in {**input_features, **output_features}}
    weights: dict[str, Tensor] = {}
    stats: Stats = {}
    for name, value in state_dict.items():
        if not name.startswith(LEGACY_PREFIXES):
            weights[name] = value
            continue
        _, _, rest = name.partition(".")
        buffer, _, stat = rest.rpartition(".")
        if not buffer.startswith("buffer_") or buffer[len("buffer_") :] not in by_buffer_name:
            raise ValueError(
                f"Normalization buffer '{name}' matches no feature of the config; expected "
                f"buffer_<key with '.' -> '_'> for one of {sorted(by_buffer_name.values())}."
            )
        key = by_buffer_name[buffer[len("buffer_") :]]
        t = value.to(torch.float32)
        if torch.isinf(t).any():
            raise ValueError(
                f"Normalization buffer '{name}' holds inf: the checkpoint was saved without dataset stats."
            )
        stats.setdefault(key, {})[stat] = t
    return weights, stats


def legacy_normalization_state(
    input_features: Mapping[str, PolicyFeature],
    output_features: Mapping[str, PolicyFeature],
    norm_map: Mapping[str, NormalizationMode],
    stats: Stats,
) -> dict[str, Tensor]:
    """The 0.3.2 in-model buffers for `stats`: `normalize_inputs.buffer_<key>.<stat>` for the inputs,
    `normalize_targets.*` and `unnormalize_outputs.*` for the outputs (features in IDENTITY mode have none)."""
    modes = {str(getattr(k, "value", k)): NormalizationMode(v) for k, v in norm_map.items()}
    names = {NormalizationMode.MEAN_STD: ("mean", "std"), NormalizationMode.MIN_MAX: ("min", "max")}
    out: dict[str, Tensor] = {}
    for modules, features in (
        (("normalize_inputs",), input_features),
        (("normalize_targets", "unnormalize_outputs"), output_features),
    ):
        for key, ft in features.items():
            mode = modes.get(FeatureType(ft.type).value, NormalizationMode.IDENTITY)
            if mode is NormalizationMode.IDENTITY:
                continue
            if mode not in names:
                raise ValueError(
                    f"Feature '{key}' uses {mode.value}, which the 0.3 layout cannot store (MEAN_STD or MIN_MAX only)."
                )
            for stat in names[mode]:
                if stat not in stats.get(key, {}):
                    raise ValueError(
                        f"No '{stat}' statistics for feature '{key}': cannot write the 0.3 layout."
                    )
                value = stats[key][stat].to(torch.float32)
                if FeatureType(ft.type) is FeatureType.VISUAL:
                    value = value.reshape(ft.shape[0], 1, 1)
                for module in modules:
                    out[f"{module}.buffer_{key.replace('.', '_')}.{stat}"] = value.contiguous().clone()
    return out
