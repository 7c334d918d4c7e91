"""Configs written by other versions: drop the keys this version does not know, with one warning.

A `train_config.json` published by a newer reference (e.g. 0.4.4: `dataset.streaming`, `tolerance_s`,
`peft`, `use_rabc`, `rename_map`, `env.max_parallel_tasks`...) holds fields that this version has no
use for; loading it keeps every known field and lists the dropped ones, as `--policy.path` does for a
policy's config.json. Nested dataclass fields are checked too; choice fields (`policy`, `env`,
`optimizer`, `scheduler`) are checked against the class their `type` names. A few values this version
reads differently are replaced, each with a log line (`VALUE_REPLACEMENTS`).
"""

from __future__ import annotations

import dataclasses
import logging
import types
import typing
from typing import Any

import draccus

logger = logging.getLogger(__name__)


def _dataclass_of(tp) -> type | None:
    """The dataclass of a field annotation (`X`, `X | None`, `Optional[X]`), or None."""
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return tp
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        for cand in typing.get_args(tp):
            if isinstance(cand, type) and dataclasses.is_dataclass(cand):
                return cand
    return None


def _dict_value_dataclass(tp) -> type | None:
    """X of a `dict[str, X]` annotation when X is a dataclass (e.g. image transforms, features)."""
    if typing.get_origin(tp) is dict and len(typing.get_args(tp)) == 2:
        return _dataclass_of(typing.get_args(tp)[1])
    return None


def unknown_keys(config_class: type, data: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted paths of the keys of `data` that are not fields of `config_class` (recursively)."""
    cls = config_class
    if (
        isinstance(cls, type)
        and issubclass(cls, draccus.ChoiceRegistry)
        and isinstance(data.get("type"), str)
    ):
        try:
            cls = cls.get_choice_class(data["type"])
        except (KeyError, ValueError):
            return []  # an unknown type is the parser's error to report, with the known ones
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}
    found = []
    for key, value in data.items():
        if key == "type" and issubclass(cls, draccus.ChoiceRegistry):
            continue
        if key not in fields:
            found.append(prefix + key)
            continue
        sub = _dataclass_of(hints.get(key))
        if sub is not None and isinstance(value, dict):
            found += unknown_keys(sub, value, f"{prefix}{key}.")
        item = _dict_value_dataclass(hints.get(key))
        if item is not None and isinstance(value, dict):
            for name, v in value.items():
                if isinstance(v, dict):
                    found += unknown_keys(item, v, f"{prefix}{key}.{name}.")
    return found


# Values a config file of the reference may hold that this version reads differently: (path, value) ->
# (replacement, why). The reference's default decoder `torchcodec` is not available here; PyAV (the
# default) returns the same frames (lerobot/datasets/video_utils.py).
VALUE_REPLACEMENTS: dict[tuple[str, Any], tuple[Any, str]] = {
    ("dataset.video_backend", "torchcodec"): (
        None,
        "frames are decoded with PyAV, identical to torchcodec's",
    ),
}


def adapt_config(config_class: type, data: dict[str, Any], source: str) -> dict[str, Any]:
    """A config file's dict made loadable by this version: `drop_unknown_keys`, then `VALUE_REPLACEMENTS`
    (each logged). Flags given on the command line are not touched."""
    data = drop_unknown_keys(config_class, data, source)
    for (path, old), (new, why) in VALUE_REPLACEMENTS.items():
        *parents, leaf = path.split(".")
        node = data
        for p in parents:
            node = node.get(p) if isinstance(node, dict) else None
        if isinstance(node, dict) and node.get(leaf) == old:
            data = _deepcopy_dicts(data)
            target = data
            for p in parents:
                target = target[p]
            target[leaf] = new
            logger.info("%s: %s=%r read as %r (%s).", source, path, old, new, why)
    return data


def drop_unknown_keys(config_class: type, data: dict[str, Any], source: str) -> dict[str, Any]:
    """`data` without the keys `config_class` does not know (a new dict); warns once, naming them."""
    dropped = unknown_keys(config_class, data)
    if not dropped:
        return data
    logger.warning(
        "%s: ignoring keys that this version's %s does not have (written by another version): %s",
        source, config_class.__name__, ", ".join(dropped),
    )  # fmt: skip
    out = _deepcopy_dicts(data)
    for path in dropped:
        *parents, leaf = path.split(".")
        node = out
        for p in parents:
            node = node[p]
        del node[leaf]
    return out


def _deepcopy_dicts(value):
    if isinstance(value, dict):
        return {k: _deepcopy_dicts(v) for k, v in value.items()}
    return value
