"""Record 2 short episodes leader -> follower on simulated buses (with a file camera), then replay one."""

import threading
import time

import numpy as np
import pytest

from lerobot.configs.parser import parse
from lerobot.robots.dataset_features import build_dataset_frame, hw_to_dataset_features
from lerobot.scripts.lerobot_record import RecordConfig, new_events, record
from lerobot.scripts.lerobot_replay import ReplayConfig, replay
from tests.robots.conftest import PAIRS, RANGE_HI, RANGE_LO, file_camera_flag, make_sim, scripted_calibration
from tests.robots.test_robots import make_pair


def calibrate_pair(pair, sims, **kwargs):
    follower, leader = make_pair(pair, sims, **kwargs)
    for device, sim in ((follower, sims[0]), (leader, sims[1])):
        device.input_fn = scripted_calibration(sim, device)
        device.connect()
        device.disconnect()


def test_hw_to_dataset_features_and_frames():
    hw = {"a.pos": float, "b.pos": float, "front": (4, 6, 3)}
    obs_ft = hw_to_dataset_features(hw, "observation")
    assert obs_ft["observation.state"] == {"dtype": "float32", "shape": [2], "names": ["a.pos", "b.pos"]}
    assert obs_ft["observation.images.front"]["dtype"] == "video"
    assert (
        hw_to_dataset_features(hw, "observation", use_video=False)["observation.images.front"]["dtype"]
        == "image"
    )
    act_ft = hw_to_dataset_features({"a.pos": float}, "action")
    assert list(act_ft) == ["action"]
    frame = build_dataset_frame(
        obs_ft, {"b.pos": 2.0, "a.pos": 1.0, "front": np.zeros((4, 6, 3))}, "observation"
    )
    assert frame["observation.state"].tolist() == [1.0, 2.0] and frame["observation.images.front"].shape == (
        4,
        6,
        3,
    )
    with pytest.raises(ValueError, match="neither float nor"):
        hw_to_dataset_features({"x": str}, "observation")


@pytest.mark.parametrize("pair", sorted(PAIRS))
def test_record_two_episodes_then_replay(pair, tmp_path):
    from tests.cameras.conftest import make_video

    sims = (
        make_sim(PAIRS[pair][0].get_choice_name(PAIRS[pair][0])),
        make_sim(PAIRS[pair][1].get_choice_name(PAIRS[pair][1])),
    )
    try:
        calibrate_pair(pair, sims)
        video = make_video(tmp_path / "front.mp4")
        ftype, ltype = (c.get_choice_name(c) for c in PAIRS[pair])
        args = [
            f"--robot.type={ftype}", f"--robot.port={sims[0].port}", "--robot.id=f1", "--robot.max_relative_target=null",
            f"--teleop.type={ltype}", f"--teleop.port={sims[1].port}", "--teleop.id=l1",
            "--dataset.repo_id=test/rec", f"--dataset.root={tmp_path / 'ds'}", "--dataset.single_task=Pick the cube",
            "--dataset.fps=15", "--dataset.episode_time_s=0.6", "--dataset.reset_time_s=0.2",
            "--dataset.num_episodes=2", "--dataset.push_to_hub=false", "--play_sounds=false", "--keyboard=none",
        ]  # fmt: skip
        if pair == "so100":
            args.append(file_camera_flag(video))
        cfg = parse(RecordConfig, args)
        # The user moves the leader while recording.
        stop = threading.Event()

        def move_leader():
            pos = RANGE_LO + 200
            while not stop.is_set():
                sims[1].set_present(2, pos)
                pos = RANGE_LO + 200 + (pos - RANGE_LO + 40) % (RANGE_HI - RANGE_LO - 400)
                time.sleep(0.03)

        mover = threading.Thread(target=move_leader, daemon=True)
        mover.start()
        try:
            dataset, stats = record(cfg, events=new_events())
        finally:
            stop.set()
            mover.join()
        assert len(stats) == 2 and all(s["ticks"] >= 3 for s in stats)
        assert not any(sims[0].torque_enabled(i) for i in sims[0].motors)

        from lerobot.datasets.lerobot_dataset import LeRobotDataset

        ds = LeRobotDataset("test/rec", root=tmp_path / "ds")
        assert ds.num_episodes == 2 and ds.meta.robot_type == ftype
        item = ds[0]
        assert item["task"] == "Pick the cube"
        if pair == "so100":
            assert tuple(item["observation.images.front"].shape) == (3, 64, 96)
        names = ds.meta.features["action"]["names"]
        assert names[1] in ("shoulder_lift.pos", "shoulder.pos") and all(n.endswith(".pos") for n in names)
        actions = np.stack([ds[i]["action"].numpy() for i in range(len(ds))])
        # The recorded actions are what the leader commanded: the moved joint varies, all within range.
        moved = actions[:, 1]  # motor id 2, moved by the user
        assert moved.std() > 0.5

        replayed = replay(
            parse(
                ReplayConfig,
                [
                    f"--robot.type={ftype}",
                    f"--robot.port={sims[0].port}",
                    "--robot.id=f1",
                    "--robot.max_relative_target=null",
                    "--dataset.repo_id=test/rec",
                    f"--dataset.root={tmp_path / 'ds'}",
                    "--dataset.episode=1",
                    "--dataset.fps=50",
                    "--play_sounds=false",
                ],  # fmt: skip
            )
        )
        from_ep, to_ep = ds.meta.episode_range(1)
        np.testing.assert_allclose(replayed, actions[from_ep:to_ep], atol=1e-4)
    finally:
        for sim in sims:
            sim.stop()


def test_rerecord_stop_and_resume(tmp_path):
    """Left arrow re-records (the episode is dropped), Esc stops (the current episode is saved);
    --resume appends to the dataset."""
    sims = (make_sim("so100_follower"), make_sim("so100_leader"))
    try:
        calibrate_pair("so100", sims)
        base = [
            "--robot.type=so100_follower", f"--robot.port={sims[0].port}", "--robot.id=f1",
            "--teleop.type=so100_leader", f"--teleop.port={sims[1].port}", "--teleop.id=l1",
            "--dataset.repo_id=test/ev", f"--dataset.root={tmp_path / 'test/ev'}", "--dataset.single_task=t",
            "--dataset.fps=20", "--dataset.episode_time_s=5", "--dataset.reset_time_s=0",
            "--dataset.push_to_hub=false", "--play_sounds=false", "--keyboard=none",
        ]  # fmt: skip
        events = new_events()
        goals = sims[0].motor(1).goal_log  # grows by one per control tick once the robot runs

        def user():
            for name in ("rerecord_episode", "exit_early", "stop_recording"):
                target = len(goals) + 6  # let a few ticks of this episode be recorded
                deadline = time.monotonic() + 30
                while len(goals) < target and time.monotonic() < deadline:
                    time.sleep(0.01)
                events[name] = events["exit_early"] = True
                while events["exit_early"] and time.monotonic() < deadline:  # the loop took the key
                    time.sleep(0.01)

        thread = threading.Thread(target=user, daemon=True)
        thread.start()
        dataset, stats = record(parse(RecordConfig, [*base, "--dataset.num_episodes=5"]), events=events)
        thread.join()
        # 1st attempt re-recorded (dropped), 2nd ended early and saved, 3rd stopped by Esc and saved.
        assert len(stats) == 3 and dataset.num_episodes == 2
        # --resume with --dataset.root = a folder holding <repo_id>/ (lerobot/utils/dataset_root.py)
        resume = [a for a in base if not a.startswith("--dataset.root")] + [f"--dataset.root={tmp_path}"]
        dataset, _ = record(
            parse(
                RecordConfig,
                [*resume, "--dataset.num_episodes=1", "--dataset.episode_time_s=0.3", "--resume=true"],
            ),
            events=new_events(),
        )
        assert dataset.num_episodes == 3 and dataset.root == tmp_path / "test/ev"
        with pytest.raises(ValueError, match="needs a teleoperator"):
            parse(RecordConfig, [a for a in base if not a.startswith("--teleop")])
    finally:
        for sim in sims:
            sim.stop()
