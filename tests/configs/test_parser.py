"""`lerobot.configs.parser.parse`: dotted overrides, `--policy.type`, `--policy.path`, `--config_path`,
help text from field comments."""

import json
from dataclasses import dataclass, field

import draccus
import pytest

from lerobot.configs.parser import parse, pop_arg
from lerobot.configs.policies import PreTrainedConfig


@dataclass
class EvalLike:
    # The policy to run.
    policy: PreTrainedConfig | None = None
    # Number of episodes to roll out.
    n_episodes: int = 1
    # Where to write the videos.
    output_dir: str = "outputs"


def test_policy_type_and_dotted_overrides():
    cfg = parse(
        EvalLike,
        ["--policy.type=act", "--policy.chunk_size=20", "--policy.n_action_steps=10", "--n_episodes=3"],
    )
    assert cfg.policy.type == "act"
    assert (cfg.policy.chunk_size, cfg.policy.n_action_steps, cfg.n_episodes) == (20, 10, 3)
    assert cfg.policy.pretrained_path is None


def test_policy_validation_error_reaches_the_user():
    with pytest.raises(ValueError, match="cannot exceed chunk_size"):
        parse(EvalLike, ["--policy.type=act", "--policy.n_action_steps=200"])


def test_policy_path_loads_config_then_applies_overrides(tmp_path):
    data = {
        "type": "act",
        "chunk_size": 12,
        "n_action_steps": 12,
        "dim_model": 64,
        "n_heads": 4,
        "device": "cpu",
        "a_field_from_a_newer_release": True,
        "input_features": {"observation.environment_state": {"type": "ENV", "shape": [16]}},
        "output_features": {"action": {"type": "ACTION", "shape": [2]}},
    }
    (tmp_path / "config.json").write_text(json.dumps(data))
    cfg = parse(EvalLike, [f"--policy.path={tmp_path}", "--policy.n_action_steps=4", "--output_dir=x"])
    assert cfg.policy.type == "act" and cfg.policy.chunk_size == 12 and cfg.policy.n_action_steps == 4
    assert cfg.policy.dim_model == 64 and cfg.output_dir == "x"
    assert cfg.policy.pretrained_path == str(tmp_path)
    assert list(cfg.policy.input_features) == ["observation.environment_state"]
    with pytest.raises(ValueError, match="mutually exclusive"):
        parse(EvalLike, [f"--policy.path={tmp_path}", "--policy.type=act"])


@dataclass
class Control(draccus.ChoiceRegistry):
    pass


@Control.register_subclass("run")
@dataclass
class RunControl(Control):
    policy: PreTrainedConfig | None = None
    fps: int = 30


@Control.register_subclass("idle")
@dataclass
class IdleControl(Control):
    fps: int = 30


@dataclass
class Inner:
    policy: PreTrainedConfig | None = None


@dataclass
class ControlLike:
    control: Control
    inner: Inner = field(default_factory=Inner)


def test_nested_policy_path_through_a_choice_and_a_plain_dataclass(tmp_path):
    """`control_robot.py --control.type=record --control.policy.path=...` (the v2.1 flag)."""
    data = {"type": "act", "chunk_size": 12, "n_action_steps": 12, "device": "cpu"}
    (tmp_path / "config.json").write_text(json.dumps(data))
    args = ["--control.type=run", f"--control.policy.path={tmp_path}", "--control.policy.n_action_steps=3"]
    cfg = parse(ControlLike, [*args, "--control.fps=10"])
    assert isinstance(cfg.control, RunControl) and cfg.control.fps == 10
    assert cfg.control.policy.type == "act" and cfg.control.policy.chunk_size == 12
    assert cfg.control.policy.n_action_steps == 3 and cfg.control.policy.pretrained_path == str(tmp_path)
    assert cfg.inner.policy is None
    cfg = parse(ControlLike, ["--control.type=idle", f"--inner.policy.path={tmp_path}"])
    assert cfg.inner.policy.chunk_size == 12 and cfg.inner.policy.pretrained_path == str(tmp_path)
    with pytest.raises(ValueError, match="mutually exclusive"):
        parse(ControlLike, [*args, "--control.policy.type=act"])


def test_config_path_then_overrides(tmp_path):
    file = tmp_path / "train_config.json"
    file.write_text(
        json.dumps({"policy": {"type": "act", "chunk_size": 8, "n_action_steps": 8}, "n_episodes": 5})
    )
    cfg = parse(EvalLike, [f"--config_path={file}", "--n_episodes=2"])
    assert cfg.policy.chunk_size == 8 and cfg.n_episodes == 2
    cfg = parse(EvalLike, ["--config_path", str(tmp_path)])
    assert cfg.n_episodes == 5


def test_help_shows_field_comments(capsys):
    with pytest.raises(SystemExit):
        parse(EvalLike, ["--help"])
    out = capsys.readouterr().out
    assert "Number of episodes to roll out." in out
    assert "--policy.type" in out and "act" in out


def test_pop_arg():
    assert pop_arg(["--a=1", "--b", "2", "--c=3"], "b") == ("2", ["--a=1", "--c=3"])
    assert pop_arg(["--a=1"], "b") == (None, ["--a=1"])
    with pytest.raises(ValueError, match="needs a value"):
        pop_arg(["--b"], "b")


def test_unknown_choice_type_names_the_flag_and_the_choices():
    with pytest.raises(
        ValueError, match=r"--policy.type: unknown type 'vqbett'.*tdmpc, vqbet.*Did you mean 'vqbet'"
    ):
        parse(EvalLike, ["--policy.type=vqbett"])
