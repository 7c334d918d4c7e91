"""examples/4_train_policy_with_script.md: every `lerobot-train` command of the page parses, and the first
one runs (shortened) on the example dataset, so that the resume and fine-tune commands find its outputs."""

import os
import subprocess
import sys

import pytest

from lerobot.configs.parser import parse
from lerobot.configs.train import TrainPipelineConfig
from lerobot.envs.expert_dataset import record_pusht_expert_dataset
from tests.conftest import REPO_ROOT
from tests.examples.md_commands import bash_commands

PAGE = REPO_ROOT / "examples" / "4_train_policy_with_script.md"
SHORTEN = [
    "--steps=2", "--save_freq=2", "--eval_freq=2", "--log_freq=1", "--batch_size=2", "--num_workers=0",
    "--eval.n_episodes=1", "--eval.batch_size=1", "--env.episode_length=3", "--policy.dim_model=32",
    "--policy.n_heads=2", "--policy.dim_feedforward=64", "--policy.n_encoder_layers=1",
    "--policy.n_decoder_layers=1", "--policy.n_vae_encoder_layers=1", "--policy.chunk_size=3",
    "--policy.n_action_steps=3",
]  # fmt: skip


@pytest.mark.slow
def test_page_commands(tmp_path, monkeypatch):
    commands = bash_commands(PAGE)
    assert [c[0] for c in commands] == ["lerobot-train"] * 4
    record_pusht_expert_dataset(tmp_path / "outputs/examples/pusht", n_episodes=2, max_steps=8)
    first = commands[0]
    env = {**os.environ, "MUJOCO_GL": "egl", "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    res = subprocess.run(
        [sys.executable, str(REPO_ROOT / "lerobot/scripts/train.py"), *first[1:], *SHORTEN],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    run = tmp_path / "outputs/train/act_pusht"
    assert (run / "checkpoints/last/pretrained_model/model.safetensors").is_file()
    assert (run / "train_metrics.jsonl").is_file() and (run / "eval_metrics.jsonl").is_file()
    assert "step:1 smpl:2" in res.stderr and "grdn:" in res.stderr and "data_s:" in res.stderr
    # every other command parses into the training config (the Hub one is run in test_train_config_hub.py)
    monkeypatch.chdir(tmp_path)
    for argv in commands[1:]:
        if any(a.startswith("--config_path=lerobot/") for a in argv):
            continue
        cfg = parse(TrainPipelineConfig, argv[1:])
        assert cfg.dataset.repo_id == "local/pusht_expert"
