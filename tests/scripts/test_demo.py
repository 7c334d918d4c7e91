"""The `make demo` pipeline at toy size (the full demo is not part of `make test`): every step runs and
writes what it promises; and the scripted PushT expert solves the task (translation and rotation)."""

import json

import gymnasium as gym
import numpy as np
import pytest

from lerobot.datasets.lerobot_dataset import LeRobotDataset
from lerobot.envs.experts import PUSHT_GOAL_POSE, PushTExpert
from lerobot.scripts import demo


def _run_pusht(policy, seed: int, max_steps: int = 300) -> tuple[bool, float]:
    import gym_pusht  # noqa: F401

    env = gym.make("gym_pusht/PushT-v0", obs_type="environment_state_agent_pos", max_episode_steps=max_steps)
    try:
        env.reset(seed=seed)
        env.action_space.seed(seed)
        best = 0.0
        for _ in range(max_steps):
            _, reward, terminated, truncated, info = env.step(policy(env))
            best = max(best, float(reward))
            if terminated or truncated:
                break
        return bool(info["is_success"]), best
    finally:
        env.close()


def test_expert_solves_pusht_translation_and_rotation():
    # Seeds 0-5 start with the T up to 173 degrees away from the goal angle and anywhere in the arena; the
    # expert solves 99 of seeds 0-99 (README "The demo"), random actions none.
    expert = PushTExpert()
    runs = [_run_pusht(expert, seed) for seed in range(6)]
    assert sum(success for success, _ in runs) >= 5, runs


def test_expert_rejects_bad_parameters():
    with pytest.raises(ValueError, match="positive pixel distances"):
        PushTExpert(max_push=0)
    with pytest.raises(ValueError, match="min_push must be in"):
        PushTExpert(min_push=40.0, max_push=30.0)
    with pytest.raises(ValueError, match="samples_per_edge"):
        PushTExpert(samples_per_edge=0)


def test_demo_rejects_bad_flags(capsys):
    with pytest.raises(SystemExit) as exc:
        demo.main(["train", "--steps=0"])
    assert exc.value.code == 2
    assert "--steps must be a positive integer" in capsys.readouterr().err


@pytest.mark.slow
def test_demo_pipeline_smoke(tmp_path, monkeypatch):
    monkeypatch.setenv("MUJOCO_GL", "egl")
    out = tmp_path / "demo"
    demo.main(["collect", f"--out={out}", "--n_episodes=2", "--max_steps=15"])
    ds = LeRobotDataset(demo.REPO_ID, root=out / "dataset")
    # 2 episodes from the env's random start, then as many starting near the goal (the end game).
    assert ds.meta.info["codebase_version"] == "v3.0" and ds.num_episodes == 4
    assert set(demo.FEATURES) <= set(ds.features)
    env = demo._make_pusht(10)
    try:  # the T's keypoints at the goal pose
        goal_obs, _ = env.reset(options={"reset_to_state": [50.0, 50.0, *PUSHT_GOAL_POSE]})
    finally:
        env.close()
    goal_kp = goal_obs["environment_state"].reshape(8, 2)
    starts = ds.hf_dataset.to_pandas().groupby("episode_index").first()["observation.environment_state"]
    offsets = [np.abs(np.stack(kp).reshape(8, 2) - goal_kp).max() for kp in starts]
    # 40 px and 0.5 rad off at most: no keypoint (<= 130 px from the centre of rotation) moves > 120 px.
    assert max(offsets[2:]) < 120.0, offsets

    demo.main(["train", f"--out={out}", "--steps=4", "--batch_size=4", "--eval_freq=2",
               "--train_eval_episodes=1", "--max_steps=10"])  # fmt: skip
    assert (out / "train" / "checkpoints" / "last" / "pretrained_model" / "model.safetensors").is_file()
    assert (out / "training_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    evals = [json.loads(line) for line in (out / "train" / "eval_metrics.jsonl").read_text().splitlines()]
    assert [e["step"] for e in evals] == [2, 4]

    (out / "rollout_success.mp4").write_bytes(b"stale")  # from an earlier run: must not stay
    demo.main(["evaluate", f"--out={out}", "--n_episodes=2", "--n_expert_eval=3", "--max_steps=10"])
    report = json.loads((out / "report.json").read_text())
    assert set(report["results"]) == {"trained", "random", "expert"}
    for name, n in (("trained", 2), ("random", 2), ("expert", 3)):
        r = report["results"][name]
        assert r["n_episodes"] == n
        low, high = r["pc_success_ci95"]
        assert 0.0 <= low <= r["pc_success"] <= high <= 100.0
        assert 0.0 <= r["avg_max_reward"] <= 1.0
        info = json.loads((out / "eval" / name / "eval_info.json").read_text())
        assert info["overall"]["n_episodes"] == n
    # 10 steps are too few to succeed: both trained episodes fail, and the failure video is copied.
    assert report["rollout_videos"]["success"] is None and not (out / "rollout_success.mp4").exists()
    assert report["rollout_videos"]["failure"].endswith("rollout_failure.mp4")
    assert (out / "rollout_failure.mp4").stat().st_size > 0
    assert report["training_curve"].endswith("training_curve.png")
