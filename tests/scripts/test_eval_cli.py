"""`python lerobot/scripts/eval.py` and `lerobot-eval` in a subprocess: flags of docs/cli.md, errors, --help."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "lerobot" / "scripts" / "eval.py"


def _run(args: list[str], cwd: Path, executable: list[str] | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "MUJOCO_GL": "egl", "OMP_NUM_THREADS": "1"}
    cmd = (executable or [sys.executable, str(SCRIPT)]) + args
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_cli_fixture_checkpoint_on_pusht(reference_fixtures, tmp_path):
    """The README command shape, run from outside the clone, on the reference diffusion checkpoint."""
    out = tmp_path / "eval_out"
    policy = reference_fixtures / "policies" / "diffusion" / "pretrained_model"
    res = _run(
        [
            f"--policy.path={policy}",
            "--env.type=pusht",
            "--env.task=PushT-v0",
            "--env.obs_type=environment_state_agent_pos",
            "--env.episode_length=4",
            "--eval.n_episodes=2",
            "--eval.batch_size=2",
            "--eval.use_async_envs=false",
            "--policy.device=cpu",
            "--policy.use_amp=false",
            f"--output_dir={out}",
            "--seed=42",
            "--max_episodes_rendered=0",
        ],
        cwd=tmp_path,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    info = json.loads((out / "eval_info.json").read_text())
    assert [e["seed"] for e in info["per_episode"]] == [42, 43]
    assert set(info) == {"overall", "per_group", "per_task", "per_episode"}
    assert "pusht_diffusion" in res.stderr  # summary line with the default job name


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--env.type=pusht", "--eval.n_episodes=2", "--eval.batch_size=4"],
            "cannot exceed --eval.n_episodes (2)",
        ),
        (["--eval.n_episodes=1", "--eval.batch_size=1"], "--env.type is required"),
        (["--env.type=pusht", "--env.obs_type=pixel"], "unknown --env.obs_type='pixel'"),
        (
            ["--env.type=pusht", "--policy.type=act", "--policy.path=somewhere"],
            "--policy.path and --policy.type are mutually exclusive",
        ),
    ],
)
def test_cli_bad_flags_give_one_line_errors(args, message, tmp_path, monkeypatch, capsys):
    """In-process (the subprocess path is the same `cli()`, exercised by the tests above and below)."""
    from lerobot.scripts.eval import cli

    monkeypatch.setattr(sys, "argv", ["lerobot-eval", *args, f"--output_dir={tmp_path / 'out'}"])
    with pytest.raises(SystemExit) as exit_info:
        cli()
    assert exit_info.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lerobot-eval: error:"), lines
    assert message in lines[0]
    assert not (tmp_path / "out").exists()


def test_cli_help_explains_flags(tmp_path):
    res = _run(["--help"], cwd=tmp_path)
    assert res.returncode == 0
    flat = "".join(res.stdout.lower().split())
    for text in (
        "--eval.n_episodes",
        "--eval.batch_size",
        "--env.type",
        "--seed",
        "number of environments run",
    ):
        assert "".join(text.split()) in flat, text


def test_console_script_entry_point(tmp_path):
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["lerobot-eval"] == "lerobot.scripts.eval:cli"
    # The entry point itself, run the way the console script does.
    res = _run(
        ["--env.type=pusht", "--env.episode_length=2", "--eval.n_episodes=1", "--eval.batch_size=1",
         f"--output_dir={tmp_path / 'o'}", "--max_episodes_rendered=1"],
        cwd=tmp_path,
        executable=[sys.executable, "-c", "import sys; from lerobot.scripts.eval import cli; sys.argv[0] = 'lerobot-eval'; cli()"],
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-2000:]
    info = json.loads((tmp_path / "o" / "eval_info.json").read_text())
    assert info["overall"]["n_episodes"] == 1 and len(info["overall"]["video_paths"]) == 1


def test_cli_policy_path_as_hub_id(reference_fixtures, tmp_path, monkeypatch):
    """`--policy.path=<hub id>` through the real huggingface_hub client against a local Hub server."""
    from tests.utils.hub_server import HubRepo, HubServer

    policy = reference_fixtures / "policies" / "act" / "pretrained_model"  # image + state inputs
    with HubServer({"user/act_pusht": HubRepo(policy, repo_type="model")}) as server:
        server.use(monkeypatch)
        monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
        res = _run(
            ["--policy.path=user/act_pusht", "--env.type=pusht", "--env.episode_length=3",
             "--eval.n_episodes=1", "--eval.batch_size=1", "--policy.device=cpu",
             f"--output_dir={tmp_path / 'out'}", "--max_episodes_rendered=0"],
            cwd=tmp_path,
        )  # fmt: skip
        assert res.returncode == 0, res.stderr[-3000:]
        assert "model.safetensors" in server.downloaded("user/act_pusht")
    info = json.loads((tmp_path / "out" / "eval_info.json").read_text())
    assert info["overall"]["n_episodes"] == 1
