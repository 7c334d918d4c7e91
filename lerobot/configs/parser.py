"""The one module that talks to draccus: command-line parsing of dataclass configs (docs/cli.md).

    cfg = parse(TrainPipelineConfig)                  # sys.argv[1:]
    cfg = parse(EvalConfig, ["--policy.path=outputs/train/act/checkpoints/last/pretrained_model",
                             "--policy.n_action_steps=10", "--eval.n_episodes=2"])

- Dotted overrides `--a.b.c=value`; booleans `true/false`; lists/dicts in YAML syntax.
- Choice-registry fields (`policy`, `env`, `optimizer`, ...) are selected with `--<field>.type=<name>`;
  every registered type is importable by name (lerobot/registry.py), so `--policy.type=act` works without
  imports; `--<field>.discover_packages_path=<package>` imports a plugin package that registers more.
- `--<field>.path=<dir | config.json | hub id>` (for fields holding a `PreTrainedConfig`, mutually
  exclusive with `--<field>.type`) loads that config.json (unknown keys ignored with a warning), applies
  the remaining `--<field>.*` flags as overrides and sets `<field>.pretrained_path`. Nested fields work
  too, through the type a choice flag selects: `--control.type=record --control.policy.path=...`.
- `--config_path=<json/yaml file | dir | hub id>` loads a whole config (a dir or Hub repo must hold
  `train_config.json`); further flags override it.
- `--help` prints every field with the comment written above it in the dataclass.
- Errors are one-line exceptions naming the flag (`UsageError`, a ValueError): an unknown flag with a
  did-you-mean instead of draccus' usage dump, `--<field>: Couldn't parse 'abc' into an int`, missing
  required flags, or the config's own `__post_init__` message; lerobot/utils/cli.py prints them.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import importlib
import json
import logging
import re
import sys
import tempfile
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import draccus
import draccus.argparsing
import draccus.utils

from lerobot.configs.policies import PreTrainedConfig, _resolve_config_file
from lerobot.utils.cli import UsageError, one_line, unknown_flags_message
from lerobot.utils.constants import TRAIN_CONFIG_NAME

logger = logging.getLogger(__name__)

T = TypeVar("T")


def import_builtin_policy_configs() -> None:
    """Import every registered policy config (only the configuration modules, no torch)."""
    PreTrainedConfig.get_known_choices()


def import_plugin_packages(args: list[str]) -> list[str]:
    """Pop every `--<field>.discover_packages_path=<package>` flag from `args` and import that package, so
    that the types it registers (lerobot/registry.py) can be chosen; returns the remaining args."""
    out = []
    for arg in args:
        flag, sep, value = arg.partition("=")
        if flag.startswith("--") and flag.split(".")[-1] == "discover_packages_path":
            if not sep or not value:
                raise UsageError(f"{flag} needs a value: the importable name of a plugin package.")
            try:
                importlib.import_module(value)
            except ImportError as e:
                raise UsageError(
                    f"{flag}: cannot import '{value}' ({e}); is the package installed?"
                ) from None
            continue
        out.append(arg)
    return out


def pop_arg(args: list[str], name: str) -> tuple[str | None, list[str]]:
    """Remove `--name=value` / `--name value` from `args`; returns (value or None, remaining args)."""
    flag = f"--{name}"
    out, value, i = [], None, 0
    while i < len(args):
        arg = args[i]
        if arg.startswith(flag + "="):
            value = arg[len(flag) + 1 :]
        elif arg == flag:
            if i + 1 >= len(args):
                raise ValueError(f"{flag} needs a value.")
            value = args[i + 1]
            i += 1
        else:
            out.append(arg)
        i += 1
    return value, out


def _holds_policy_config(tp: Any) -> bool:
    registry = _choice_registry(tp)
    return registry is not None and issubclass(registry, PreTrainedConfig)


def _policy_fields(config_class: type, args: Sequence[str], prefix: str = "") -> list[str]:
    """Dotted names of the fields holding a policy config, nested ones included (`control.policy` of
    `control_robot.py`): a choice field is followed into the subclass its `--<name>.type` flag picks."""
    if not dataclasses.is_dataclass(config_class):
        return []
    hints = typing.get_type_hints(config_class)
    names = []
    for f in dataclasses.fields(config_class):
        tp, name = hints.get(f.name), prefix + f.name
        if _holds_policy_config(tp):
            names.append(name)
            continue
        registry = _choice_registry(tp)
        if registry is not None:
            chosen, _ = pop_arg(list(args), f"{name}.type")
            sub = registry.get_choice_class(chosen) if chosen in registry.get_known_choices() else None
        else:
            sub = next((t for t in (tp, *typing.get_args(tp)) if dataclasses.is_dataclass(t)), None)
        if isinstance(sub, type):
            names += _policy_fields(sub, args, name + ".")
    return names


def _choice_registry(tp: Any) -> type[draccus.ChoiceRegistry] | None:
    if isinstance(tp, type):
        return tp if issubclass(tp, draccus.ChoiceRegistry) else None
    for arg in typing.get_args(tp):
        registry = _choice_registry(arg)
        if registry is not None:
            return registry
    return None


def check_choice_types(config_class: type, args: Sequence[str]) -> None:
    """A one-line error for `--<field>.type=<name>` naming an unregistered type (argparse would print
    its whole usage text first)."""
    if not dataclasses.is_dataclass(config_class):
        return
    hints = typing.get_type_hints(config_class)
    for field in dataclasses.fields(config_class):
        registry = _choice_registry(hints.get(field.name))
        if registry is None:
            continue
        value, _ = pop_arg(list(args), f"{field.name}.type")
        known = sorted(registry.get_known_choices())
        if value is None or value in known:
            continue
        close = difflib.get_close_matches(value, known, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise ValueError(
            f"--{field.name}.type: unknown type '{value}'; choose one of: {', '.join(known)}.{hint}"
        )


def _load_config_file(source: str) -> dict[str, Any]:
    path = Path(source)
    if path.is_dir():
        path = path / TRAIN_CONFIG_NAME
    elif not path.is_file():
        from lerobot.policies.utils import download_file

        path = download_file(source, TRAIN_CONFIG_NAME)
    if not path.is_file():
        raise FileNotFoundError(f"--config_path: {path} does not exist.")
    text = path.read_text()
    if path.suffix in (".yaml", ".yml"):
        import yaml

        data = yaml.safe_load(text)
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"--config_path: {path} is not valid JSON: {e}") from e
    if not isinstance(data, dict):
        raise ValueError(f"--config_path: {path} must hold a mapping of config fields.")
    return data


def load_pretrained_config_dict(source: str, flag: str) -> dict[str, Any]:
    """config.json of a pretrained policy as a dict of known fields (unknown keys dropped with a warning)."""
    file = _resolve_config_file(source)
    try:
        data = json.loads(Path(file).read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"{flag}: {file} is not valid JSON: {e}") from e
    if not isinstance(data, dict) or "type" not in data:
        raise ValueError(f"{flag}: {file} must be a policy config.json with a 'type' key.")
    config_cls = PreTrainedConfig.get_config_class(data["type"])
    known = {f.name for f in dataclasses.fields(config_cls)}
    unknown = sorted(set(data) - known - {"type"})
    if unknown:
        logger.warning("%s: ignoring keys that are not %s fields: %s", file, config_cls.__name__, unknown)
    return {k: v for k, v in data.items() if k not in unknown}


def _draccus_parse(config_class: type[T], args: list[str], config_path: Path | None) -> T:
    """draccus without its argparse exits: an unknown flag becomes a one-line `UsageError` with a
    did-you-mean instead of the whole usage text (which only --help prints)."""
    parser = draccus.argparsing.ArgumentParser(
        config_class, config_path=config_path, exit_on_error=False, preferred_help="above"
    )
    known = [o for o in parser.parser._option_string_actions if o.startswith("--")]
    try:
        return parser.parse_args(args)
    except argparse.ArgumentError as e:  # `--steps` without a value, ...
        raise UsageError(str(e)) from None
    except draccus.ParsingError:
        raise
    except draccus.utils.DraccusException as e:
        prefix = "unrecognized arguments: "
        if str(e).startswith(prefix):
            unknown = str(e)[len(prefix) :].split()
            raise UsageError(unknown_flags_message(unknown, known)) from None
        raise UsageError(str(e)) from e


_DRACCUS_FIELD = re.compile(r"^`([\w.]+)`: (.*)$", re.S)


def _parsing_error(e: draccus.ParsingError) -> Exception:
    """A draccus decoding error as one exception naming the flag: the config's own validation message
    (raised in `__post_init__`), or `--<field>: Couldn't parse 'abc' into an int`."""
    chain = _chain(e)
    root = chain[-1]
    if not isinstance(root, draccus.ParsingError) and len(chain) > 1:
        match = _DRACCUS_FIELD.match(one_line(str(chain[-2])))
        if match:  # a value that does not decode into the field's type
            parts = match.group(1).split(".")
            items = [p for p in parts if p.isdigit()]
            flag = ".".join(p for p in parts if not p.isdigit())
            where = f" (item {', '.join(items)})" if items else ""
            return UsageError(f"--{flag}{where}: {match.group(2)} ({one_line(str(root))})")
        if isinstance(root, (ValueError, KeyError, TypeError)):  # the config's own validation
            return root if isinstance(root, ValueError) else ValueError(one_line(str(root)))
        return root
    for x in reversed(chain):
        text = one_line(str(x))
        match = _DRACCUS_FIELD.match(text)
        missing = _MISSING_FIELDS.search(match.group(2) if match else text)
        if missing:  # `dataset`: Missing required field(s) `repo_id`, `single_task` for DatasetRecordConfig
            prefix = f"{match.group(1)}." if match else ""
            flags = [f"--{prefix}{name}" for name in re.findall(r"`(\w+)`", missing.group(1))]
            return UsageError(
                f"missing required flag(s) {', '.join(flags)} ({missing.group(2)}); --help describes them"
            )
        if match:
            return UsageError(f"--{match.group(1)}: {match.group(2)}")
    return UsageError(one_line(str(root)))


_MISSING_FIELDS = re.compile(r"Missing required field\(s\) (.+?) for (\w+)")


def _chain(e: BaseException) -> list[BaseException]:
    out, seen = [e], {id(e)}
    while (e.__cause__ or e.__context__) is not None and id(e.__cause__ or e.__context__) not in seen:
        e = e.__cause__ or e.__context__
        seen.add(id(e))
        out.append(e)
    return out


def parse(config_class: type[T], args: Sequence[str] | None = None) -> T:
    """Parse `args` (default `sys.argv[1:]`) into `config_class`; see the module docstring."""
    args = import_plugin_packages(list(sys.argv[1:] if args is None else args))
    check_choice_types(config_class, args)
    config_path, args = pop_arg(args, "config_path")
    base: dict[str, Any] = _load_config_file(config_path) if config_path else {}
    if base and dataclasses.is_dataclass(config_class):
        from lerobot.configs.compat import adapt_config

        base = adapt_config(config_class, base, f"--config_path={config_path}")
    pretrained: dict[str, str] = {}
    for name in _policy_fields(config_class, args):
        path, args = pop_arg(args, f"{name}.path")
        if path is None:
            continue
        if any(a == f"--{name}.type" or a.startswith(f"--{name}.type=") for a in args):
            raise ValueError(
                f"--{name}.path and --{name}.type are mutually exclusive: the type comes from the path."
            )
        *parents, leaf = name.split(".")
        node = base
        for i, parent in enumerate(parents):  # a choice parent keeps the type its flag gives
            chosen, _ = pop_arg(list(args), ".".join(parents[: i + 1]) + ".type")
            node = node.setdefault(parent, {} if chosen is None else {"type": chosen})
        node[leaf] = load_pretrained_config_dict(path, f"--{name}.path")
        pretrained[name] = path
    try:
        if base:
            with tempfile.TemporaryDirectory() as tmp:
                file = Path(tmp) / "config.json"
                file.write_text(json.dumps(base))
                cfg = _draccus_parse(config_class, args, file)
        else:
            cfg = _draccus_parse(config_class, args, None)
    except draccus.ParsingError as e:
        raise _parsing_error(e) from e
    for name, path in pretrained.items():
        node = cfg
        for part in name.split("."):
            node = getattr(node, part)
        node.pretrained_path = str(path)
    return cfg
