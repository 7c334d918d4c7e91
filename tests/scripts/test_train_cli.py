"""`python lerobot/scripts/train.py` end to end in subprocesses, for every registered policy (docs/cli.md).

Per policy: train 4 steps on a generated PushT-shaped dataset (checkpoints at 2 and 4, evaluation of one
episode in the PushT env at step 4), then resume from checkpoint 2 in a fresh process: the step-4 weights
must be bitwise identical to the uninterrupted run's (CPU, num_workers=0).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lerobot.configs.policies import PreTrainedConfig
from tests.policies.registry_configs import SMALL_CONFIGS

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "lerobot" / "scripts" / "train.py"

PUSHT_FEATURES = {
    "observation.image": {"dtype": "video", "shape": [96, 96, 3], "names": ["height", "width", "channels"]},
    "observation.state": {"dtype": "float32", "shape": [2], "names": ["x", "y"]},
    "action": {"dtype": "float32", "shape": [2], "names": ["x", "y"]},
    "next.reward": {"dtype": "float32", "shape": [1], "names": None},
}

# Extra overrides on top of the registry's small configs (keep the policies tiny and the CLI run short).
EXTRA_FLAGS = {
    "act": ["--policy.n_vae_encoder_layers=1"],
    "diffusion": [],
    "tdmpc": [],
    "vqbet": ["--policy.n_vqvae_training_steps=2"],
}


def _flag_value(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(str(v) for v in value) + "]"
    return str(value).lower() if isinstance(value, bool) else str(value)


def policy_flags(policy_type: str) -> list[str]:
    overrides = SMALL_CONFIGS[policy_type]["overrides"]
    flags = [f"--policy.type={policy_type}"]
    flags += [f"--policy.{k}={_flag_value(v)}" for k, v in overrides.items()]
    return flags + EXTRA_FLAGS.get(policy_type, [])


def run_train(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "MUJOCO_GL": "egl", "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, str(SCRIPT), *args]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def pusht_dataset(tmp_path_factory) -> Path:
    from tests.datasets.factories import make_dataset

    return make_dataset(
        tmp_path_factory.mktemp("train") / "pusht_like", n_episodes=2, episode_length=12, fps=10,
        features=PUSHT_FEATURES,
    )  # fmt: skip


def test_every_registered_policy_is_covered():
    assert set(PreTrainedConfig.known_types()) <= set(EXTRA_FLAGS)


@pytest.mark.slow
@pytest.mark.parametrize("policy_type", sorted(EXTRA_FLAGS))
def test_train_checkpoint_resume_eval(policy_type, pusht_dataset, tmp_path):
    out = tmp_path / "run"
    common = [
        f"--dataset.repo_id=local/{pusht_dataset.name}",
        f"--dataset.root={pusht_dataset}",
        "--env.type=pusht",
        "--env.episode_length=5",
        "--eval.n_episodes=1",
        "--eval.batch_size=1",
        "--policy.device=cpu",
        "--policy.push_to_hub=false",
        "--num_workers=0",
        "--batch_size=2",
        "--steps=4",
        "--save_freq=2",
        "--log_freq=2",
        "--eval_freq=4",
        f"--output_dir={out}",
    ]
    res = run_train(common + policy_flags(policy_type), cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-4000:]
    ckpts = out / "checkpoints"
    assert sorted(p.name for p in ckpts.iterdir()) == ["000002", "000004", "last"]
    assert os.readlink(ckpts / "last") == "000004"
    pretrained = ckpts / "000004" / "pretrained_model"
    assert {"config.json", "model.safetensors", "train_config.json"} <= {p.name for p in pretrained.iterdir()}
    state = ckpts / "000004" / "training_state"
    assert json.loads((state / "training_step.json").read_text()) == {"step": 4}
    for name in ("optimizer_state.safetensors", "optimizer_param_groups.json", "rng_state.safetensors"):
        assert (state / name).is_file()
    assert "loss:" in res.stderr and "grdn:" in res.stderr and "data_s:" in res.stderr
    assert "eval step 4" in res.stderr
    assert (out / "eval" / "videos_step_000004" / "eval_episode_0.mp4").stat().st_size > 0
    straight = (pretrained / "model.safetensors").read_bytes()

    # A new process continues from step 2 and rewrites checkpoint 4: bitwise the same weights.
    config = ckpts / "000002" / "pretrained_model" / "train_config.json"
    res = run_train(["--resume=true", f"--config_path={config}"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-4000:]
    assert "at step 2" in res.stderr
    assert (pretrained / "model.safetensors").read_bytes() == straight
    assert os.readlink(ckpts / "last") == "000004"
