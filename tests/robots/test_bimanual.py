"""ALOHA: two ViperX followers driven by two WidowX leaders, each arm on its own simulated bus."""

import time

import pytest

from lerobot.devices.device import calibration_root
from lerobot.motors.sim_bus import MULTI_BUS_PRESETS
from lerobot.robots import AlohaConfig, make_robot_from_config
from lerobot.teleoperators import AlohaLeaderConfig, make_teleoperator_from_config
from tests.robots.conftest import make_sim, scripted_calibration


@pytest.fixture
def aloha_sims():
    sims = {
        kind: {side: make_sim(preset) for side, preset in MULTI_BUS_PRESETS[kind].items()}
        for kind in ("aloha", "aloha_leader")
    }
    yield sims
    for by_side in sims.values():
        for sim in by_side.values():
            sim.stop()


def test_aloha_teleoperation_and_shadows(aloha_sims):
    robot_sims, leader_sims = aloha_sims["aloha"], aloha_sims["aloha_leader"]
    robot = make_robot_from_config(
        AlohaConfig(
            id="a1",
            left_arm_port=robot_sims["left"].port,
            right_arm_port=robot_sims["right"].port,
            cameras={},
            max_relative_target=None,
        )
    )
    leader = make_teleoperator_from_config(
        AlohaLeaderConfig(
            id="l1", left_arm_port=leader_sims["left"].port, right_arm_port=leader_sims["right"].port
        )
    )
    assert len(robot.action_features) == 14 and "left_waist.pos" in robot.action_features
    assert "left_shoulder_shadow.pos" not in robot.action_features
    robot.input_fn = scripted_calibration(robot_sims, robot.arms)
    leader.input_fn = scripted_calibration(leader_sims, leader.arms)
    robot.connect()
    leader.connect()
    for side in ("left", "right"):
        assert (calibration_root() / "robots" / "aloha" / f"a1_{side}.json").is_file()
        assert (calibration_root() / "teleoperators" / "aloha_leader" / f"l1_{side}.json").is_file()
    leader_sims["left"].set_present(2, 1400)  # left shoulder
    leader_sims["right"].set_present(4, 2600)  # right elbow
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        action = leader.get_action()
        robot.send_action(action)
        obs = robot.get_observation()
        if all(abs(obs[k] - v) < 0.5 for k, v in action.items()):
            break
        time.sleep(0.01)
    assert all(abs(obs[k] - v) < 0.5 for k, v in action.items())
    # Shadow motors received every goal of their primary through their Secondary_ID.
    for sim in robot_sims.values():
        for shadow_id, primary_id in ((3, 2), (5, 4)):
            assert sim.motor(shadow_id).get("Goal_Position") == sim.motor(primary_id).get("Goal_Position")
    with pytest.raises(KeyError, match="must start with one of"):
        robot.send_action({"waist.pos": 0.0})
    robot.disconnect()
    leader.disconnect()
    for sim in (*robot_sims.values(), *leader_sims.values()):
        assert not any(sim.torque_enabled(i) for i in sim.motors)


def test_aloha_defaults():
    cfg = AlohaConfig(id="x")
    assert cfg.max_relative_target == 5.0
    assert set(cfg.cameras) == {"cam_high", "cam_low", "cam_left_wrist", "cam_right_wrist"}
    assert all(c.type == "intelrealsense" for c in cfg.cameras.values())


def test_aloha_record_two_episodes_then_replay(aloha_sims, tmp_path):
    from lerobot.configs.parser import parse
    from lerobot.scripts.lerobot_record import RecordConfig, new_events, record_session
    from lerobot.scripts.lerobot_replay import DatasetReplayConfig, replay_on

    robot_sims, leader_sims = aloha_sims["aloha"], aloha_sims["aloha_leader"]
    ports = {
        "robot": [
            f"--robot.left_arm_port={robot_sims['left'].port}",
            f"--robot.right_arm_port={robot_sims['right'].port}",
        ],
        "teleop": [
            f"--teleop.left_arm_port={leader_sims['left'].port}",
            f"--teleop.right_arm_port={leader_sims['right'].port}",
        ],
    }
    cfg = parse(
        RecordConfig,
        [
            "--robot.type=aloha", "--robot.id=a1", "--robot.cameras={}", *ports["robot"],
            "--teleop.type=aloha_leader", "--teleop.id=l1", *ports["teleop"],
            "--dataset.repo_id=test/aloha", f"--dataset.root={tmp_path / 'ds'}", "--dataset.single_task=t",
            "--dataset.fps=10", "--dataset.episode_time_s=0.4", "--dataset.reset_time_s=0", "--dataset.num_episodes=2",
            "--dataset.push_to_hub=false", "--play_sounds=false", "--keyboard=none",
        ],
    )  # fmt: skip
    robot, leader = make_robot_from_config(cfg.robot), make_teleoperator_from_config(cfg.teleop)
    robot.input_fn = scripted_calibration(robot_sims, robot.arms)
    leader.input_fn = scripted_calibration(leader_sims, leader.arms)
    leader_sims["right"].set_present(1, 2300)  # right waist
    dataset, stats = record_session(robot, leader, cfg, new_events())
    assert dataset.num_episodes == 2 and dataset.meta.robot_type == "aloha"
    assert len(dataset.meta.features["action"]["names"]) == 14
    sent = replay_on(
        robot, DatasetReplayConfig(repo_id="test/aloha", episode=1, root=tmp_path / "ds", fps=50)
    )
    from_ep, to_ep = dataset.meta.episode_range(1)
    assert sent.shape == (to_ep - from_ep, 14)
    for sim in (*robot_sims.values(), *leader_sims.values()):
        assert not any(sim.torque_enabled(i) for i in sim.motors)
