"""Feature and normalization types shared by datasets, policies and environments."""

from dataclasses import dataclass
from enum import Enum


class FeatureType(str, Enum):
    STATE = "STATE"
    VISUAL = "VISUAL"
    ENV = "ENV"
    ACTION = "ACTION"
    REWARD = "REWARD"


class NormalizationMode(str, Enum):
    MIN_MAX = "MIN_MAX"
    MEAN_STD = "MEAN_STD"
    IDENTITY = "IDENTITY"
    QUANTILES = "QUANTILES"
    QUANTILE10 = "QUANTILE10"


@dataclass
class PolicyFeature:
    """A feature as a policy sees it: its role and its shape (cameras channel-first: (C, H, W))."""

    # Role of the feature: STATE, VISUAL, ENV, ACTION or REWARD.
    type: FeatureType
    # Shape of one frame of the feature (cameras channel-first: C, H, W).
    shape: tuple[int, ...]


def check_numbers(
    config: object,
    positive: tuple[str, ...] = (),
    non_negative: tuple[str, ...] = (),
    unit_interval: tuple[str, ...] = (),
    flag_prefix: str = "",
) -> None:
    """Validate numeric fields of a config at construction, each error naming the field: every int/float
    field (None allowed) must be a finite number, not a bool or a string; the `positive` ones > 0,
    `non_negative` >= 0 and `unit_interval` in [0, 1] (probabilities, momenta, ratios). Tuples of numbers
    (e.g. `crop_shape`, `down_dims`) listed as `positive` are checked element-wise."""
    import dataclasses
    import math
    import numbers

    declared = (
        {f.name: str(f.type) for f in dataclasses.fields(config)} if dataclasses.is_dataclass(config) else {}
    )
    numeric = [n for n, t in declared.items() if t.split(" | ")[0] in ("int", "float")]

    def bad(name: str, value: object, expected: str) -> ValueError:
        return ValueError(
            f"{flag_prefix}{name} must be {expected}, got {value!r} ({type(config).__name__}.{name})."
        )

    listed = {*positive, *non_negative, *unit_interval}
    for name in dict.fromkeys((*numeric, *positive, *non_negative, *unit_interval)):
        value = getattr(config, name)
        if value is None:
            continue
        values = list(value) if isinstance(value, (tuple, list)) else [value]
        for v in values:
            if isinstance(v, bool) and name not in listed:  # e.g. ACT's `int = False` flag (reference quirk)
                continue
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v):
                raise bad(name, value, "a finite number")
            if name in positive and v <= 0:
                raise bad(name, value, "> 0" if len(values) == 1 else "made of numbers > 0")
            if name in non_negative and v < 0:
                raise bad(name, value, ">= 0")
            if name in unit_interval and not 0 <= v <= 1:
                raise bad(name, value, "in [0, 1]")
