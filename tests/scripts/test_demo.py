"""The `make demo` pipeline at toy size (the full demo is not part of `make test`): every step runs and
writes what it promises; and the scripted PushT expert beats random actions."""

import json

import gymnasium as gym
import numpy as np
import pytest

from lerobot.datasets.lerobot_dataset import LeRobotDataset
from lerobot.envs.experts import PushTExpert
from lerobot.scripts import demo


def test_expert_beats_random_on_pusht():
    import gym_pusht  # noqa: F401

    env = gym.make("gym_pusht/PushT-v0", obs_type="environment_state_agent_pos", max_episode_steps=150)
    expert, scores = PushTExpert(), {"expert": [], "random": []}
    for seed in range(4):
        for name in scores:
            env.reset(seed=seed)
            env.action_space.seed(seed)
            best = 0.0
            for _ in range(150):
                action = expert(env) if name == "expert" else env.action_space.sample()
                _, reward, terminated, truncated, _ = env.step(action)
                best = max(best, reward)
                if terminated or truncated:
                    break
            scores[name].append(best)
    env.close()
    assert np.mean(scores["expert"]) > 2 * np.mean(scores["random"]) + 0.1, scores


def test_expert_rejects_bad_parameters():
    with pytest.raises(ValueError, match="positive pixel distances"):
        PushTExpert(contact_radius=0)


@pytest.mark.slow
def test_demo_pipeline_smoke(tmp_path, monkeypatch):
    monkeypatch.setenv("MUJOCO_GL", "egl")
    out = tmp_path / "demo"
    demo.main(["collect", f"--out={out}", "--n_episodes=2", "--max_steps=15"])
    ds = LeRobotDataset(demo.REPO_ID, root=out / "dataset")
    assert ds.meta.info["codebase_version"] == "v3.0" and ds.num_episodes == 2
    assert set(demo.FEATURES) <= set(ds.features)

    demo.main(["train", f"--out={out}", "--steps=3", "--batch_size=4"])
    assert (out / "train" / "checkpoints" / "last" / "pretrained_model" / "model.safetensors").is_file()
    assert (out / "training_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    demo.main(["evaluate", f"--out={out}", "--n_episodes=1", "--max_steps=10"])
    report = json.loads((out / "report.json").read_text())
    assert set(report["results"]) == {"trained", "random", "expert"}
    assert report["rollout_video"].endswith(".mp4")
    for name in ("trained", "random", "expert"):
        info = json.loads((out / "eval" / name / "eval_info.json").read_text())
        assert info["overall"]["n_episodes"] == 1
