"""`lerobot-train --config_path=<hub id>` (the README's "reproduce SOTA" line) against the local Hub server,
with the `train_config.json` files the reference wrote (both config eras: 0.3.2 and 0.4.4)."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from lerobot.configs.parser import parse
from lerobot.configs.train import TrainPipelineConfig
from tests.datasets.factories import make_dataset
from tests.scripts.test_train_cli import PUSHT_FEATURES, SCRIPT
from tests.utils.hub_server import HubRepo, HubServer

CONFIGS = {
    "lerobot/diffusion_pusht": "diffusion_pusht_v0.4.4.json",
    "lerobot/diffusion_pusht_v032": "diffusion_pusht_v0.3.2.json",
    "lerobot/act_aloha_sim_transfer_cube_human": "act_aloha_transfer_cube_v0.4.4.json",
    "lerobot/tdmpc_xarm_lift_medium": "tdmpc_xarm_v0.3.2.json",
}


@pytest.fixture
def hub(reference_fixtures, tmp_path, monkeypatch):
    repos = {}
    for repo_id, name in CONFIGS.items():
        folder = tmp_path / "repos" / repo_id
        folder.mkdir(parents=True)
        shutil.copy(reference_fixtures / "train_configs" / name, folder / "train_config.json")
        repos[repo_id] = HubRepo(folder, repo_type="model")
    import huggingface_hub.constants as hc

    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf_home" / "hub"))
    monkeypatch.setattr(hc, "HF_HUB_CACHE", str(tmp_path / "hf_home" / "hub"))
    with HubServer(repos) as server:
        server.use(monkeypatch)
        yield server


@pytest.mark.fixtures
@pytest.mark.parametrize("repo_id", sorted(CONFIGS))
def test_published_train_configs_parse_from_the_hub(hub, reference_fixtures, repo_id, caplog):
    published = json.loads((reference_fixtures / "train_configs" / CONFIGS[repo_id]).read_text())
    cfg = parse(TrainPipelineConfig, [f"--config_path={repo_id}", "--steps=10"])
    assert hub.downloaded(repo_id) == ["train_config.json"]
    assert cfg.steps == 10  # flags override the file
    for key in ("batch_size", "eval_freq", "seed", "save_freq", "log_freq"):
        assert getattr(cfg, key) == published[key], key
    assert cfg.dataset.repo_id == published["dataset"]["repo_id"]
    assert cfg.env.type == published["env"]["type"] and cfg.env.task == published["env"]["task"]
    assert cfg.eval.n_episodes == published["eval"]["n_episodes"]
    assert cfg.optimizer.lr == pytest.approx(published["optimizer"]["lr"])
    pol = published["policy"]
    assert cfg.policy.type == pol["type"] and cfg.policy.n_action_steps == pol["n_action_steps"]
    for key in ("horizon", "down_dims", "chunk_size", "dim_model", "latent_dim", "n_obs_steps"):
        if key in pol:
            got = getattr(cfg.policy, key)
            assert (list(got) if isinstance(got, tuple) else got) == pol[key], key
    if "peft" in published:  # the 0.4.4 era's fields this version does not have are dropped, and named
        assert (
            "ignoring keys" in caplog.text
            and "rename_map" in caplog.text
            and "dataset.streaming" in caplog.text
        )


@pytest.mark.fixtures
def test_reproduce_sota_line_trains(hub, tmp_path):
    """`python lerobot/scripts/train.py --config_path=lerobot/diffusion_pusht`, with what this machine needs
    overridden: a local PushT-shaped dataset, 2 steps, a tiny U-Net, one short evaluation episode, no W&B.
    The 0.4.4 file (the 0.3.2 one parses to the same run above); its `video_backend: torchcodec` reads as PyAV."""
    repo_id = "lerobot/diffusion_pusht"
    make_dataset(
        tmp_path / "data/lerobot/pusht",
        n_episodes=2,
        episode_length=12,
        features=PUSHT_FEATURES,
        vcodec="h264",
    )
    out = tmp_path / "run"
    env = {**os.environ, "MUJOCO_GL": "egl", "OMP_NUM_THREADS": "1"}  # online: HF_ENDPOINT = the local Hub
    res = subprocess.run(
        [sys.executable, str(SCRIPT),
            f"--config_path={repo_id}", f"--dataset.root={tmp_path / 'data'}", "--steps=2", "--batch_size=2",
            "--num_workers=0", f"--output_dir={out}", "--policy.down_dims=[16,32]",
            "--policy.diffusion_step_embed_dim=16", "--policy.num_inference_steps=2", "--eval.n_episodes=1",
            "--eval.batch_size=1", "--env.episode_length=3", "--wandb.enable=false",
        ],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-4000:]
    saved = json.loads((out / "checkpoints/000002/pretrained_model/train_config.json").read_text())
    assert saved["policy"]["type"] == "diffusion" and saved["seed"] == 100000 and saved["steps"] == 2
    assert saved["optimizer"]["lr"] == pytest.approx(1e-4) and saved["policy"]["horizon"] == 16
    assert "eval step 2" in res.stderr
    assert "dataset.video_backend='torchcodec' read as None" in res.stderr
