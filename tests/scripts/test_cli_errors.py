"""Every command fails in one clear line (lerobot/utils/cli.py), run for real in subprocesses:

- every console script of pyproject.toml and every `lerobot/scripts/*.py` (plus `python -m
  lerobot.motors.sim_bus` and `python -m lerobot.datasets.convert`), once with a misspelled flag and once
  with one bad value: exit status 2, exactly one line on stderr, no traceback, the flag named;
- the hardware commands against a serial port that does not exist: one line naming the port, exit 1;
- `--debug` brings the traceback back.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import tomllib

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "lerobot" / "scripts"
CONSOLE_SCRIPTS = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
NO_PORT = "/dev/lerobot-test-no-such-port"

# (misspelled-flag args, text the message must contain), (bad-value args, text) per command.
CASES: dict[str, tuple[tuple[list[str], str], tuple[list[str], str]]] = {
    "lerobot-calibrate": (
        (["--robot.type=so100_follower", "--robot.prot=/dev/x"], "--robot.prot; did you mean --robot.port?"),
        (["--robot.type=so100_folower"], "--robot.type: unknown type 'so100_folower'"),
    ),
    "lerobot-teleoperate": ((["--fsp=30"], "--fsp; did you mean --fps?"), (["--fps=abc"], "--fps: ")),
    "lerobot-record": (
        (["--dataset.num_episode=2"], "--dataset.num_episode; did you mean --dataset.num_episodes?"),
        (
            ["--robot.type=so100_follower", f"--robot.port={NO_PORT}", "--teleop.type=so100_leader"]
            + [f"--teleop.port={NO_PORT}", "--dataset.repo_id=a/b", "--dataset.single_task=t"]
            + ["--dataset.fps=0"],
            "--dataset.fps must be > 0",
        ),
    ),
    "lerobot-replay": (
        (["--dataset.episdoe=0"], "--dataset.episdoe; did you mean --dataset.episode?"),
        (["--dataset.episode=1.7"], "--dataset.episode: "),
    ),
    "lerobot-find-port": ((["--prot"], "unknown flag --prot"), (["COM3"], "unexpected argument 'COM3'")),
    "lerobot-setup-motors": (
        (["--teleop.type=so100_leader", "--teleop.prot=x"], "--teleop.prot; did you mean --teleop.port?"),
        (["--robot.type=so100_folower"], "--robot.type: unknown type"),
    ),
    "lerobot-find-cameras": ((["--typ=opencv"], "unknown flag --typ"), (["webcam"], "invalid choice: 'webcam'")),
    "lerobot-eval": (
        (["--eval.n_episode=2"], "--eval.n_episode; did you mean --eval.n_episodes?"),
        (["--eval.n_episodes=abc"], "--eval.n_episodes: "),
    ),
    "lerobot-train": ((["--stepz=3"], "--stepz; did you mean --steps?"), (["--steps=abc"], "--steps: ")),
    "lerobot-dataset-viz": (
        (["--repo-id", "a/b", "--episode-index", "0", "--batch-sise", "3"], "--batch-sise; did you mean --batch-size?"),
        (["--repo-id", "a/b", "--episode-index", "x"], "--episode-index: invalid int value: 'x'"),
    ),
    "control_robot.py": (
        (["--robot.type=so100", "--control.type=teleoperate", "--control.fsp=3"], "--control.fsp; did you mean --control.fps?"),
        (["--robot.type=so100", "--control.type=teleoperate", "--control.fps=abc"], "--control.fps: "),
    ),
    "lerobot-dataset-viz-html": (
        (["--repo-id", "a/b", "--porrt", "3"], "--porrt; did you mean --port?"),
        (["--repo-id", "a/b", "--serve", "2"], "--serve: invalid choice: 2"),
    ),
    "push_dataset_to_hub.py": (
        (["--raw-dir", "x", "--raw-format", "pusht_zarr", "--repo-id", "a/b", "--fsp", "3"], "--fsp; did you mean --fps?"),
        (["--raw-dir", "x", "--raw-format", "pusht_zar", "--repo-id", "a/b"], "--raw-format: invalid choice: 'pusht_zar'"),
    ),
    "demo.py": ((["--stpes=3"], "--stpes; did you mean --steps?"), (["--steps", "abc"], "--steps: invalid int")),
    "python -m lerobot.motors.sim_bus": (
        (["--robot", "so100_follower", "--seeed", "3"], "--seeed; did you mean --seed?"),
        (["--robot", "so100_follower", "--drop-rate", "abc"], "--drop-rate: invalid float value"),
    ),
    "python -m lerobot.datasets.convert": (
        (["--from", "v2.1", "--to", "v3.0", "--chunks-sise", "3", "a", "b"], "--chunks-sise; did you mean --chunks-size?"),
        (["--from", "v1.6", "--to", "v3.0", "a", "b"], "--from: invalid choice: 'v1.6'"),
    ),
    "lerobot-edit-dataset": (
        (["--operation.type=delete_episodes", "--operation.episode_indice=[0]"], "--operation.episode_indice; did you mean --operation.episode_indices?"),
        (["--operation.type=delete_episodes", "--operation.episode_indices=abc"], "--operation.episode_indices: "),
    ),
    "lerobot-dataset-check": ((["--fxi", "ds"], "--fxi; did you mean --fix?"), (["no/such/ds"], "no/such/ds is not a folder")),
    "lerobot-info": ((["--verbose"], "unexpected argument '--verbose'"), (["x"], "lerobot-info takes no argument")),
}  # fmt: skip
# The scripts that are the module of a console script, and the console script they implement.
SCRIPT_OF = {
    "lerobot_calibrate.py": "lerobot-calibrate",
    "lerobot_teleoperate.py": "lerobot-teleoperate",
    "lerobot_record.py": "lerobot-record",
    "lerobot_replay.py": "lerobot-replay",
    "lerobot_find_port.py": "lerobot-find-port",
    "lerobot_setup_motors.py": "lerobot-setup-motors",
    "eval.py": "lerobot-eval",
    "train.py": "lerobot-train",
    "visualize_dataset.py": "lerobot-dataset-viz",
    "control_robot.py": "control_robot.py",
    "demo.py": "demo.py",
    "visualize_dataset_html.py": "lerobot-dataset-viz-html",
    "push_dataset_to_hub.py": "push_dataset_to_hub.py",
    "lerobot_edit_dataset.py": "lerobot-edit-dataset",
    "lerobot_dataset_check.py": "lerobot-dataset-check",
    "lerobot_info.py": "lerobot-info",
}


def console_command(name: str) -> list[str]:
    """The installed console script, or (not installed) the same entry point through python -c."""
    exe = Path(sys.executable).parent / name
    if exe.is_file():
        return [str(exe)]
    module, func = CONSOLE_SCRIPTS[name].split(":")
    return [
        sys.executable,
        "-c",
        f"import sys; sys.argv[0] = {name!r}; from {module} import {func}; {func}()",
    ]


def run(cmd: list[str], tmp: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("LEROBOT_DEBUG", "DISPLAY", "WAYLAND_DISPLAY")}
    env = {**base, "HF_HUB_OFFLINE": "1", "HF_LEROBOT_HOME": str(tmp / "home"), **(env or {})}
    return subprocess.run(
        cmd, cwd=tmp, env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL
    )


def all_runs() -> list[tuple[str, list[str], str]]:
    """(label, command line, expected text) of every command x {misspelled flag, bad value}."""
    runs = []
    for name in CONSOLE_SCRIPTS:
        for i, (args, text) in enumerate(CASES[name]):
            runs.append(
                (f"{name} [{('misspelled flag', 'bad value')[i]}]", console_command(name) + args, text)
            )
    for script, case in SCRIPT_OF.items():
        for i, (args, text) in enumerate(CASES[case]):
            cmd = [sys.executable, str(SCRIPTS / script), *args]
            runs.append((f"lerobot/scripts/{script} [{('misspelled flag', 'bad value')[i]}]", cmd, text))
    for module in ("lerobot.motors.sim_bus", "lerobot.datasets.convert"):
        for i, (args, text) in enumerate(CASES[f"python -m {module}"]):
            runs.append(
                (
                    f"{module} [{('misspelled flag', 'bad value')[i]}]",
                    [sys.executable, "-m", module, *args],
                    text,
                )
            )
    return runs


def test_every_command_is_covered():
    assert set(CONSOLE_SCRIPTS) <= set(CASES)
    assert {p.name for p in SCRIPTS.glob("*.py")} - {"__init__.py"} == set(SCRIPT_OF)


@pytest.mark.slow
def test_every_command_fails_in_one_line_with_exit_2(tmp_path):
    runs = all_runs()
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda r: run(r[1], tmp_path), runs))
    failures = []
    for (label, _, text), res in zip(runs, results, strict=True):
        lines = res.stderr.strip().splitlines()
        ok = (
            res.returncode == 2
            and len(lines) == 1
            and "Traceback" not in res.stderr
            and "usage:" not in res.stderr
            and ": error: " in lines[0]
            and text in lines[0]
        )
        if not ok:
            failures.append(f"{label}: exit {res.returncode}, stderr {res.stderr[-600:]!r}")
    assert not failures, "\n".join(failures)
    assert not (tmp_path / "outputs").exists() and not (tmp_path / "home").exists()  # nothing left behind


HARDWARE = {
    "lerobot-calibrate": ["--robot.type=so100_follower", f"--robot.port={NO_PORT}", "--robot.id=x"],
    "lerobot-teleoperate": ["--robot.type=so100_follower", f"--robot.port={NO_PORT}", "--teleop.type=so100_leader",
                            f"--teleop.port={NO_PORT}", "--teleop_time_s=1"],
    "lerobot-record": ["--robot.type=so100_follower", f"--robot.port={NO_PORT}", "--teleop.type=so100_leader",
                       f"--teleop.port={NO_PORT}", "--dataset.repo_id=me/rec", "--dataset.single_task=t",
                       "--dataset.push_to_hub=false", "--keyboard=none", "--play_sounds=false"],
    "lerobot-setup-motors": ["--robot.type=so100_follower", f"--robot.port={NO_PORT}"],
    "control_robot.py": ["--robot.type=so100", f"--robot.follower_arms={{main: {NO_PORT}}}",
                         f"--robot.leader_arms={{main: {NO_PORT}}}", "--control.type=teleoperate"],
}  # fmt: skip


@pytest.mark.slow
def test_hardware_commands_name_a_missing_port_in_one_line(tmp_path):
    from tests.datasets.factories import make_dataset

    joints = ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"]
    action = {"dtype": "float32", "shape": [6], "names": [f"{j}.pos" for j in joints]}
    root = make_dataset(tmp_path / "so100_ds", n_episodes=1, episode_length=3, features={"action": action})
    replay = ["--robot.type=so100_follower", f"--robot.port={NO_PORT}", "--dataset.repo_id=me/so100_ds",
              f"--dataset.root={root}", "--dataset.episode=0", "--play_sounds=false"]  # fmt: skip
    commands = {**HARDWARE, "lerobot-replay": replay}

    def command(name: str) -> list[str]:
        base = [sys.executable, str(SCRIPTS / name)] if name.endswith(".py") else console_command(name)
        return base + commands[name]

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(commands, pool.map(lambda n: run(command(n), tmp_path), commands), strict=True))
    for name, res in results.items():
        errors = [line for line in res.stderr.splitlines() if ": error: " in line]
        assert res.returncode == 1, (name, res.stderr[-800:])
        assert "Traceback" not in res.stderr, (name, res.stderr[-800:])
        assert len(errors) == 1 and NO_PORT in errors[0] and "Check the cable" in errors[0], (
            name,
            res.stderr,
        )
        assert res.stderr.strip().splitlines()[-1] == errors[0]
    assert not (tmp_path / "home" / "me").exists()  # lerobot-record left no empty dataset behind


def test_debug_flag_and_env_show_the_traceback(tmp_path):
    cmd = console_command("lerobot-find-cameras") + ["webcam"]  # argparse: one line even with --debug
    res = run([*console_command("lerobot-setup-motors"), "--robot.type=so100_follower", f"--robot.port={NO_PORT}", "--debug"], tmp_path)  # fmt: skip
    assert res.returncode == 1 and "Traceback" in res.stderr and "MotorBusError" in res.stderr
    res = run(console_command("lerobot-setup-motors") + ["--robot.type=so100_follower", f"--robot.port={NO_PORT}"], tmp_path, {"LEROBOT_DEBUG": "1"})  # fmt: skip
    assert "Traceback" in res.stderr and NO_PORT in res.stderr
    res = run(cmd, tmp_path)
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1


def test_help_prints_usage_and_exits_0(tmp_path):
    res = run(console_command("lerobot-replay") + ["--help"], tmp_path)
    assert res.returncode == 0 and "--dataset.episode" in res.stdout and not res.stderr.strip()
