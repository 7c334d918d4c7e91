"""examples/10_use_so100.md and 11_use_lekiwi.md: every command of the pages parses with the flags of its
program, and the simulated buses they start serve a port. The flows themselves run on simulated buses in
tests/robots (test_scripts.py, test_record_replay.py, test_record_train_run.py, test_bimanual.py,
test_control_robot.py, test_lekiwi.py, test_lekiwi_record.py, test_control_robot_lekiwi.py)."""

import json
import subprocess
import sys

import pytest
import tomllib

from lerobot.configs.parser import parse
from tests.conftest import REPO_ROOT
from tests.examples.md_commands import bash_commands

PAGES = ["10_use_so100.md", "11_use_lekiwi.md"]
CONSOLE_SCRIPTS = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["scripts"]


def _config_class(argv: list[str]):
    """The dataclass a command parses its flags into (None: a program without such flags)."""
    from lerobot.configs.train import TrainPipelineConfig
    from lerobot.robots.lekiwi.lekiwi_host import LeKiwiServerConfig
    from lerobot.scripts import (
        control_robot,
        lerobot_calibrate,
        lerobot_record,
        lerobot_replay,
        lerobot_setup_motors,
        lerobot_teleoperate,
    )

    table = {
        "lerobot-calibrate": lerobot_calibrate.CalibrateConfig,
        "lerobot-teleoperate": lerobot_teleoperate.TeleoperateConfig,
        "lerobot-record": lerobot_record.RecordConfig,
        "lerobot-replay": lerobot_replay.ReplayConfig,
        "lerobot-setup-motors": lerobot_setup_motors.SetupConfig,
        "lerobot-train": TrainPipelineConfig,
        "lerobot.robots.lekiwi.lekiwi_host": LeKiwiServerConfig,
        "lerobot/scripts/control_robot.py": control_robot.ControlPipelineConfig,
    }
    return table.get(_program(argv))


def _program(argv: list[str]) -> str:
    if argv[0] == "python":
        return argv[2] if argv[1] == "-m" else argv[1]
    return argv[0]


def _args(argv: list[str]) -> list[str]:
    return argv[3:] if argv[:2] == ["python", "-m"] else argv[2:] if argv[0] == "python" else argv[1:]


@pytest.mark.parametrize("page", PAGES)
def test_every_command_parses(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # the policy the pages' `--policy.path` commands load (what section "Train" writes)
    for run in ("act_pick_cube", "act_kiwi"):
        folder = tmp_path / f"outputs/train/{run}/checkpoints/last/pretrained_model"
        folder.mkdir(parents=True)
        (folder / "config.json").write_text(json.dumps({"type": "act"}))
    commands = bash_commands(REPO_ROOT / "examples" / page)
    checked = 0
    for argv in commands:
        program = _program(argv)
        if argv[0] in ("pip", "sudo", "rerun"):
            continue
        if program == "lerobot.motors.sim_bus":
            from lerobot.motors import sim_bus

            assert _args(argv)[:2] in (
                ["--robot", a] for a in [*sim_bus.ROBOT_PRESETS, *sim_bus.MULTI_BUS_PRESETS]
            ) or (_args(argv)[0] == "--motors"), argv
            continue
        if program == "lerobot-dataset-viz":
            from lerobot.scripts.visualize_dataset import make_parser

            make_parser().parse_args(_args(argv))
            checked += 1
            continue
        if program in ("lerobot-find-port", "lerobot-find-cameras"):
            assert program in CONSOLE_SCRIPTS
            continue
        cls = _config_class(argv)
        assert cls is not None, f"{page}: no parser known for {argv}"
        if program.startswith("lerobot-"):
            assert program in CONSOLE_SCRIPTS
        parse(cls, _args(argv))
        checked += 1
    assert checked >= 10


@pytest.mark.parametrize("argv", [["--robot", "so100_follower"], ["--robot", "lekiwi"], ["--robot", "aloha"]])
def test_simulated_bus_command_serves_ports(argv):
    proc = subprocess.Popen(
        [sys.executable, "-m", "lerobot.motors.sim_bus", *argv],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        lines = [proc.stdout.readline().strip() for _ in range(2 if argv[1] == "aloha" else 1)]
        ports = [line.split()[-1] for line in lines]
        assert all(p.startswith("/dev/pts/") for p in ports), lines
        if argv[1] == "aloha":
            assert [line.split()[0] for line in lines] == ["left", "right"]
        proc.stdin.write("show\n" if argv[1] != "aloha" else "show left\n")
        proc.stdin.flush()
        assert proc.stdout.readline().startswith("motor 1: position")
    finally:
        proc.kill()
        proc.wait(timeout=10)
