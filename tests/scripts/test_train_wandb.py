"""`lerobot-train --wandb.enable=true --wandb.mode=offline` end to end: the training and evaluation metrics,
the evaluation video and the checkpoint artifact reach the offline W&B run, read back from its `.wandb` log
(tests/utils/wandb_read.py). The dataset is given as a folder holding `<repo_id>/` (lerobot/utils/dataset_root.py)."""

import hashlib
import importlib.util
import json

import pytest

from tests.datasets.factories import make_dataset
from tests.scripts.test_train_cli import PUSHT_FEATURES, run_train
from tests.utils.wandb_read import history, read_records

pytestmark = pytest.mark.skipif(importlib.util.find_spec("wandb") is None, reason="needs the `wandb` extra")


def test_train_logs_metrics_video_and_checkpoint_to_an_offline_run(tmp_path):
    make_dataset(
        tmp_path / "data/local/pusht_like",
        n_episodes=2,
        episode_length=12,
        features=PUSHT_FEATURES,
        vcodec="h264",
    )
    out = tmp_path / "run"
    res = run_train(
        [
            "--dataset.repo_id=local/pusht_like", f"--dataset.root={tmp_path / 'data'}", "--env.type=pusht",
            "--env.episode_length=5", "--eval.n_episodes=1", "--eval.batch_size=1", "--policy.device=cpu",
            "--policy.push_to_hub=false", "--num_workers=0", "--batch_size=2", "--steps=2", "--log_freq=1",
            "--eval_freq=2", "--save_freq=2", f"--output_dir={out}", "--policy.type=act", "--policy.dim_model=32",
            "--policy.n_heads=2", "--policy.dim_feedforward=64", "--policy.n_encoder_layers=1",
            "--policy.n_decoder_layers=1", "--policy.chunk_size=3", "--policy.n_action_steps=3",
            "--policy.use_vae=false", "--policy.pretrained_backbone_weights=null",
            "--wandb.enable=true", "--wandb.mode=offline", "--wandb.project=lerobot_test",
        ],
        cwd=tmp_path,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-4000:]
    (run_dir,) = (out / "wandb").glob("offline-run-*")
    rows = history(run_dir)
    train_lines = [json.loads(line) for line in (out / "train_metrics.jsonl").read_text().splitlines()]
    (eval_line,) = [json.loads(line) for line in (out / "eval_metrics.jsonl").read_text().splitlines()]
    assert [r["_step"] for r in rows] == [1, 2]
    for row, line in zip(rows, train_lines):
        for key in ("loss", "grad_norm", "lr", "l1_loss", "samples"):
            assert row[f"train/{key}"] == pytest.approx(line[key]), key
    for key in ("avg_sum_reward", "avg_max_reward", "pc_success", "n_episodes"):
        assert rows[1][f"eval/{key}"] == pytest.approx(eval_line[key]), key
    # the eval video: the run's copy is the rendered episode, byte for byte
    assert rows[1]["eval/video/_type"] == "video-file"
    video = run_dir / "files" / rows[1]["eval/video/path"]
    assert video.read_bytes() == (out / "eval/videos_step_000002/eval_episode_0.mp4").read_bytes()
    assert rows[1]["eval/video/sha256"] == hashlib.sha256(video.read_bytes()).hexdigest()
    records = read_records(next(run_dir.glob("run-*.wandb")))
    (run,) = [r.run for r in records if r.WhichOneof("record_type") == "run"]
    assert run.project == "lerobot_test"
    (artifact,) = [r.artifact for r in records if r.WhichOneof("record_type") == "artifact"]
    assert artifact.type == "model" and artifact.name.endswith("-000002")
    assert {"config.json", "model.safetensors", "train_config.json"} <= {
        m.path for m in artifact.manifest.contents
    }
