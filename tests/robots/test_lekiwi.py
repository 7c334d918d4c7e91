"""LeKiwi: arm + omni base on a simulated bus, and the host/client pair over ZMQ on localhost."""

import socket
import threading
import time

import numpy as np
import pytest

from lerobot.cameras.opencv import OpenCVCameraConfig
from lerobot.robots import LeKiwi, LeKiwiClientConfig, LeKiwiConfig, make_robot_from_config
from lerobot.robots.lekiwi import LeKiwiHostConfig
from lerobot.robots.lekiwi.lekiwi import WHEELS
from lerobot.robots.lekiwi.lekiwi_host import LeKiwiHost
from tests.robots.conftest import make_sim, scripted_calibration

pytest.importorskip("zmq")


@pytest.fixture
def kiwi_sim():
    sim = make_sim("lekiwi")
    yield sim
    sim.stop()


def connected_kiwi(sim, **kwargs) -> LeKiwi:
    robot = make_robot_from_config(
        LeKiwiConfig(port=sim.port, id="k", cameras=kwargs.pop("cameras", {}), **kwargs)
    )
    robot.input_fn = scripted_calibration(sim, robot)
    robot.connect()
    return robot


def test_kinematics_round_trip():
    robot = LeKiwi(LeKiwiConfig(port="unused", cameras={}))
    for body in [(0.1, 0.0, 0.0), (0.0, -0.05, 0.0), (0.0, 0.0, 45.0), (0.05, 0.05, -20.0)]:
        raw = robot.body_to_wheel_raw(*body)
        back = robot.wheel_raw_to_body(raw)
        # Wheel speeds are whole ticks/s: ~1e-4 m/s and ~0.01 deg/s of rounding.
        assert np.allclose([back["x.vel"], back["y.vel"]], body[:2], atol=1e-3)
        assert back["theta.vel"] == pytest.approx(body[2], abs=0.05)
    fast = robot.body_to_wheel_raw(5.0, 0.0, 0.0)  # far above the wheel limit: scaled down, direction kept
    assert max(abs(v) for v in fast.values()) == 3000


def test_base_velocities_and_arm_on_the_bus(kiwi_sim):
    robot = connected_kiwi(kiwi_sim)
    sent = robot.send_action({"x.vel": 0.1, "y.vel": 0.0, "theta.vel": 30.0, "arm_elbow_flex.pos": 5.0})
    assert sent["x.vel"] == 0.1 and sent["arm_elbow_flex.pos"] == 5.0
    obs = robot.get_observation()
    assert obs["x.vel"] == pytest.approx(0.1, abs=2e-3) and obs["theta.vel"] == pytest.approx(30.0, abs=0.5)
    assert all(kiwi_sim.motor(i).get("Operating_Mode") == 1 for i in (7, 8, 9))
    robot.disconnect()
    assert all(kiwi_sim.motor(i).get("Goal_Velocity") == 0 for i in (7, 8, 9))  # base stopped
    assert not any(kiwi_sim.torque_enabled(i) for i in kiwi_sim.motors)


def free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def test_host_and_client_over_zmq(kiwi_sim, tmp_path):
    from tests.cameras.conftest import make_video

    cam = OpenCVCameraConfig(
        index_or_path=make_video(tmp_path / "front.mp4"), fps=30, width=96, height=64, warmup_s=0
    )
    robot = connected_kiwi(kiwi_sim, cameras={"front": cam})
    cmd_port, obs_port = free_ports(2)
    host = LeKiwiHost(
        robot,
        LeKiwiHostConfig(port_zmq_cmd=cmd_port, port_zmq_observations=obs_port, watchdog_timeout_s=0.3),
        bind_ip="127.0.0.1",
    )
    stop = threading.Event()
    thread = threading.Thread(target=host.run, args=(stop,), daemon=True)
    thread.start()
    client = make_robot_from_config(
        LeKiwiClientConfig(
            remote_ip="127.0.0.1",
            port_zmq_cmd=cmd_port,
            port_zmq_observations=obs_port,
            camera_shapes={"front": [64, 96, 3]},
        )
    )
    try:
        client.connect()
        obs = client.get_observation()
        assert set(obs) == set(client.observation_features)
        assert obs["front"].shape == (64, 96, 3) and obs["front"].dtype == np.uint8
        base = client.from_keyboard_to_base_action({"w": True, "z": True})
        assert base == {"x.vel": 0.1, "y.vel": 0.0, "theta.vel": 30.0}
        deadline = time.monotonic() + 5
        while host.commands_applied == 0 and time.monotonic() < deadline:
            client.send_action({**base, "arm_gripper.pos": 60.0})
            time.sleep(0.05)
        assert host.commands_applied > 0
        assert any(kiwi_sim.motor(kiwi_sim_id).get("Goal_Velocity") != 0 for kiwi_sim_id in (7, 8, 9))
        # The client goes silent: the host's watchdog stops the base.
        deadline = time.monotonic() + 5
        while any(kiwi_sim.motor(i).get("Goal_Velocity") for i in (7, 8, 9)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert all(kiwi_sim.motor(i).get("Goal_Velocity") == 0 for i in (7, 8, 9))
        with pytest.raises(KeyError, match="unknown action keys"):
            client.send_action({"wheel.vel": 1.0})
    finally:
        client.disconnect()
        stop.set()
        thread.join(timeout=5)
        host.close()
        robot.disconnect()
    assert not any(kiwi_sim.torque_enabled(i) for i in kiwi_sim.motors)
    assert set(WHEELS) <= set(robot.bus.motors)


def test_client_without_host_is_clear():
    (port,) = free_ports(1)
    client = make_robot_from_config(
        LeKiwiClientConfig(
            remote_ip="127.0.0.1", port_zmq_cmd=port, port_zmq_observations=port, connect_timeout_s=0.2
        )
    )
    with pytest.raises(ConnectionError, match="No observation from a LeKiwi host at 127.0.0.1"):
        client.connect()
    assert not client.is_connected
