"""eval_policy / eval_main end to end: fixture checkpoint on PushT, tiny ACT on ALOHA and xArm, random mode."""

import json
import math
import os

import av
import numpy as np
import pytest

os.environ.setdefault("MUJOCO_GL", "egl")

from lerobot.configs.eval import EvalConfig, EvalPipelineConfig  # noqa: E402
from lerobot.envs.factory import make_env_config  # noqa: E402
from lerobot.scripts.eval import episode_metrics, eval_main, wilson_interval  # noqa: E402

TINY_ACT = {
    "chunk_size": 4,
    "n_action_steps": 4,
    "dim_model": 32,
    "n_heads": 2,
    "dim_feedforward": 64,
    "n_encoder_layers": 1,
    "n_decoder_layers": 1,
    "n_vae_encoder_layers": 1,
    "latent_dim": 4,
    "pretrained_backbone_weights": None,
    "normalization_mapping": {},
    "device": "cpu",
}


def _fixture_policy_cfg(reference_fixtures, name: str):
    from lerobot.configs.policies import PreTrainedConfig

    path = reference_fixtures / "policies" / name / "pretrained_model"
    cfg = PreTrainedConfig.from_pretrained(path)
    cfg.pretrained_path = str(path)
    cfg.device = "cpu"
    return cfg


def test_wilson_interval():
    low, high = wilson_interval(5, 10)
    assert low == pytest.approx(0.2366, abs=1e-4) and high == pytest.approx(0.7634, abs=1e-4)
    assert wilson_interval(0, 10) == (0.0, pytest.approx(0.2775, abs=1e-4))
    assert wilson_interval(10, 10) == (pytest.approx(0.7225, abs=1e-4), 1.0)
    with pytest.raises(ValueError):
        wilson_interval(0, 0)


def test_episode_metrics_stop_at_first_done():
    reward = np.array([[1.0, 2.0, 5.0, 7.0], [0.5, 0.0, 0.0, 9.0]])
    success = np.array([[False, False, False, True], [False, True, False, False]])
    done = np.array([[False, True, True, True], [False, True, True, True]])
    m = episode_metrics(reward, success, done)
    np.testing.assert_allclose(m["sum_reward"], [3.0, 0.5])
    np.testing.assert_allclose(m["max_reward"], [2.0, 0.5])
    assert m["success"].tolist() == [False, True]


@pytest.fixture
def single_thread_torch():
    """Multi-threaded CPU convolutions may sum in another order from run to run (~1e-16 in the rewards)."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def test_pusht_fixture_checkpoint_end_to_end_and_deterministic(
    reference_fixtures, tmp_path, single_thread_torch
):
    """The reference diffusion checkpoint (state + environment_state inputs) on PushT, twice with one seed."""
    infos = []
    for run in range(2):
        cfg = EvalPipelineConfig(
            env=make_env_config("pusht", obs_type="environment_state_agent_pos", episode_length=8),
            policy=_fixture_policy_cfg(reference_fixtures, "diffusion"),
            eval=EvalConfig(n_episodes=3, batch_size=2),
            output_dir=tmp_path / f"run{run}",
            seed=1000,
            max_episodes_rendered=1,
        )
        infos.append(eval_main(cfg, progress=False))
        saved = json.loads((tmp_path / f"run{run}" / "eval_info.json").read_text())
        assert saved == json.loads(json.dumps(infos[-1]))
    info = infos[0]
    # Same seeds, successes and rewards (floats to 1e-12 relative, in case of a multi-threaded BLAS).
    assert len(info["per_episode"]) == len(infos[1]["per_episode"])
    for a, b in zip(info["per_episode"], infos[1]["per_episode"]):
        assert (a["episode_ix"], a["seed"], a["success"]) == (b["episode_ix"], b["seed"], b["success"])
        assert a["sum_reward"] == pytest.approx(b["sum_reward"], rel=1e-12, abs=1e-12)
        assert a["max_reward"] == pytest.approx(b["max_reward"], rel=1e-12, abs=1e-12)
    assert [e["seed"] for e in info["per_episode"]] == [1000, 1001, 1002]
    assert [e["episode_ix"] for e in info["per_episode"]] == [0, 1, 2]
    overall = info["overall"]
    assert overall["n_episodes"] == 3
    sums = [e["sum_reward"] for e in info["per_episode"]]
    assert overall["avg_sum_reward"] == pytest.approx(np.mean(sums))
    assert any(s > 0 for s in sums)  # PushT gives coverage reward from the first step
    assert info["per_group"]["pusht"]["pc_success"] == overall["pc_success"]
    assert (
        info["per_task"][0]["task_group"] == "pusht" and info["per_task"][0]["metrics"]["sum_rewards"] == sums
    )
    low, high = overall["pc_success_ci95"]
    assert 0.0 <= low <= overall["pc_success"] <= high <= 100.0
    # One rendered episode: an H.264 mp4 with one frame per step (reset frame + 8 steps) at 10 fps.
    (video,) = overall["video_paths"]
    with av.open(video) as container:
        stream = container.streams.video[0]
        frames = list(container.decode(stream))
        assert stream.average_rate == 10
    assert len(frames) == 9 and (frames[0].height, frames[0].width) == (384, 384)


def test_policy_env_feature_mismatch_names_features(reference_fixtures, tmp_path):
    cfg = EvalPipelineConfig(
        env=make_env_config("pusht", episode_length=4),  # pixels_agent_pos: no environment_state
        policy=_fixture_policy_cfg(reference_fixtures, "diffusion"),
        eval=EvalConfig(n_episodes=1, batch_size=1),
        output_dir=tmp_path,
    )
    with pytest.raises(ValueError, match=r"'observation.environment_state' \(shape \[16\]\) is not provided"):
        eval_main(cfg, progress=False)


@pytest.mark.parametrize("env_type", ["aloha", "xarm"])
def test_small_random_act_on_mujoco_envs(env_type, tmp_path):
    from lerobot.policies.factory import make_policy_config

    cfg = EvalPipelineConfig(
        env=make_env_config(env_type, episode_length=3),
        policy=make_policy_config("act", **TINY_ACT),
        eval=EvalConfig(n_episodes=1, batch_size=1),
        output_dir=tmp_path,
        max_episodes_rendered=0,
    )
    info = eval_main(cfg, progress=False)
    (episode,) = info["per_episode"]
    assert episode["seed"] == 1000 and math.isfinite(episode["sum_reward"])
    assert info["overall"]["video_paths"] == []
    assert cfg.job_name == f"{env_type}_act"


def test_random_policy_mode_and_partial_last_batch(tmp_path):
    cfg = EvalPipelineConfig(
        env=make_env_config("pusht", episode_length=5),
        eval=EvalConfig(n_episodes=3, batch_size=2),
        output_dir=tmp_path,
        seed=7,
        max_episodes_rendered=3,
    )
    info = eval_main(cfg, progress=False)
    assert [e["seed"] for e in info["per_episode"]] == [7, 8, 9]
    assert [os.path.basename(p) for p in info["overall"]["video_paths"]] == [
        f"eval_episode_{i}.mp4" for i in range(3)
    ]
    assert all(os.path.getsize(p) > 0 for p in info["overall"]["video_paths"])
    assert cfg.job_name == "pusht_random"
    again = eval_main(cfg, progress=False)
    assert again["per_episode"] == info["per_episode"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"n_episodes": 2, "batch_size": 4},
            r"--eval.batch_size \(4\) cannot exceed --eval.n_episodes \(2\)",
        ),
        ({"n_episodes": 0}, r"--eval.n_episodes must be a positive integer"),
        ({"n_episodes": 2, "batch_size": 0}, r"--eval.batch_size .* must be a positive integer"),
    ],
)
def test_bad_eval_flags(kwargs, match):
    with pytest.raises(ValueError, match=match):
        EvalConfig(**kwargs)


def test_bad_pipeline_flags(tmp_path):
    with pytest.raises(ValueError, match="--seed must be a non-negative integer"):
        EvalPipelineConfig(env=make_env_config("pusht"), seed=-1, output_dir=tmp_path)
    with pytest.raises(ValueError, match="--env.type is required"):
        EvalPipelineConfig(env=None, output_dir=tmp_path)
