"""`control_robot.py --robot.type=lekiwi --robot.mock=true`: simulated LeKiwi and leader buses, the LeKiwi
host in a background thread on loopback (file camera), the client and the `lekiwi_leader` on this side:
calibrate -> teleoperate -> record 2 episodes -> replay, error cases, and nothing left running."""

import json
import os
import socket
import threading
import time

import numpy as np
import pytest

from lerobot.configs.parser import parse
from lerobot.legacy.devices import LeKiwiRobotConfig
from lerobot.robots.lekiwi import LeKiwi, LeKiwiConfig
from lerobot.robots.lekiwi.lekiwi import motor_features
from lerobot.scripts import control_robot as cr
from lerobot.teleoperators.so100_leader import SO100Leader, SO100LeaderConfig
from tests.robots.conftest import RANGE_HI, RANGE_LO, file_camera_flag, scripted_calibration

pytest.importorskip("zmq")

SHOULDER_LIFT = 2  # motor id of (arm_)shoulder_lift on both buses


@pytest.fixture
def base(tmp_path):
    from tests.cameras.conftest import make_video

    video = make_video(tmp_path / "front.mp4")
    return [
        "--robot.type=lekiwi",
        "--robot.mock=true",
        f"--robot.calibration_dir={tmp_path / 'calib'}",
        file_camera_flag(video),
        "--robot.keyboard_backend=none",
    ]


def record_args(tmp_path, repo_id="me/kiwi"):
    return [
        "--control.type=record", f"--control.repo_id={repo_id}", f"--control.root={tmp_path / 'ds'}",
        "--control.single_task=Go", "--control.fps=15", "--control.warmup_time_s=0",
        "--control.episode_time_s=0.6", "--control.reset_time_s=0", "--control.num_episodes=2",
        "--control.push_to_hub=false", "--control.play_sounds=false", "--control.keyboard=none",
    ]  # fmt: skip


def run(args, devices):
    return parse(cr.ControlPipelineConfig, args).control.run(devices)


def scripted_user(kiwi_sim, leader_sim):
    """Answers the calibration prompts of both arms: ENTER at the middle, then sweep RANGE_LO..RANGE_HI."""
    arms = {
        "follower": LeKiwi(LeKiwiConfig(port="unused", cameras={})),
        "leader": SO100Leader(SO100LeaderConfig(port="unused")),
    }
    return scripted_calibration({"follower": kiwi_sim, "leader": leader_sim}, arms)


def degrees_to_raw(calib_file, motor: str):
    """Raw goal ticks of an arm joint (DEGREES mode, drive mode 0) under the calibration in `calib_file`."""
    c = json.loads(calib_file.read_text())[motor]
    assert c["drive_mode"] == 0
    return lambda deg: np.round(np.asarray(deg) * 4095 / 360 + (c["range_min"] + c["range_max"]) / 2)


def wait_until(condition, timeout_s=5.0):
    deadline = time.monotonic() + timeout_s
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return condition()


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def leftover_threads(before: set[threading.Thread]) -> list[str]:
    """Threads started since `before` and still alive (executor pools, which live on by design, aside)."""
    return [
        t.name
        for t in threading.enumerate()
        if t not in before and t.is_alive() and not t.name.startswith("ThreadPoolExecutor")
    ]


def test_lekiwi_calibrate_teleoperate_record_replay(base, tmp_path):
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    threads_before = set(threading.enumerate())
    cfg = parse(cr.ControlPipelineConfig, [*base, "--control.type=calibrate"])
    assert isinstance(cfg.robot, LeKiwiRobotConfig)
    devices = cr.Devices(cfg.robot)
    stop_mover = threading.Event()
    try:
        kiwi_sim, leader_sim = devices.sims
        assert len(kiwi_sim.motors) == 9 and len(leader_sim.motors) == 6
        devices.input_fn = scripted_user(kiwi_sim, leader_sim)

        # Calibrate: the LeKiwi bus (arm + wheels) and the leader arm, files in --robot.calibration_dir.
        assert cfg.control.run(devices) == ["main_follower", "main_leader"]
        follower_file, leader_file = (
            tmp_path / "calib" / "main_follower.json",
            tmp_path / "calib" / "main_leader.json",
        )
        follower_calib = json.loads(follower_file.read_text())
        assert follower_calib["arm_shoulder_lift"]["range_min"] == RANGE_LO
        assert follower_calib["base_left_wheel"]["range_max"] == 4095  # full-turn wheels
        assert set(json.loads(leader_file.read_text())) == {
            "shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"
        }  # fmt: skip
        assert "lekiwi_host" not in devices.services  # calibrating starts no host

        # Teleoperate: the host starts (calibration file reused), the follower follows the leader.
        leader_sim.set_present(SHOULDER_LIFT, 2600)
        stats = run(
            [*base, "--control.type=teleoperate", "--control.fps=30", "--control.teleop_time_s=0.6"], devices
        )
        assert stats["ticks"] > 5
        host = devices.services["lekiwi_host"]
        assert host.thread.is_alive() and host.host.commands_applied > 0
        goal = kiwi_sim.motor(SHOULDER_LIFT)
        assert wait_until(lambda: abs(goal.get("Goal_Position") - 2600) <= 2)
        assert wait_until(lambda: abs(kiwi_sim.present(SHOULDER_LIFT) - 2600) <= 2)  # and the shaft got there

        # Record 2 episodes while the user moves the leader's shoulder_lift.
        def move_leader():
            pos = RANGE_LO + 200
            while not stop_mover.is_set():
                leader_sim.set_present(SHOULDER_LIFT, pos)
                pos = RANGE_LO + 200 + (pos - RANGE_LO + 40) % (RANGE_HI - RANGE_LO - 400)
                time.sleep(0.03)

        mover = threading.Thread(target=move_leader, daemon=True)
        mover.start()
        goal.goal_log.clear()
        dataset, ep_stats = run([*base, *record_args(tmp_path)], devices)
        stop_mover.set()
        mover.join()
        assert len(ep_stats) == 2 and all(s["ticks"] >= 3 for s in ep_stats)
        ds = LeRobotDataset("me/kiwi", root=tmp_path / "ds")
        assert ds.num_episodes == 2 and ds.meta.robot_type == "lekiwi"
        names = ds.meta.features["action"]["names"]
        assert names == list(motor_features())  # arm_<joint>.pos, then x.vel, y.vel, theta.vel
        assert ds.meta.features["observation.state"]["names"] == names
        assert tuple(ds[0]["observation.images.front"].shape) == (3, 64, 96)
        actions = np.stack([ds[i]["action"].numpy() for i in range(len(ds))])
        col = {n: actions[:, i] for i, n in enumerate(names)}
        assert col["arm_shoulder_lift.pos"].std() > 0.5  # the moving joint
        for key in ("x.vel", "y.vel", "theta.vel"):  # no base key held
            np.testing.assert_array_equal(col[key], 0.0)
        # What was recorded is what the host applied: every goal written to the bus is a recorded action.
        to_raw = degrees_to_raw(follower_file, "arm_shoulder_lift")
        recorded_raw = set(to_raw(col["arm_shoulder_lift.pos"]).tolist())
        applied = [g for g, _ in goal.goal_log]
        assert len(set(applied)) >= 3
        assert all(min(abs(g - r) for r in recorded_raw) <= 1 for g in applied)

        # Replay episode 0: the follower's goals replay the recorded arm actions, in order.
        goal.goal_log.clear()
        from_ep, to_ep = ds.meta.episode_range(0)
        episode_raw = to_raw(actions[from_ep:to_ep, names.index("arm_shoulder_lift.pos")]).tolist()
        sent = run(
            [*base, "--control.type=replay", "--control.repo_id=me/kiwi", f"--control.root={tmp_path / 'ds'}",
             "--control.episode=0", "--control.fps=15"],
            devices,
        )  # fmt: skip
        np.testing.assert_allclose(sent, actions[from_ep:to_ep], atol=1e-5)
        assert wait_until(lambda: goal.goal_log and abs(goal.goal_log[-1][0] - episode_raw[-1]) <= 1)
        replayed = [g for g, _ in goal.goal_log]
        assert len(set(replayed)) >= 3
        index = 0  # each replayed goal is the next (or a later: commands are conflated) recorded one
        for g in replayed:
            while index < len(episode_raw) and abs(episode_raw[index] - g) > 1:
                index += 1
            assert index < len(episode_raw), f"goal {g} is not in the recorded order {episode_raw}"
        ports = (host.port_zmq_cmd, host.port_zmq_observations)
    finally:
        stop_mover.set()
        devices.close()
    assert not host.thread.is_alive()
    assert all(port_is_free(p) for p in ports)
    assert not any(kiwi_sim.torque_enabled(i) for i in kiwi_sim.motors)  # the host robot disconnected
    assert all(kiwi_sim.motor(i).get("Goal_Velocity") == 0 for i in (7, 8, 9))  # base stopped
    assert wait_until(lambda: not leftover_threads(threads_before)), leftover_threads(threads_before)

    # A control that raises after the host started (no such episode) still stops everything; the
    # calibration files exist, so the prompts are "ENTER to use the file" (the input answers "").
    fds = open_fds()
    threads_before = set(threading.enumerate())
    replay_missing = [
        "--control.type=replay", "--control.repo_id=me/kiwi", f"--control.root={tmp_path / 'ds'}",
        "--control.episode=7",
    ]  # fmt: skip
    with pytest.raises(ValueError, match="Episode 7 is not in"):
        cr.control_robot(parse(cr.ControlPipelineConfig, [*base, *replay_missing]), input_fn=lambda _: "")
    assert wait_until(lambda: not leftover_threads(threads_before)), leftover_threads(threads_before)
    assert open_fds() <= fds  # ptys, sockets, camera files: all closed


def test_lekiwi_config_and_errors(base, tmp_path):
    cfg = parse(cr.ControlPipelineConfig, ["--robot.type=lekiwi", "--control.type=teleoperate"])
    assert (cfg.robot.port, cfg.robot.video_port, cfg.robot.keyboard_backend) == (5555, 5556, "auto")
    assert set(cfg.robot.cameras) == {"front", "wrist"}
    devices = cr.Devices(cfg.robot)  # no mock: nothing starts until a control connects
    client, teleop = devices.robot(), devices.leaders()
    assert (client.config.remote_ip, client.config.port_zmq_cmd, client.config.port_zmq_observations) == (
        "10.10.10.10", 5555, 5556,
    )  # fmt: skip
    assert client.name == "lekiwi" and client.action_features == teleop.action_features
    assert client.observation_features["wrist"] == (480, 640, 3)  # 480x640 capture rotated by 90 degrees
    assert teleop.config.id == "main_leader" and teleop.config.port == cfg.robot.leader_arms["main"]
    assert set(devices.calibration_arms()) == {"main_follower", "main_leader"}

    # remote_robot needs a LeKiwi.
    with pytest.raises(ValueError, match="remote_robot runs a LeKiwi host; got --robot.type=koch"):
        cr.main(["--robot.type=koch", "--robot.mock=true", "--control.type=remote_robot", "--debug"])

    # No leader arm: teleoperate says which flag to set, before any host starts.
    threads_before = set(threading.enumerate())
    fds = open_fds()
    with pytest.raises(ValueError, match="--robot.leader_arms='\\{main: <port"):
        cr.main(
            [
                *base,
                "--robot.leader_arms={}",
                "--control.type=teleoperate",
                "--control.teleop_time_s=1",
                "--debug",
            ]
        )
    # Unknown arm in calibrate.
    with pytest.raises(
        ValueError,
        match="unknown arms \\['side_follower'\\]; available: \\['main_follower', 'main_leader'\\]",
    ):
        cr.main([*base, "--control.type=calibrate", "--control.arms=[side_follower]", "--debug"])
    # Without a leader arm only the robot's arm can be calibrated.
    with pytest.raises(
        ValueError, match="unknown arms \\['main_leader'\\]; available: \\['main_follower'\\]"
    ):
        cr.main(
            [
                *base,
                "--robot.leader_arms={}",
                "--control.type=calibrate",
                "--control.arms=[main_leader]",
                "--debug",
            ]
        )
    assert wait_until(lambda: not leftover_threads(threads_before)), leftover_threads(threads_before)
    assert open_fds() <= fds

    # Config validation names the flag.
    with pytest.raises(ValueError, match="LeKiwi has one arm, named 'main'"):
        parse(
            cr.ControlPipelineConfig,
            ["--robot.type=lekiwi", "--robot.leader_arms={left: /dev/x}", "--control.type=calibrate"],
        )
    with pytest.raises(ValueError, match="keyboard_backend must be one of"):
        parse(
            cr.ControlPipelineConfig,
            ["--robot.type=lekiwi", "--robot.keyboard_backend=foo", "--control.type=calibrate"],
        )
