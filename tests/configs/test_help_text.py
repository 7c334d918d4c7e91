"""`--help` of every command documents every field: each dataclass field reachable from a command's config
(choice types followed into every registered subclass) has the comment draccus shows as its help text, and
every option of the argparse commands has a help string."""

from __future__ import annotations

import dataclasses
import typing

import draccus
import pytest
from draccus.wrappers.docstring import get_attribute_docstring, get_preferred_help_text

from lerobot.configs.parser import import_builtin_policy_configs, parse
from lerobot.utils.cli import ArgumentParser


def _config_classes(tp: typing.Any) -> list[type]:
    """Dataclasses a field of type `tp` can hold (every registered choice of a choice registry)."""
    out: list[type] = []
    for t in typing.get_args(tp) or (tp,):
        if isinstance(t, type) and issubclass(t, draccus.ChoiceRegistry):
            out += list(t.get_known_choices().values())
        elif isinstance(t, type) and dataclasses.is_dataclass(t):
            out.append(t)
        elif typing.get_args(t) and t is not tp:
            out += _config_classes(t)
    return out


def undocumented_fields(root: type) -> list[str]:
    missing, seen, todo = [], set(), [root]
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.add(cls)
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            if not f.init:
                continue
            tp = hints.get(f.name)
            group = (
                isinstance(tp, type)
                and dataclasses.is_dataclass(tp)
                and not issubclass(tp, draccus.ChoiceRegistry)
            )
            text = get_preferred_help_text(get_attribute_docstring(cls, f.name), "above")
            if not group and not (text and text.strip()):
                missing.append(f"{cls.__module__}.{cls.__qualname__}.{f.name}")
            todo += _config_classes(tp)
    return missing


def command_configs() -> dict[str, type]:
    from lerobot.configs.eval import EvalPipelineConfig
    from lerobot.configs.train import TrainPipelineConfig
    from lerobot.scripts.control_robot import ControlPipelineConfig
    from lerobot.scripts.lerobot_calibrate import CalibrateConfig
    from lerobot.scripts.lerobot_edit_dataset import EditDatasetConfig
    from lerobot.scripts.lerobot_record import RecordConfig
    from lerobot.scripts.lerobot_replay import ReplayConfig
    from lerobot.scripts.lerobot_setup_motors import SetupConfig
    from lerobot.scripts.lerobot_teleoperate import TeleoperateConfig

    import_builtin_policy_configs()
    return {
        "lerobot-train": TrainPipelineConfig, "lerobot-eval": EvalPipelineConfig, "lerobot-record": RecordConfig,
        "lerobot-replay": ReplayConfig, "lerobot-teleoperate": TeleoperateConfig,
        "lerobot-calibrate": CalibrateConfig, "lerobot-setup-motors": SetupConfig,
        "control_robot.py": ControlPipelineConfig, "lerobot-edit-dataset": EditDatasetConfig,
    }  # fmt: skip


@pytest.mark.parametrize("command", list(command_configs()))
def test_every_field_has_help_text(command):
    assert undocumented_fields(command_configs()[command]) == []


def test_the_check_catches_a_field_without_comment():
    @dataclasses.dataclass
    class Documented:
        # Frames per second.
        fps: int = 30
        width: int = 640

    assert undocumented_fields(Documented) == [f"{__name__}.{Documented.__qualname__}.width"]


def test_control_robot_help_shows_the_fields_it_used_to_leave_blank(capsys):
    from lerobot.scripts.control_robot import ControlPipelineConfig

    with pytest.raises(SystemExit):
        parse(ControlPipelineConfig, ["--robot.type=so100", "--control.type=record", "--help"])
    flat = " ".join(capsys.readouterr().out.split())
    for flag, text in (
        ("--robot.leader_arms", "Leader arms: name -> serial port"),
        ("--robot.cameras", "Cameras: name -> camera config"),
        ("--control.repo_id", "Dataset name"),
        ("--control.num_episodes", "Number of episodes to record."),
    ):
        assert f"{flag} " in flat and text in flat, flag


ARGPARSE_COMMANDS = {
    "lerobot-dataset-viz": "lerobot.scripts.visualize_dataset",
    "lerobot-find-cameras": "lerobot.cameras.utils",
    "lerobot-find-port": "lerobot.scripts.lerobot_find_port",
    "demo": "lerobot.scripts.demo",
    "sim_bus": "lerobot.motors.sim_bus",
    "convert": "lerobot.datasets.convert",
    "lerobot-dataset-viz-html": "lerobot.scripts.visualize_dataset_html",
    "push_dataset_to_hub": "lerobot.scripts.push_dataset_to_hub",
    "lerobot-dataset-check": "lerobot.scripts.lerobot_dataset_check",
}


def test_every_command_is_checked_here():
    """A new console script or lerobot/scripts/*.py must join one of the two lists above."""
    from pathlib import Path

    import tomllib

    repo = Path(__file__).resolve().parents[2]
    entries = tomllib.loads((repo / "pyproject.toml").read_text())["project"]["scripts"].values()
    modules = {e.split(":")[0] for e in entries}
    modules |= {f"lerobot.scripts.{p.stem}" for p in (repo / "lerobot" / "scripts").glob("*.py")} - {
        "lerobot.scripts.__init__"
    }
    checked = set(ARGPARSE_COMMANDS.values()) | {
        "lerobot.scripts.train", "lerobot.scripts.eval", "lerobot.scripts.lerobot_record",
        "lerobot.scripts.lerobot_replay", "lerobot.scripts.lerobot_teleoperate",
        "lerobot.scripts.lerobot_calibrate", "lerobot.scripts.lerobot_setup_motors",
        "lerobot.scripts.control_robot", "lerobot.scripts.lerobot_edit_dataset",
        "lerobot.scripts.lerobot_info",  # takes no option (tests/scripts/test_cli_errors.py)
    }  # fmt: skip
    assert modules - checked == set()


@pytest.mark.parametrize("command", list(ARGPARSE_COMMANDS))
def test_every_argparse_option_has_help(command, monkeypatch):
    import importlib

    parsers = []

    def capture(self, args=None, namespace=None):
        parsers.append(self)
        raise SystemExit(0)

    monkeypatch.setattr(ArgumentParser, "parse_known_args", capture)
    with pytest.raises(SystemExit):
        importlib.import_module(ARGPARSE_COMMANDS[command]).main([])
    (parser,) = parsers
    undocumented = [a.dest for a in parser._actions if not a.help or not a.help.strip()]
    assert undocumented == []
