"""The v2.1 `control_robot.py` entry point on mock (simulated) buses: calibrate, teleoperate, record, replay."""

import json

import numpy as np
import pytest

from lerobot.configs.parser import parse
from lerobot.legacy.devices import Devices, LegacyManipulator
from lerobot.scripts.control_robot import ControlPipelineConfig, control_robot
from tests.robots.conftest import file_camera_flag, scripted_calibration


def run(args, devices):
    cfg = parse(ControlPipelineConfig, args)
    return cfg.control.run(devices)


def test_control_robot_flows_on_mock_buses(tmp_path):
    from tests.cameras.conftest import make_video

    base = ["--robot.type=so100", "--robot.mock=true", f"--robot.calibration_dir={tmp_path / 'calib'}"]
    video = make_video(tmp_path / "laptop.mp4")
    base.append(file_camera_flag(video, "laptop"))
    cfg = parse(ControlPipelineConfig, [*base, "--control.type=calibrate"])
    devices = Devices(cfg.robot)
    try:
        follower_sim, leader_sim = devices.sims
        arms = {"follower": devices.robot().arms["main"], "leader": devices.leaders().arms["main"]}
        devices.input_fn = scripted_calibration({"follower": follower_sim, "leader": leader_sim}, arms)
        assert cfg.control.run(devices) == ["main_follower", "main_leader"]
        data = json.loads((tmp_path / "calib" / "main_follower.json").read_text())
        assert data["gripper"]["id"] == 6 and data["wrist_roll"]["range_max"] == 4095
        assert (tmp_path / "calib" / "main_leader.json").is_file()

        leader_sim.set_present(2, 2600)
        stats = run(
            [*base, "--control.type=teleoperate", "--control.fps=50", "--control.teleop_time_s=1"], devices
        )
        assert stats["ticks"] > 5
        assert abs(follower_sim.present(2) - 2600) <= 2

        rec = [
            "--control.type=record", "--control.repo_id=me/legacy", f"--control.root={tmp_path / 'ds'}",
            "--control.single_task=t", "--control.fps=20", "--control.warmup_time_s=0", "--control.episode_time_s=0.5",
            "--control.reset_time_s=0", "--control.num_episodes=1", "--control.push_to_hub=false",
            "--control.play_sounds=false", "--control.keyboard=none",
        ]  # fmt: skip
        dataset, _ = run([*base, *rec], devices)
        assert dataset.meta.robot_type == "so100" and dataset.num_episodes == 1
        names = dataset.meta.features["action"]["names"]
        assert names[0] == "main_shoulder_pan.pos"
        sent = run([*base, "--control.type=replay", "--control.repo_id=me/legacy", f"--control.root={tmp_path / 'ds'}",
                    "--control.episode=0", "--control.fps=50"], devices)  # fmt: skip
        assert sent.shape == (dataset.num_frames, len(names)) and np.isfinite(sent).all()
        assert not any(follower_sim.torque_enabled(i) for i in follower_sim.motors)
        with pytest.raises(ValueError, match="unknown arms \\['side_follower'\\]"):
            run([*base, "--control.type=calibrate", "--control.arms=[side_follower]"], devices)

        # --control.policy.path: a checkpoint trained on that recording drives an eval_ recording.
        from lerobot.policies.factory import make_policy, make_policy_config

        policy_cfg = make_policy_config(
            "act", device="cpu", chunk_size=4, n_action_steps=4, dim_model=32, n_heads=2, dim_feedforward=64,
            n_encoder_layers=1, n_decoder_layers=1, n_vae_encoder_layers=1, pretrained_backbone_weights=None,
        )  # fmt: skip
        make_policy(policy_cfg, ds_meta=dataset.meta).save_pretrained(tmp_path / "ckpt")
        # 2 s: >= 2 policy ticks even on a loaded machine (the first tick takes ~1 s there).
        skip = ("--control.root", "--control.repo_id", "--control.episode_time_s")
        rec_eval = [a for a in rec if not a.startswith(skip)] + ["--control.episode_time_s=2"]
        rec_eval += ["--control.repo_id=me/eval_legacy", f"--control.root={tmp_path / 'eval'}"]
        rec_eval += [f"--control.policy.path={tmp_path / 'ckpt'}"]
        dataset, stats = run([*base, *rec_eval, "--control.policy.n_action_steps=2"], devices)
        assert dataset.num_episodes == 1 and stats[0]["ticks"] >= 2
        actions = np.stack([dataset[i]["action"].numpy() for i in range(len(dataset))])
        # The last action the policy chose is the follower's goal (1 tick of bus quantization).
        calib = json.loads((tmp_path / "calib" / "main_follower.json").read_text())["shoulder_lift"]
        expected = actions[-1, 1] * 4095 / 360 + (calib["range_min"] + calib["range_max"]) / 2
        expected = min(max(expected, calib["range_min"]), calib["range_max"])
        assert abs(follower_sim.motor(2).get("Goal_Position") - expected) <= 1.0
        with pytest.raises(ValueError, match="name it 'eval_...'"):
            run([*base, *[a.replace("eval_legacy", "legacy2") for a in rec_eval]], devices)
    finally:
        devices.close()


def test_mock_calibration_needs_no_person(tmp_path, capsys):
    """`--robot.mock=true` from a terminal: a simulated user answers the prompts and sweeps the joints."""
    from lerobot.scripts.control_robot import main

    calib = tmp_path / "calib"
    main(
        [
            "--robot.type=koch",
            "--robot.mock=true",
            f"--robot.calibration_dir={calib}",
            "--control.type=calibrate",
        ]
    )
    for arm in ("main_follower", "main_leader"):
        data = json.loads((calib / f"{arm}.json").read_text())
        assert (data["elbow_flex"]["range_min"], data["elbow_flex"]["range_max"]) == (1024, 3072)
    assert capsys.readouterr().out.count("[simulated user] sweeping the joints") == 2


def test_legacy_types_and_validation(tmp_path):
    cfg = parse(
        ControlPipelineConfig, ["--robot.type=aloha", "--robot.cameras={}", "--control.type=teleoperate"]
    )
    assert cfg.robot.max_relative_target == 5.0 and set(cfg.robot.follower_arms) == {"left", "right"}
    robot = LegacyManipulator(cfg.robot, cfg.robot.follower_arms)
    assert robot.name == "aloha" and "left_waist.pos" in robot.action_features
    with pytest.raises(ValueError, match="runs a LeKiwi host"):
        control_robot(
            parse(
                ControlPipelineConfig,
                ["--robot.type=so100", "--robot.mock=true", "--control.type=remote_robot"],
            )
        )
