"""lerobot-train with 2 CPU processes under torchrun (torch DDP on gloo)."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from safetensors.torch import load_file

from tests.scripts.test_train_cli import PUSHT_FEATURES, SCRIPT, policy_flags


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_process_ddp_training(tmp_path):
    from tests.datasets.factories import make_dataset

    root = make_dataset(tmp_path / "ds", n_episodes=2, episode_length=12, fps=10, features=PUSHT_FEATURES)
    out = tmp_path / "run"
    cmd = [
        sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--master_addr=127.0.0.1",
        f"--master_port={_free_port()}", str(SCRIPT),
        "--dataset.repo_id=local/ds", f"--dataset.root={root}", "--policy.device=cpu",
        "--policy.push_to_hub=false", "--num_workers=0", "--batch_size=2", "--steps=3", "--save_freq=3",
        "--log_freq=1", f"--output_dir={out}", *policy_flags("tdmpc"),
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    res = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-4000:]
    assert "DDP process 0/2" in res.stderr and "DDP process 1/2" in res.stderr
    assert "batch 2 x 2 process(es)" in res.stderr
    assert "step:3 smpl:12" in res.stderr  # samples count both processes
    assert res.stderr.count("Checkpoint saved") == 1  # rank 0 only
    weights = load_file(str(Path(out) / "checkpoints" / "last" / "pretrained_model" / "model.safetensors"))
    assert weights and all(t.isfinite().all() for t in weights.values())
