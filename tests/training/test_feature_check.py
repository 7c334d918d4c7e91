"""The training's policy/env feature check runs once per run (lerobot/training/loop.py), in-process on a
tiny ACT, a generated PushT-shaped dataset (state + keypoints) and one evaluation of one short episode."""

import os

import pytest

os.environ.setdefault("MUJOCO_GL", "egl")

from lerobot.configs.parser import parse  # noqa: E402
from lerobot.configs.train import TrainPipelineConfig  # noqa: E402
from lerobot.evaluation import features  # noqa: E402
from lerobot.training import EVAL_METRICS_FILE, train  # noqa: E402

FEATURES = {
    "observation.state": {"dtype": "float32", "shape": [2], "names": ["x", "y"]},
    "observation.environment_state": {"dtype": "float32", "shape": [16], "names": None},
    "action": {"dtype": "float32", "shape": [2], "names": ["x", "y"]},
}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    from tests.datasets.factories import make_dataset

    root = tmp_path_factory.mktemp("ds") / "pusht_keypoints"
    return make_dataset(root, n_episodes=1, episode_length=6, features=FEATURES, use_videos=False)


def _cfg(dataset, out):
    return parse(
        TrainPipelineConfig,
        [
            f"--dataset.repo_id=local/{dataset.name}", f"--dataset.root={dataset}", "--policy.type=act",
            "--policy.dim_model=16", "--policy.n_heads=2", "--policy.dim_feedforward=32",
            "--policy.n_encoder_layers=1", "--policy.n_decoder_layers=1", "--policy.n_vae_encoder_layers=1",
            "--policy.chunk_size=2", "--policy.n_action_steps=2", "--policy.device=cpu",
            "--policy.push_to_hub=false", "--env.type=pusht", "--env.obs_type=environment_state_agent_pos",
            "--env.episode_length=2", "--eval.n_episodes=1", "--eval.batch_size=1", "--steps=1",
            "--batch_size=2", "--num_workers=0", "--eval_freq=1", "--save_checkpoint=false",
            f"--output_dir={out}",
        ],
    )  # fmt: skip


@pytest.fixture
def check_calls(monkeypatch):
    calls = []
    real = features.check_policy_matches_env

    def counted(policy_cfg, env_cfg):
        calls.append(policy_cfg)
        return real(policy_cfg, env_cfg)

    monkeypatch.setattr(features, "check_policy_matches_env", counted)
    return calls


@pytest.mark.parametrize("declared", [False, True], ids=["from_the_dataset", "declared_in_the_config"])
def test_one_feature_check_per_run(dataset, tmp_path, check_calls, declared):
    from lerobot.configs.types import FeatureType, PolicyFeature

    cfg = _cfg(dataset, tmp_path / "run")
    if declared:
        cfg.policy.input_features = {
            "observation.state": PolicyFeature(FeatureType.STATE, (2,)),
            "observation.environment_state": PolicyFeature(FeatureType.ENV, (16,)),
        }
    train(cfg, progress=False)
    assert len(check_calls) == 1 and check_calls[0] is cfg.policy
    assert (tmp_path / "run" / EVAL_METRICS_FILE).is_file()  # the run did evaluate in the env
