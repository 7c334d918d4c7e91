"""The one error path of the commands (lerobot/utils/cli.py) and the parser's one-line errors
(lerobot/configs/parser.py), in process."""

from __future__ import annotations

import errno
from dataclasses import dataclass, field

import pytest

from lerobot.configs.parser import parse
from lerobot.configs.policies import PreTrainedConfig
from lerobot.policies.utils import HubUnreachableError
from lerobot.utils.cli import ArgumentParser, UsageError, classify, command, debug_requested


@pytest.mark.parametrize(
    ("error", "status", "text"),
    [
        (ValueError("--fps must be > 0"), 2, "--fps must be > 0"),
        (KeyError("missing key 'action'"), 2, "missing key 'action'"),  # no repr quotes
        (FileNotFoundError(errno.ENOENT, "No such file or directory", "/data/x"), 2, "/data/x: No such file"),
        (FileExistsError("Output directory out already exists"), 2, "out already exists"),
        (ConnectionError("/dev/ttyACM0: motor check failed"), 1, "/dev/ttyACM0: motor check failed"),
        (OSError(errno.ENOSPC, "No space left on device", "/data/ds"), 1, "/data/ds: No space left on device; free"),
        (PermissionError(errno.EACCES, "Permission denied", "/dev/ttyUSB0"), 1, "/dev/ttyUSB0: Permission denied; check"),
        (TimeoutError("camera 'front' sent no frame for 5 s"), 1, "camera 'front' sent no frame"),
        (HubUnreachableError("Cannot get 'config.json' of Hub repo 'u/p': the Hub could not be reached"), 1,
         "the Hub could not be reached"),
        (RuntimeError("Uploading failed"), 1, "Uploading failed"),
        (ZeroDivisionError("division by zero"), 1, "unexpected ZeroDivisionError: division by zero (a bug: rerun with --debug"),
    ],
)  # fmt: skip
def test_classify(error, status, text):
    got_status, message = classify(error)
    assert got_status == status and text in message and "\n" not in message


def test_command_prints_one_line_and_exits(capsys):
    @command("lerobot-x")
    def main(args):
        raise ValueError("--a.b: bad\nsecond line")

    with pytest.raises(SystemExit) as e:
        main(["--a.b=1"])
    assert e.value.code == 2
    assert capsys.readouterr().err == "lerobot-x: error: --a.b: bad second line\n"


def test_command_debug_flag_and_env_let_the_exception_through(monkeypatch):
    seen = []

    @command("lerobot-x")
    def main(args):
        seen.append(args)
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        main(["--x=1", "--debug"])
    assert seen[-1] == ["--x=1"]  # --debug is not passed on to the parser
    monkeypatch.setenv("LEROBOT_DEBUG", "1")
    with pytest.raises(ValueError, match="boom"):
        main([])
    assert debug_requested(["--debug=false"]) == (True, [])  # the env var alone asks for it
    monkeypatch.delenv("LEROBOT_DEBUG")
    assert debug_requested(["--debug=false", "--a"]) == (False, ["--a"])


def test_command_ctrl_c_exits_130_without_traceback(capsys):
    @command("lerobot-x")
    def main(args):
        raise KeyboardInterrupt

    with pytest.raises(SystemExit) as e:
        main([])
    assert e.value.code == 130 and capsys.readouterr().err == "lerobot-x: interrupted\n"


def test_argument_parser_one_line_and_did_you_mean(capsys):
    parser = ArgumentParser(prog="tool")
    parser.add_argument("--batch-size", type=int, default=1)
    with pytest.raises(SystemExit) as e:
        parser.parse_args(["--batch-sise", "3"])
    assert e.value.code == 2
    assert capsys.readouterr().err == "tool: error: unknown flag --batch-sise; did you mean --batch-size?\n"
    with pytest.raises(SystemExit):
        parser.parse_args(["--batch-size", "x"])
    assert capsys.readouterr().err == "tool: error: argument --batch-size: invalid int value: 'x'\n"
    with pytest.raises(SystemExit):
        parser.parse_args(["--batch"])  # no abbreviations: `--batch` is not silently --batch-size
    assert "unknown flag --batch" in capsys.readouterr().err


@dataclass
class Inner:
    # Frames per second.
    fps: int = 30
    # Episodes to use.
    episodes: list[int] | None = None


@dataclass
class Outer:
    # The policy.
    policy: PreTrainedConfig | None = None
    # Dataset options.
    dataset: Inner = field(default_factory=Inner)
    # Total steps.
    steps: int = 10


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--stepz=3"], "unknown flag --stepz; did you mean --steps?"),
        (["--dataset.fsp=3"], "unknown flag --dataset.fsp; did you mean --dataset.fps?"),
        (["--policy.type=act", "--policy.chunk_sise=3"], "--policy.chunk_sise; did you mean --policy.chunk_size?"),
        (["--zzzzzz=1"], "unknown flag --zzzzzz; --help lists the flags"),
        (["--steps=abc"], "--steps: Couldn't parse 'abc' into an int"),
        (["--dataset.fps=1.5"], "--dataset.fps: Couldn't parse '1.5' into an int"),
        (["--dataset.episodes=[0,1.7]"], "--dataset.episodes (item 1): Couldn't parse '1.7' into an int"),
        (["--policy.type=act", "--policy.chunk_size=abc"], "--policy.chunk_size: Couldn't parse 'abc'"),
        (["--steps"], "argument --steps: expected one argument"),
        (["--policy.type=act", "--policy.dropout=2.0"], "dropout must be in [0, 1], got 2.0"),
    ],
)  # fmt: skip
def test_parser_errors_name_the_flag(args, message):
    with pytest.raises(UsageError if "dropout" not in message else ValueError) as e:
        parse(Outer, args)
    assert message in str(e.value) and "\n" not in str(e.value).strip()


def test_hub_unreachable_is_still_a_missing_file_for_library_callers():
    assert issubclass(HubUnreachableError, FileNotFoundError) and issubclass(
        HubUnreachableError, ConnectionError
    )
