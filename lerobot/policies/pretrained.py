"""`PreTrainedPolicy`: the base class of every policy, with save/load (docs/checkpoints.md).

Interface (what training and evaluation code calls; everything in ENVIRONMENT space):

- `reset()` at every episode start (clears queues / ensemblers).
- `select_action(batch) -> (B, A)`: raw current observations (`observation.state (B, S)`, images
  `(B, C, H, W)` float in [0, 1], ...) in, one env-space action per call out; no grad.
- `predict_action_chunk(batch) -> (B, T_act, A)`: raw observations in, env-space chunk out.
- `forward(batch) -> (loss, info)`: a raw training batch (with time dims and `*_is_pad` masks).
- `get_optim_params()`, optional `update()` after each optimizer step.

The policy owns its normalization statistics (`self.normalizer`, built from `dataset_stats`), but they
are not in `state_dict()`: the state dict holds exactly the reference 0.4.4 keys. The base class
normalizes, then calls the subclass hooks, which work in NORMALIZED space like lerobot 0.4.4 policies:

- `select_action_normalized(batch_n) -> (B, A)` normalized action (queues hold normalized tensors),
- `predict_action_chunk_normalized(batch_n) -> (B, T_act, A)`,
- `forward_normalized(batch_n) -> (loss, info)`.

Tests compare these hooks with the fixtures' normalized tensors, and `normalize_batch` /
`unnormalize_action` with the fixtures' pre/post-processor outputs. Before a hook runs, the base class
checks that every input feature (and for `forward` every output feature) is in the batch.

Files (`save_pretrained(dir)`): `config.json`, `model.safetensors` (the state dict, nothing else) and the
0.4.4 processor files (see `lerobot.policies.normalize`). `from_pretrained(dir | hub_id)` reads that
layout and the 0.3.2 one (normalization buffers inside model.safetensors) and loads weights strictly.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import torch
from safetensors.torch import save_file
from torch import Tensor, nn

from lerobot.configs.policies import PreTrainedConfig
from lerobot.configs.types import FeatureType
from lerobot.policies.normalize import (
    Normalizer,
    Stats,
    check_state_file_name,
    legacy_normalization_state,
    load_processor_stats,
    save_processor_files,
    split_legacy_normalization,
    stats_to_tensors,
)
from lerobot.policies.utils import (
    download_file,
    download_optional_file,
    load_safetensors,
    require_keys,
)
from lerobot.registry import POLICIES
from lerobot.utils.constants import (
    ACTION,
    CONFIG_NAME,
    POSTPROCESSOR_NAME,
    PREPROCESSOR_NAME,
    SAFETENSORS_SINGLE_FILE,
)

logger = logging.getLogger(__name__)

P = TypeVar("P", bound="PreTrainedPolicy")


# Base-config fields that lerobot 0.3.x's draccus rejects as unknown keys.
LEGACY_UNKNOWN_CONFIG_KEYS = ("use_peft", "pretrained_path")


class CheckpointMismatchError(RuntimeError):
    """model.safetensors does not match the network built from config.json."""


def _read_safetensors(path: Path) -> dict[str, Tensor]:
    return load_safetensors(path, "the policy weights")


def check_state_dict(expected: dict[str, Tensor], loaded: dict[str, Tensor], source: str) -> None:
    """Raise `CheckpointMismatchError` listing missing, unexpected and wrongly shaped tensors."""
    missing = [k for k in expected if k not in loaded]
    unexpected = [k for k in loaded if k not in expected]
    wrong = [
        f"{k}: checkpoint {list(loaded[k].shape)} vs model {list(expected[k].shape)}"
        for k in expected
        if k in loaded and tuple(loaded[k].shape) != tuple(expected[k].shape)
    ]
    if missing or unexpected or wrong:
        parts = []
        if missing:
            parts.append(f"missing keys ({len(missing)}): {missing}")
        if unexpected:
            parts.append(f"unexpected keys ({len(unexpected)}): {unexpected}")
        if wrong:
            parts.append(f"wrong shapes ({len(wrong)}): {wrong}")
        raise CheckpointMismatchError(
            f"{source} does not match the network described by its config.json: " + "; ".join(parts)
        )


class PreTrainedPolicy(nn.Module):
    """Base policy. Subclasses set `config_class` and `name` and implement the three normalized hooks."""

    config_class: ClassVar[type[PreTrainedConfig]]
    name: ClassVar[str]

    def __init__(self, config: PreTrainedConfig, dataset_stats: dict[str, dict[str, Any]] | None = None):
        super().__init__()
        config_class = getattr(type(self), "config_class", None)
        if config_class is not None and not isinstance(config, config_class):
            raise TypeError(
                f"{type(self).__name__} needs a {config_class.__name__}, got {type(config).__name__}."
            )
        self.config = config
        self.normalizer = Normalizer(
            {**config.input_features, **config.output_features}, config.normalization_mapping, dataset_stats
        )

    # ----- statistics -----------------------------------------------------------------------------------
    @property
    def stats(self) -> Stats:
        """The normalization statistics this policy carries ({feature: {stat: float32 tensor}})."""
        return self.normalizer.stats

    def set_stats(self, stats: dict[str, dict[str, Any]] | None, legacy: bool = False) -> None:
        """Replace the statistics (`legacy=True` selects the 0.3.2 formulas, see normalize.py)."""
        self.normalizer = Normalizer(
            {**self.config.input_features, **self.config.output_features},
            self.config.normalization_mapping,
            stats_to_tensors(stats),
            legacy=legacy,
        )

    def normalize_batch(self, batch: dict[str, Any]) -> dict[str, Any]:
        """Normalize every input/output feature present in `batch` (what the 0.4.4 preprocessor does)."""
        return self.normalizer.normalize(batch)

    def unnormalize_action(self, action: Tensor) -> Tensor:
        """Normalized action(s) of any leading shape -> environment space (the 0.4.4 postprocessor)."""
        return self.normalizer.unnormalize_tensor(ACTION, action)

    # ----- public interface (environment space) ---------------------------------------------------------
    def reset(self) -> None:
        """Clear the internal queues; call at every episode start."""

    def _check_inputs(self, batch: dict[str, Any], with_outputs: bool = False, time_dim: bool = True) -> None:
        """Check `batch` against the input (and with `with_outputs`, output) features before any computation:
        every key present, a float tensor (uint8 allowed for camera frames) of shape (B, *shape) (or (B, T, *shape) when `time_dim`), one
        batch size B, no NaN/inf. Each error names the key, the expected and the given."""
        keys = list(self.config.input_features)
        if with_outputs:
            keys += list(self.config.output_features)
        require_keys(batch, keys, f"{self.name} policy (features {keys})")
        features = {**self.config.input_features, **self.config.output_features} if with_outputs else None
        batch_size = None
        for key in keys:
            ft = (features or self.config.input_features)[key]
            value, shape = batch[key], tuple(ft.shape)
            if not isinstance(value, Tensor):
                raise TypeError(
                    f"{self.name} policy: batch['{key}'] must be a torch.Tensor of shape (B, *{list(shape)}), "
                    f"got {type(value).__name__}; convert it with torch.as_tensor(...)."
                )
            lead = value.ndim - len(shape)
            if tuple(value.shape[lead:]) != shape or lead < 1 or lead > (2 if time_dim else 1):
                expected = f"(B, {', '.join(map(str, shape))})" + (" or (B, T, ...)" if time_dim else "")
                hint = " (add the batch dimension: x.unsqueeze(0))" if tuple(value.shape) == shape else ""
                raise ValueError(
                    f"{self.name} policy: batch['{key}'] has shape {list(value.shape)}; expected {expected} "
                    f"from the policy's {'input' if key in self.config.input_features else 'output'} feature "
                    f"shape {list(shape)}{hint}."
                )
            if batch_size is None:
                batch_size = value.shape[0]
            elif value.shape[0] != batch_size:
                raise ValueError(
                    f"{self.name} policy: batch['{key}'] has batch size {value.shape[0]} but the batch's first "
                    f"feature has {batch_size}; every feature needs the same first dimension B."
                )
            if not value.is_floating_point():
                if value.dtype == torch.uint8 and FeatureType(ft.type) is FeatureType.VISUAL:
                    continue  # uint8 camera frames: the normalizer makes them x / 255 (lerobot/policies/normalize.py)
                hint = " (uint8 is accepted for camera features only)" if value.dtype == torch.uint8 else ""
                raise TypeError(
                    f"{self.name} policy: batch['{key}'] has dtype {value.dtype}; expected a float tensor{hint}."
                )
            # One reduction on the fast path: a NaN/inf makes the sum non-finite; an overflowing sum of finite
            # values (float16) falls through to the exact element-wise test.
            if not bool(torch.isfinite(value.sum())) and not bool(torch.isfinite(value).all()):
                n_bad = int((~torch.isfinite(value)).sum())
                raise ValueError(
                    f"{self.name} policy: batch['{key}'] holds {n_bad} NaN/inf value(s); expected finite "
                    "numbers (check the observation source or the dataset frames)."
                )

    @torch.no_grad()
    def select_action(self, batch: dict[str, Any]) -> Tensor:
        """Raw observations (B, ...) -> env-space action (B, A)."""
        self._check_inputs(batch, time_dim=False)
        return self.unnormalize_action(self.select_action_normalized(self.normalize_batch(batch)))

    @torch.no_grad()
    def predict_action_chunk(self, batch: dict[str, Any]) -> Tensor:
        """Raw observations -> env-space action chunk (B, T_act, A)."""
        self._check_inputs(batch)
        return self.unnormalize_action(self.predict_action_chunk_normalized(self.normalize_batch(batch)))

    def forward(self, batch: dict[str, Any]) -> tuple[Tensor, dict[str, Any] | None]:
        """Raw training batch -> (scalar loss, info dict of Python floats or None)."""
        self._check_inputs(batch, with_outputs=True)
        return self.forward_normalized(self.normalize_batch(batch))

    # ----- hooks for subclasses (normalized space) ------------------------------------------------------
    def select_action_normalized(self, batch: dict[str, Any]) -> Tensor:
        raise NotImplementedError

    def predict_action_chunk_normalized(self, batch: dict[str, Any]) -> Tensor:
        raise NotImplementedError

    def forward_normalized(self, batch: dict[str, Any]) -> tuple[Tensor, dict[str, Any] | None]:
        raise NotImplementedError

    def get_optim_params(self) -> Any:
        """Parameters (or param-group dicts) handed to the optimizer preset."""
        return [p for p in self.parameters() if p.requires_grad]

    # ----- saving -----------------------------------------------------------------------------------------
    def save_pretrained(self, save_directory: str | os.PathLike, layout: str = "0.4") -> Path:
        """Write the checkpoint into `save_directory`.

        `layout="0.4"` (default, lerobot 0.4.x): config.json, model.safetensors and the processor files.
        `layout="0.3"` (what lerobot 0.3.x reads): config.json without the fields 0.3 does not know
        (`use_peft`, `pretrained_path`) and model.safetensors with the normalization buffers
        `normalize_inputs.*`, `normalize_targets.*`, `unnormalize_outputs.*`; no processor files.
        """
        if layout not in ("0.4", "0.3"):
            raise ValueError(
                f"layout must be '0.4' (processor files) or '0.3' (in-model buffers), got {layout!r}."
            )
        save_directory = Path(save_directory)
        save_directory.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().to("cpu").contiguous().clone() for k, v in self.state_dict().items()}
        if layout == "0.3":
            config = self.config.to_dict()
            for key in LEGACY_UNKNOWN_CONFIG_KEYS:
                config.pop(key, None)
            (save_directory / CONFIG_NAME).write_text(json.dumps(config, indent=4) + "\n")
            state.update(
                legacy_normalization_state(
                    self.config.input_features,
                    self.config.output_features,
                    self.config.normalization_mapping,
                    self.stats,
                )
            )
            save_file(state, str(save_directory / SAFETENSORS_SINGLE_FILE))
            return save_directory
        self.config.save_pretrained(save_directory)
        save_file(state, str(save_directory / SAFETENSORS_SINGLE_FILE))
        save_processor_files(
            save_directory,
            self.config.input_features,
            self.config.output_features,
            self.config.normalization_mapping,
            self.stats,
            device=str(self.config.device),
        )
        return save_directory

    # ----- loading ----------------------------------------------------------------------------------------
    @classmethod
    def from_pretrained(
        cls: type[P],
        pretrained_name_or_path: str | os.PathLike,
        config: PreTrainedConfig | None = None,
        *,
        revision: str | None = None,
        dataset_stats: dict[str, dict[str, Any]] | None = None,
        **config_overrides: Any,
    ) -> P:
        """Load a policy saved by this package or by lerobot 0.3.2 / 0.4.4 (local folder or Hub repo id).

        `config` replaces config.json; `config_overrides` change fields of the loaded config (e.g.
        `dropout=0.0`); `dataset_stats` win over the stored statistics. Weights load strictly.
        Calling it on `PreTrainedPolicy` itself picks the class from the config's `type`.
        """
        local = Path(pretrained_name_or_path)
        files: dict[str, Path] = {}
        if local.is_dir():
            weights_file = local / SAFETENSORS_SINGLE_FILE
            if not weights_file.is_file():
                raise FileNotFoundError(f"{SAFETENSORS_SINGLE_FILE} not found in {local}.")
        else:
            repo_id = str(pretrained_name_or_path)
            weights_file = download_file(repo_id, SAFETENSORS_SINGLE_FILE, revision=revision)
            files[CONFIG_NAME] = download_file(repo_id, CONFIG_NAME, revision=revision)
            for pipeline in (PREPROCESSOR_NAME, POSTPROCESSOR_NAME):
                path = download_optional_file(repo_id, f"{pipeline}.json", revision=revision)
                if path is not None:
                    files[path.name] = path
                    for step_file in _state_files_named_in(path):
                        files[step_file] = download_file(repo_id, step_file, revision=revision)
            local = weights_file.parent

        if config is None:
            config_source = files.get(CONFIG_NAME, local)
            config_cls = PreTrainedConfig if cls is PreTrainedPolicy else cls.config_class
            config = config_cls.from_pretrained(config_source, **config_overrides)
        elif config_overrides:
            raise ValueError("Pass either `config` or config overrides, not both.")
        config.pretrained_path = str(pretrained_name_or_path)

        policy_cls: type[PreTrainedPolicy] = cls
        if cls is PreTrainedPolicy:
            policy_cls = POLICIES.get_class(config.type)
        elif config.type != cls.name:
            raise ValueError(f"{pretrained_name_or_path} holds a '{config.type}' policy, not '{cls.name}'.")

        # The file holds every weight: do not fetch ImageNet backbone weights only to overwrite them
        # (the reference does, which fails offline).
        backbone_weights = getattr(config, "pretrained_backbone_weights", None)
        if backbone_weights is not None:
            config.pretrained_backbone_weights = None
        try:
            policy = policy_cls(config)
        finally:
            if backbone_weights is not None:
                config.pretrained_backbone_weights = backbone_weights
        loaded = _read_safetensors(weights_file)
        weights, legacy_stats = split_legacy_normalization(
            loaded, config.input_features, config.output_features
        )
        expected = policy.state_dict()
        check_state_dict(expected, weights, str(weights_file))
        policy.load_state_dict(weights, strict=True)

        stats = load_processor_stats(local, files)
        legacy = False
        if stats is None and legacy_stats:
            stats, legacy = legacy_stats, True
        if dataset_stats is not None:
            stats = {**(stats or {}), **stats_to_tensors(dataset_stats)}
        policy.set_stats(stats, legacy=legacy)
        policy.to(config.device)
        policy.eval()
        return policy


def _state_files_named_in(pipeline_json: Path) -> list[str]:
    data = json.loads(Path(pipeline_json).read_text())
    names = [s["state_file"] for s in data.get("steps", []) if isinstance(s, dict) and "state_file" in s]
    for name in names:  # checked before anything is downloaded
        check_state_file_name(name, pipeline_json)
    return names
