"""`PreTrainedConfig`: the registry of policy configs (docs/checkpoints.md).

Contract for policy authors (ACT, Diffusion, TD-MPC, VQ-BeT, ...):

- Subclass as a dataclass and register it by its `type` name, in
  `lerobot/policies/<name>/configuration_<name>.py`, with one line in the `POLICIES` table of
  lerobot/registry.py, which imports that module on demand (docs/contributing.md)::

      @PreTrainedConfig.register_subclass("act")
      @dataclass
      class ACTConfig(PreTrainedConfig):
          chunk_size: int = 100
          ...

- Every field needs a default and a docstring-style comment; validate in `__post_init__` (call
  `super().__post_init__()` first) and raise `ValueError` with a message that teaches.
- Override the properties `observation_delta_indices`, `action_delta_indices`, `reward_delta_indices`
  (a list of frame offsets or None) and the methods `get_optimizer_preset()`, `get_scheduler_preset()`,
  `validate_features()` (called once the features are known, e.g. by `make_policy`).

`config.json` (either era) is read by `PreTrainedConfig.from_pretrained(dir | hub_id, **overrides)`:
the class is chosen by the `type` key, keys that are not fields are ignored with a warning naming them,
missing keys take their defaults. `save_pretrained(dir)` writes the reference's JSON layout
(`type` first, enums by name, tuples as lists, indent 4).

This module does not import torch (importing configs stays cheap); the device check imports it lazily.
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import json
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import draccus

from lerobot.configs.types import FeatureType, NormalizationMode, PolicyFeature, check_numbers
from lerobot.registry import POLICIES, RegisteredChoice, Registry
from lerobot.utils.constants import ACTION, CONFIG_NAME, OBS_STATE

logger = logging.getLogger(__name__)

T = TypeVar("T", bound="PreTrainedConfig")


def resolve_device(device: str | None) -> str:
    """Return `device` if it is usable here, else the best available one (cuda -> mps -> cpu), with a log."""
    import torch

    def available(dev: str) -> bool:
        kind = dev.split(":")[0]
        if kind == "cuda":
            return torch.cuda.is_available()
        if kind == "mps":
            return hasattr(torch.backends, "mps") and torch.backends.mps.is_available()
        return kind == "cpu"

    if device is not None and available(device):
        return device
    chosen = "cuda" if torch.cuda.is_available() else "mps" if available("mps") else "cpu"
    if device is not None:
        logger.warning("Device '%s' is not available here; using '%s' instead.", device, chosen)
    return chosen


def _to_json(value: Any) -> Any:
    """Config value -> JSON value the way the reference dumps it (enums by name, tuples as lists)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, PolicyFeature):
        return {"type": _to_json(value.type), "shape": list(value.shape)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(_to_json(k)): _to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_json(v) for v in value]
    return value


def _resolve_config_file(pretrained_name_or_path: str | Path, revision: str | None = None) -> Path:
    """Local dir / local config.json / Hub repo id -> path of a local `config.json`."""
    path = Path(pretrained_name_or_path)
    if path.is_dir():
        file = path / CONFIG_NAME
        if not file.is_file():
            raise FileNotFoundError(
                f"{CONFIG_NAME} not found in {path}: a pretrained policy folder holds config.json, "
                "model.safetensors (and the policy_preprocessor/postprocessor files)."
            )
        return file
    if path.is_file():
        return path
    from lerobot.policies.utils import download_file

    return download_file(str(pretrained_name_or_path), CONFIG_NAME, revision=revision)


@dataclass
class PreTrainedConfig(RegisteredChoice, draccus.ChoiceRegistry):
    """Base of every policy config; selected on the command line by `--policy.type=<name>`."""

    type_registry: ClassVar[Registry] = POLICIES

    # Number of observation frames the policy sees per step (current frame included).
    n_obs_steps: int = 1
    # FeatureType name ("VISUAL", "STATE", "ENV", "ACTION") -> NormalizationMode; a missing type means IDENTITY.
    normalization_mapping: dict[str, NormalizationMode] = field(default_factory=dict)
    # Policy inputs {key: {type, shape}}, filled from the dataset or env features by `make_policy`.
    input_features: dict[str, PolicyFeature] = field(default_factory=dict)
    # Policy outputs {key: {type, shape}} (the `action` feature).
    output_features: dict[str, PolicyFeature] = field(default_factory=dict)
    # Torch device ("cuda", "mps", "cpu"); an unavailable device falls back to the best available one.
    device: str | None = None
    # Automatic mixed precision during training/evaluation.
    use_amp: bool = False
    # Parameter-efficient fine-tuning (accepted for config compatibility with lerobot 0.4.3+; unused here).
    use_peft: bool = False
    # Upload the checkpoint to the Hub at the end of training (needs `repo_id`).
    push_to_hub: bool = True
    # Hub repository id to push to, e.g. "user/act_pusht".
    repo_id: str | None = None
    # Create the Hub repository as private.
    private: bool | None = None
    # Tags for the model card.
    tags: list[str] | None = None
    # License for the model card.
    license: str | None = None
    # Where the weights were loaded from (set by `--policy.path` / `make_policy`); None = from scratch.
    pretrained_path: str | None = None

    # Numeric fields checked at construction by `check_numbers` (each subclass lists its own): > 0, >= 0,
    # in [0, 1]. Every other int/float field must still be a finite number.
    positive_fields: ClassVar[tuple[str, ...]] = ()
    non_negative_fields: ClassVar[tuple[str, ...]] = ()
    unit_interval_fields: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        if self.n_obs_steps < 1:
            raise ValueError(f"n_obs_steps must be >= 1 (the current frame counts), got {self.n_obs_steps}.")
        check_numbers(
            self,
            positive=self.positive_fields,
            non_negative=self.non_negative_fields,
            unit_interval=self.unit_interval_fields,
        )
        mapping = {}
        for key, mode in dict(self.normalization_mapping).items():
            key = key.value if isinstance(key, FeatureType) else str(key)
            if key not in FeatureType.__members__:
                raise ValueError(
                    f"normalization_mapping key '{key}' is not a feature type; expected one of "
                    f"{list(FeatureType.__members__)}."
                )
            try:
                mapping[key] = NormalizationMode(mode.value if isinstance(mode, enum.Enum) else mode)
            except ValueError:
                raise ValueError(
                    f"normalization_mapping['{key}'] = {mode!r} is not a normalization mode; expected one "
                    f"of {[m.value for m in NormalizationMode]}."
                ) from None
        self.normalization_mapping = mapping
        self.input_features = self._coerce_features(self.input_features, "input_features")
        self.output_features = self._coerce_features(self.output_features, "output_features")
        self.device = resolve_device(self.device)

    @staticmethod
    def _coerce_features(features: dict, name: str) -> dict[str, PolicyFeature]:
        out = {}
        for key, ft in dict(features or {}).items():
            if isinstance(ft, PolicyFeature):
                out[key] = PolicyFeature(type=FeatureType(ft.type), shape=tuple(ft.shape))
            elif isinstance(ft, dict) and "type" in ft and "shape" in ft:
                out[key] = PolicyFeature(type=FeatureType(ft["type"]), shape=tuple(ft["shape"]))
            else:
                raise ValueError(
                    f"{name}['{key}'] must be a PolicyFeature or a dict with 'type' and 'shape', got {ft!r}."
                )
        return out

    # ----- registry -----------------------------------------------------------------------------------
    @property
    def type(self) -> str:
        """Registry name of this config class (the `type` key of config.json)."""
        return self.get_choice_name(self.__class__)

    @classmethod
    def get_config_class(cls, policy_type: str) -> type[PreTrainedConfig]:
        """Config class registered as `policy_type` (lerobot/registry.py imports its module on demand); a
        ValueError listing the known types, with a did-you-mean, for an unknown one."""
        return PreTrainedConfig.get_choice_class(policy_type)

    @classmethod
    def known_types(cls) -> list[str]:
        """Every registered policy type (nothing imported)."""
        return POLICIES.names()

    # ----- time windows (the dataset turns them into delta_timestamps with its fps) --------------------
    @property
    def observation_delta_indices(self) -> list[int] | None:
        """Frame offsets of the observations used per training sample (None = current frame only)."""
        return None

    @property
    def action_delta_indices(self) -> list[int] | None:
        """Frame offsets of the actions used per training sample (None = current action only)."""
        return None

    @property
    def reward_delta_indices(self) -> list[int] | None:
        """Frame offsets of the rewards used per training sample (None = no reward)."""
        return None

    # ----- training presets -----------------------------------------------------------------------------
    def get_optimizer_preset(self):
        """The optimizer config this policy trains with by default (a `lerobot.optim.OptimizerConfig`)."""
        raise NotImplementedError(f"{type(self).__name__} must define get_optimizer_preset().")

    def get_scheduler_preset(self):
        """The LR scheduler config this policy trains with by default, or None."""
        return None

    def unusable_input_features(self, features: dict[str, PolicyFeature]) -> list[str]:
        """Keys among `features` (a dataset's or env's) that this policy cannot take as inputs. `make_policy`
        leaves them out, saying which, when it derives the input features itself; listed explicitly in
        `input_features` they stay an error of `validate_features`."""
        return []

    def validate_features(self) -> None:
        """Check the input/output features once they are set (override to add policy-specific checks)."""
        if not self.output_features:
            return
        if self.action_feature is None:
            raise ValueError(
                f"The {self.type} policy needs an output feature '{ACTION}' of type ACTION; got output "
                f"features {list(self.output_features)}."
            )

    # ----- feature lookup ---------------------------------------------------------------
    @property
    def robot_state_feature(self) -> PolicyFeature | None:
        """The STATE input whose key is exactly `observation.state`, if any."""
        ft = self.input_features.get(OBS_STATE)
        return ft if ft is not None and ft.type is FeatureType.STATE else None

    @property
    def env_state_feature(self) -> PolicyFeature | None:
        """The first ENV input (`observation.environment_state`), if any."""
        return next((ft for ft in self.input_features.values() if ft.type is FeatureType.ENV), None)

    @property
    def env_state_key(self) -> str | None:
        """Key of the first ENV input (normally `observation.environment_state`), if any."""
        return next((k for k, ft in self.input_features.items() if ft.type is FeatureType.ENV), None)

    @property
    def image_features(self) -> dict[str, PolicyFeature]:
        """VISUAL inputs in the order of `input_features` (the camera order of the network)."""
        return {k: ft for k, ft in self.input_features.items() if ft.type is FeatureType.VISUAL}

    @property
    def action_feature(self) -> PolicyFeature | None:
        """The ACTION output whose key is exactly `action`, if any."""
        ft = self.output_features.get(ACTION)
        return ft if ft is not None and ft.type is FeatureType.ACTION else None

    # ----- config.json ----------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The config.json content: `type` first, then every field in declaration order."""
        out: dict[str, Any] = {"type": self.type}
        for f in dataclasses.fields(self):
            out[f.name] = _to_json(getattr(self, f.name))
        return out

    def save_pretrained(self, save_directory: str | Path) -> Path:
        """Write `config.json` into `save_directory` (created if needed); returns the file path."""
        save_directory = Path(save_directory)
        save_directory.mkdir(parents=True, exist_ok=True)
        path = save_directory / CONFIG_NAME
        path.write_text(json.dumps(self.to_dict(), indent=4) + "\n")
        return path

    @classmethod
    def from_dict(cls: type[T], data: dict[str, Any], source: str = "config", **overrides: Any) -> T:
        """Build the registered config named by `data['type']` (or `cls` when it is a concrete subclass)."""
        data = dict(data)
        policy_type = data.pop("type", None)
        if policy_type is None:
            if cls is PreTrainedConfig:
                raise ValueError(
                    f"{source} has no 'type' key: it must name the policy, one of {cls.known_types()}."
                )
            config_cls = cls
        else:
            config_cls = PreTrainedConfig.get_config_class(policy_type)
            if cls is not PreTrainedConfig and not issubclass(config_cls, cls):
                raise ValueError(f"{source} describes a '{policy_type}' policy, not a {cls.__name__}.")
        field_names = [f.name for f in dataclasses.fields(config_cls) if f.init]
        unknown = sorted(set(data) - set(field_names))
        if unknown:
            logger.warning(
                "%s: ignoring keys that are not %s fields: %s", source, config_cls.__name__, unknown
            )
            for key in unknown:
                data.pop(key)
        for key, value in overrides.items():
            if key not in field_names:
                close = difflib.get_close_matches(key, field_names, n=1)
                hint = f" Did you mean '{close[0]}'?" if close else ""
                raise ValueError(f"'{key}' is not a field of {config_cls.__name__}.{hint}")
            data[key] = _to_json(value)
        try:
            return draccus.decode(config_cls, data)
        except draccus.ParsingError as e:
            cause = e.__cause__ or e.__context__
            while isinstance(cause, draccus.ParsingError) and (cause.__cause__ or cause.__context__):
                cause = cause.__cause__ or cause.__context__
            match = re.match(r"`([\w.]+)`: ", str(e))
            if match:  # a known field with a value of the wrong type: name it, its value and its type
                path = match.group(1)
                top = path.split(".")[0]
                declared = next((f.type for f in dataclasses.fields(config_cls) if f.name == top), "?")
                value = data.get(top)
                raise ValueError(
                    f"{source}: field '{path}' has a value of the wrong type ({value!r}); {config_cls.__name__}."
                    f"{top} is declared as {declared}. Fix or remove that key ({cause or e})."
                ) from e
            detail = f"{e} {cause}" if cause is not None else str(e)
            raise ValueError(f"{source}: cannot parse as {config_cls.__name__}: {detail}") from e

    @classmethod
    def from_pretrained(
        cls: type[T], pretrained_name_or_path: str | os.PathLike, *, revision: str | None = None, **overrides
    ) -> T:
        """Load `config.json` from a local folder, a json file or a Hub repo id; `overrides` replace fields."""
        file = _resolve_config_file(pretrained_name_or_path, revision=revision)
        try:
            data = json.loads(Path(file).read_text())
        except json.JSONDecodeError as e:
            raise ValueError(f"{file} is not valid JSON: {e}") from e
        if not isinstance(data, dict):
            raise ValueError(f"{file} must hold a JSON object, got {type(data).__name__}.")
        return cls.from_dict(data, source=str(file), **overrides)
