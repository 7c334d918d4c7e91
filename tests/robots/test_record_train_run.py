"""The hardware guide's whole loop on simulated buses: record teleoperated episodes with `lerobot-record`,
train ACT on them with `lerobot-train` (the real CLI, from the recorded folder), then let the trained
checkpoint drive the follower in an `eval_` recording (`--policy.path`)."""

import json

import numpy as np
import pytest

from lerobot.configs.parser import parse
from lerobot.devices.device import calibration_root
from lerobot.scripts.lerobot_record import RecordConfig, new_events, record
from tests.robots.conftest import file_camera_flag, make_sim
from tests.robots.test_record_replay import calibrate_pair

pytest.importorskip("torch")


def test_record_then_train_then_run_the_policy(tmp_path):
    from lerobot.datasets.lerobot_dataset import LeRobotDataset
    from lerobot.scripts.train import main as train_main
    from tests.cameras.conftest import make_video

    sims = (make_sim("so100_follower"), make_sim("so100_leader"))
    try:
        calibrate_pair("so100", sims)
        video = make_video(tmp_path / "front.mp4")
        robot_args = [
            "--robot.type=so100_follower", f"--robot.port={sims[0].port}", "--robot.id=f1",
            file_camera_flag(video),
        ]  # fmt: skip
        common = ["--dataset.fps=10", "--dataset.reset_time_s=0", "--dataset.push_to_hub=false"]
        common += ["--play_sounds=false", "--keyboard=none", "--dataset.single_task=Pick the cube"]
        sims[1].set_present(2, 2600)  # the user holds the leader's shoulder_lift somewhere
        record(
            parse(
                RecordConfig,
                [
                    *robot_args,
                    *common,
                    "--teleop.type=so100_leader",
                    f"--teleop.port={sims[1].port}",
                    "--teleop.id=l1",
                    "--dataset.repo_id=me/pick",
                    f"--dataset.root={tmp_path / 'pick'}",
                    "--dataset.num_episodes=2",
                    "--dataset.episode_time_s=0.6",
                ],
            ),  # fmt: skip
            events=new_events(),
        )

        out = tmp_path / "train"
        train_main(
            [
                "--dataset.repo_id=me/pick",
                f"--dataset.root={tmp_path / 'pick'}",
                "--policy.type=act",
                "--policy.device=cpu",
                "--policy.push_to_hub=false",
                "--policy.chunk_size=4",
                "--policy.n_action_steps=4",
                "--policy.dim_model=32",
                "--policy.n_heads=2",
                "--policy.dim_feedforward=64",
                "--policy.n_encoder_layers=1",
                "--policy.n_decoder_layers=1",
                "--policy.n_vae_encoder_layers=1",
                "--policy.pretrained_backbone_weights=null",
                "--steps=2",
                "--batch_size=2",
                "--num_workers=0",
                "--save_freq=2",
                "--log_freq=1",
                f"--output_dir={out}",
            ]  # fmt: skip
        )
        checkpoint = out / "checkpoints" / "last" / "pretrained_model"
        config = json.loads((checkpoint / "config.json").read_text())
        assert config["type"] == "act"
        assert set(config["input_features"]) == {"observation.state", "observation.images.front"}

        eval_args = [*robot_args, *common, f"--policy.path={checkpoint}", "--dataset.num_episodes=1"]
        eval_args += ["--dataset.repo_id=me/eval_pick", f"--dataset.root={tmp_path / 'eval'}"]
        eval_args += ["--dataset.episode_time_s=2"]  # >= 2 ticks even on a loaded machine (first tick ~1 s)
        with pytest.raises(ValueError, match="name it 'eval_...'"):  # policy rollouts are evaluations
            parse(RecordConfig, [a.replace("me/eval_pick", "me/pick2") for a in eval_args])
        dataset, stats = record(parse(RecordConfig, eval_args), events=new_events())
        assert dataset.num_episodes == 1 and stats[0]["ticks"] >= 2
        ds = LeRobotDataset("me/eval_pick", root=tmp_path / "eval")
        actions = np.stack([ds[i]["action"].numpy() for i in range(len(ds))])
        assert np.isfinite(actions).all() and actions.shape[1] == 6
        # The follower was driven by the policy: its last goal is the last recorded action (1-tick bus quantum).
        calib = json.loads((calibration_root() / "robots" / "so100_follower" / "f1.json").read_text())
        lo, hi = calib["shoulder_lift"]["range_min"], calib["shoulder_lift"]["range_max"]
        expected = actions[-1, 1] * 4095 / 360 + (lo + hi) / 2
        assert abs(sims[0].motor(2).get("Goal_Position") - min(max(expected, lo), hi)) <= 1.0
    finally:
        for sim in sims:
            sim.stop()
