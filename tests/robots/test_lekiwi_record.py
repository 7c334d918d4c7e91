"""LeKiwi end to end: host on a simulated bus (file camera), client over ZMQ on loopback, teleoperated by the
`lekiwi_leader` (SO-100 leader arm + keyboard base): calibrate -> teleoperate -> record 2 episodes -> replay."""

import threading
import time

import numpy as np
import pytest

from lerobot.cameras.opencv import OpenCVCameraConfig
from lerobot.configs.parser import parse
from lerobot.robots import make_robot_from_config
from lerobot.robots.lekiwi import LeKiwiHostConfig
from lerobot.robots.lekiwi.lekiwi_host import LeKiwiHost
from lerobot.scripts.lerobot_record import RecordConfig, new_events, record_session
from lerobot.scripts.lerobot_replay import DatasetReplayConfig, replay_on
from lerobot.scripts.lerobot_teleoperate import teleop_loop
from lerobot.teleoperators import make_teleoperator_from_config
from tests.robots.conftest import RANGE_HI, RANGE_LO, make_sim, scripted_calibration
from tests.robots.test_lekiwi import connected_kiwi, free_ports

pytest.importorskip("zmq")


def test_lekiwi_client_record_two_episodes_then_replay(tmp_path):
    from lerobot.datasets.lerobot_dataset import LeRobotDataset
    from tests.cameras.conftest import make_video

    kiwi_sim, leader_sim = make_sim("lekiwi"), make_sim("so100_leader")
    cam = OpenCVCameraConfig(
        index_or_path=make_video(tmp_path / "front.mp4"), fps=30, width=96, height=64, warmup_s=0
    )
    robot = connected_kiwi(kiwi_sim, cameras={"front": cam})  # calibrated on the robot (scripted)
    cmd_port, obs_port = free_ports(2)
    host = LeKiwiHost(
        robot, LeKiwiHostConfig(port_zmq_cmd=cmd_port, port_zmq_observations=obs_port), bind_ip="127.0.0.1"
    )
    stop_host, stop_mover = threading.Event(), threading.Event()
    host_thread = threading.Thread(target=host.run, args=(stop_host,), daemon=True)
    host_thread.start()

    def move_leader():  # the user moves the leader's shoulder_lift (id 2)
        pos = RANGE_LO + 200
        while not stop_mover.is_set():
            leader_sim.set_present(2, pos)
            pos = RANGE_LO + 200 + (pos - RANGE_LO + 40) % (RANGE_HI - RANGE_LO - 400)
            time.sleep(0.03)

    mover = threading.Thread(target=move_leader, daemon=True)
    try:
        cfg = parse(
            RecordConfig,
            [
                "--robot.type=lekiwi_client",
                "--robot.remote_ip=127.0.0.1",
                f"--robot.port_zmq_cmd={cmd_port}",
                f"--robot.port_zmq_observations={obs_port}",
                "--robot.camera_shapes={front: [64, 96, 3]}",
                "--teleop.type=lekiwi_leader",
                f"--teleop.port={leader_sim.port}",
                "--teleop.id=l1",
                "--teleop.keyboard_backend=none",
                "--dataset.repo_id=test/kiwi",
                f"--dataset.root={tmp_path / 'ds'}",
                "--dataset.single_task=Go",
                "--dataset.fps=15",
                "--dataset.episode_time_s=0.6",
                "--dataset.reset_time_s=0.2",
                "--dataset.num_episodes=2",
                "--dataset.push_to_hub=false",
                "--play_sounds=false",
                "--keyboard=none",
            ],  # fmt: skip
        )
        client, teleop = make_robot_from_config(cfg.robot), make_teleoperator_from_config(cfg.teleop)
        assert teleop.action_features == client.action_features

        # Calibrate the leader (scripted); the file is the so100_leader one of the same id.
        teleop.input_fn = scripted_calibration(leader_sim, teleop.arm)
        teleop.connect()
        assert teleop.arm.calibration_fpath.parent.name == "so100_leader"
        teleop.keyboard.press("x")  # rotate right
        teleop.keyboard.press("r")  # one speed level up
        action = teleop.get_action()
        assert (action["x.vel"], action["y.vel"], action["theta.vel"]) == (0.0, 0.0, -60.0)
        for key in ("x", "r"):
            teleop.keyboard.release(key)
        teleop.speed_index = 0
        teleop.disconnect()

        # Teleoperate: the leader's pose and the held keys reach the robot through the host.
        leader_sim.set_present(2, 2600)
        teleop.keyboard.press("w")
        with teleop, client:
            teleop_loop(teleop, client, 30, 0.5)
        deadline = time.monotonic() + 3  # the arm keeps moving to its last goal
        while abs(kiwi_sim.present(2) - 2600) > 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert abs(kiwi_sim.present(2) - 2600) <= 2  # the arm followed the leader
        assert host.commands_applied > 0

        # Record while the user moves the leader and holds "w".
        mover.start()
        dataset, stats = record_session(client, teleop, cfg, new_events())  # "w" still held
        stop_mover.set()
        mover.join()
        assert len(stats) == 2 and all(s["ticks"] >= 3 for s in stats)

        ds = LeRobotDataset("test/kiwi", root=tmp_path / "ds")
        assert ds.num_episodes == 2 and ds.meta.robot_type == "lekiwi_client"
        names = ds.meta.features["action"]["names"]
        assert names == list(client.action_features)
        assert tuple(ds[0]["observation.images.front"].shape) == (3, 64, 96)
        actions = np.stack([ds[i]["action"].numpy() for i in range(len(ds))])
        col = {n: actions[:, i] for i, n in enumerate(names)}
        assert col["arm_shoulder_lift.pos"].std() > 0.5  # the leader's moving joint
        np.testing.assert_allclose(col["x.vel"], 0.1)  # "w": first speed level
        np.testing.assert_allclose(col["y.vel"], 0.0)
        np.testing.assert_allclose(col["theta.vel"], 0.0)

        # Replay episode 1 through the client: the host receives exactly the recorded actions.
        applied = host.commands_applied
        replayed = replay_on(client, DatasetReplayConfig("test/kiwi", 1, root=tmp_path / "ds", fps=50))
        from_ep, to_ep = ds.meta.episode_range(1)
        np.testing.assert_allclose(replayed, actions[from_ep:to_ep], atol=1e-6)
        assert host.commands_applied > applied
        assert any(kiwi_sim.motor(i).get("Goal_Velocity") != 0 for i in (7, 8, 9))  # the base drove
    finally:
        stop_mover.set()
        stop_host.set()
        host_thread.join(timeout=5)
        host.close()
        robot.disconnect()
        leader_sim.stop()
        kiwi_sim.stop()
    assert not any(kiwi_sim.torque_enabled(i) for i in kiwi_sim.motors)
