"""Every registered arm on simulated buses: scripted calibration, teleoperation, safety on every exit path."""

import json
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from lerobot.cameras.opencv import OpenCVCameraConfig
from lerobot.devices.device import calibration_root, load_calibration
from lerobot.motors.sim_bus import MULTI_BUS_PRESETS, ROBOT_PRESETS
from lerobot.robots import Robot, make_robot_from_config
from lerobot.teleoperators import Teleoperator, make_teleoperator_from_config
from lerobot.utils.constants import hf_lerobot_home
from tests.robots.conftest import PAIRS, RANGE_HI, RANGE_LO, scripted_calibration


def no_prompt(prompt: str) -> str:
    raise AssertionError(f"unexpected prompt: {prompt}")


def connect_calibrated(device, sim, log=None):
    device.input_fn = scripted_calibration(sim, device, log)
    device.connect()
    return device


def make_pair(pair, sims, **follower_kwargs):
    follower_cfg, leader_cfg = PAIRS[pair]
    follower = make_robot_from_config(follower_cfg(port=sims[0].port, id="f1", **follower_kwargs))
    leader = make_teleoperator_from_config(leader_cfg(port=sims[1].port, id="l1"))
    return follower, leader


def test_registry_covers_presets():
    # Every device made of motor buses can be simulated (`python -m lerobot.motors.sim_bus --robot <type>`).
    with_motors = {
        n for n, c in {**Robot.registry, **Teleoperator.registry}.items() if hasattr(c, "bus_class")
    }
    assert with_motors <= set(ROBOT_PRESETS)
    assert {"aloha", "aloha_leader"} <= set(MULTI_BUS_PRESETS)
    assert {"so100_follower", "koch_follower"} <= set(Robot.registry)
    assert {"so100_leader", "koch_leader"} <= set(Teleoperator.registry)


def test_scripted_calibration_writes_file_and_is_reused(pair, sims):
    follower, leader = make_pair(pair, sims)
    prompts: list[str] = []
    connect_calibrated(follower, sims[0], prompts)
    assert any("middle of its range" in p for p in prompts)
    path = calibration_root() / "robots" / follower.name / "f1.json"
    assert follower.calibration_fpath == path and path.is_file()
    raw = json.loads(path.read_text())
    assert list(raw) == list(follower.bus.motors)
    for name, entry in raw.items():
        assert set(entry) == {"id", "drive_mode", "homing_offset", "range_min", "range_max"}
        assert entry["id"] == follower.bus.motors[name].id
        if name in follower.full_turn_motors:
            assert (entry["range_min"], entry["range_max"]) == (0, 4095)
        else:
            assert (entry["range_min"], entry["range_max"]) == (RANGE_LO, RANGE_HI)
    assert follower.is_calibrated
    # Centered arm: every joint reads 0 degrees within one tick after homing.
    obs = follower.get_observation()
    assert all(abs(obs[f"{m}.pos"]) < 0.2 for m in follower.full_turn_motors)
    follower.disconnect()

    again = make_robot_from_config(type(follower.config)(port=sims[0].port, id="f1"))
    again.input_fn = no_prompt  # the file matches the motors: reused without asking
    again.connect()
    assert again.is_calibrated
    again.disconnect()


def test_mismatching_file_is_offered_then_written(pair, sims):
    follower, _ = make_pair(pair, sims)
    connect_calibrated(follower, sims[0])
    follower.bus.disable_torque()
    follower.bus.reset_calibration()  # motors lose their calibration (e.g. swapped controller board)
    follower.disconnect()
    again = make_robot_from_config(type(follower.config)(port=sims[0].port, id="f1"))
    asked = []
    again.input_fn = lambda p: asked.append(p) or ""
    again.connect()
    assert len(asked) == 1 and "Press ENTER to use the calibration file" in asked[0]
    assert again.bus.calibration_matches(load_calibration(again.calibration_fpath))
    again.disconnect()


def test_teleoperate_leader_to_follower(pair, sims):
    follower, leader = make_pair(pair, sims, max_relative_target=None)
    connect_calibrated(follower, sims[0])
    connect_calibrated(leader, sims[1])
    # The user moves the leader by hand.
    for motor_id, pos in zip(range(1, 6), (1200, 2800, 2200, 1700, 2500), strict=True):
        sims[1].set_present(motor_id, pos)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        action = leader.get_action()
        sent = follower.send_action(action)
        assert sent == action  # no max_relative_target: sent as asked
        obs = follower.get_observation()
        if all(abs(obs[k] - v) < 0.5 for k, v in action.items()):
            break
        time.sleep(0.01)
    assert all(abs(obs[k] - v) < 0.5 for k, v in action.items()), (obs, action)
    assert set(obs) == set(follower.observation_features)
    leader.disconnect()
    follower.disconnect()
    assert not any(sims[0].torque_enabled(i) for i in sims[0].motors)
    assert not any(sims[1].torque_enabled(i) for i in sims[1].motors)


@pytest.mark.parametrize("per_motor", [False, True])
def test_no_command_exceeds_max_relative_target(pair, sims, per_motor):
    follower, _ = make_pair(pair, sims)
    first = follower.feature_motors[0]
    limit = {first: 2.0, "gripper": 1.0} if per_motor else 5.0
    follower, _ = make_pair(pair, sims, max_relative_target=limit)
    connect_calibrated(follower, sims[0])
    names = follower.feature_motors
    for motor in sims[0].motors.values():
        motor.goal_log.clear()
        motor.max_speed = 100.0  # slow shafts: the position barely moves between the read and the write
    for step in range(6):
        present = follower.get_observation()
        far = {k: v + (60.0 if step % 2 == 0 else -60.0) for k, v in present.items()}
        sent = follower.send_action(far)
        for k, v in sent.items():
            lim = limit if isinstance(limit, float) else limit.get(k.removesuffix(".pos"), 60.0)
            assert abs(v - present[k]) <= lim + 1e-9
    # On the wire: every goal within the limit of the position at that moment (raw ticks; rounding and the
    # few ticks a slow shaft moves between the read and the write).
    for name in names:
        motor = sims[0].motor(follower.bus.motors[name].id)
        lim = limit if isinstance(limit, float) else limit.get(name, 60.0)
        calib = follower.calibration[name]
        ticks_per_unit = (
            4095 / 360
            if follower.bus.motors[name].norm_mode.value == "degrees"
            else ((calib.range_max - calib.range_min) / 100)
        )
        assert motor.goal_log
        bad = [(g, p) for g, p in motor.goal_log if abs(g - p) > lim * ticks_per_unit + 8]
        assert not bad, (name, lim * ticks_per_unit, bad)
    follower.disconnect()


def test_max_relative_target_validation(pair, sims):
    follower_cfg, _ = PAIRS[pair]
    with pytest.raises(ValueError, match="max_relative_target names unknown motors \\['knee'\\]"):
        make_robot_from_config(follower_cfg(port=sims[0].port, max_relative_target={"knee": 1.0}))
    with pytest.raises(ValueError, match="must be positive"):
        follower_cfg(port=sims[0].port, max_relative_target=0.0)


def test_torque_off_after_exception(pair, sims):
    follower, _ = make_pair(pair, sims)
    follower.input_fn = scripted_calibration(sims[0], follower)
    with pytest.raises(RuntimeError, match="boom"), follower:
        assert all(sims[0].torque_enabled(i) for i in sims[0].motors)
        raise RuntimeError("boom")
    assert not follower.is_connected
    assert not any(sims[0].torque_enabled(i) for i in sims[0].motors)


def test_bad_action_keys_are_named(pair, sims):
    follower, _ = make_pair(pair, sims)
    follower.input_fn = scripted_calibration(sims[0], follower)
    with follower, pytest.raises(KeyError, match="unknown action keys \\['knee.pos'\\]"):
        follower.send_action({"knee.pos": 1.0})


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_torque_off_after_signal_in_subprocess(sig):
    """A control loop in another process is killed: torque ends up off on every motor (SO-100 only: the
    exit path does not depend on the arm)."""
    from tests.robots.conftest import make_sim

    follower_cfg, sim = PAIRS["so100"][0], make_sim("so100_follower")
    try:
        _signal_test_body(follower_cfg, sim, sig)
    finally:
        sim.stop()


def _signal_test_body(follower_cfg, sim, sig):
    robot = make_robot_from_config(follower_cfg(port=sim.port, id="sig"))
    connect_calibrated(robot, sim)
    robot.disconnect()
    script = textwrap.dedent(
        f"""
        import sys, time
        from lerobot.robots import make_robot_from_config, SO100FollowerConfig
        robot = make_robot_from_config(SO100FollowerConfig(port={sim.port!r}, id="sig"))
        robot.input_fn = lambda p: sys.exit("unexpected prompt: " + p)
        robot.connect()
        print("ready", flush=True)
        while True:
            obs = robot.get_observation()
            robot.send_action({{k: v for k, v in obs.items() if k.endswith(".pos")}})
            time.sleep(0.005)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(0.1)
        assert all(sim.torque_enabled(i) for i in range(1, 7))
        proc.send_signal(sig)
        proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not any(sim.torque_enabled(i) for i in range(1, 7))


def test_follower_with_file_camera(sims, pair, tmp_path):
    from tests.cameras.conftest import make_video

    video = make_video(tmp_path / "front.mp4")
    cam = OpenCVCameraConfig(index_or_path=video, fps=30, width=96, height=64, warmup_s=0)
    follower, _ = make_pair(pair, sims, cameras={"front": cam})
    assert follower.observation_features["front"] == (64, 96, 3)
    follower.input_fn = scripted_calibration(sims[0], follower)
    with follower:
        obs = follower.get_observation()
        assert obs["front"].shape == (64, 96, 3)
    assert not follower.cameras["front"].is_connected


def test_robot_camera_needs_size(pair, sims):
    follower_cfg, _ = PAIRS[pair]
    with pytest.raises(ValueError, match="Camera 'front' .* needs \\['width', 'height'\\]"):
        follower_cfg(port="x", cameras={"front": OpenCVCameraConfig(index_or_path=0, fps=30)})


def test_calibration_root_default(monkeypatch):
    monkeypatch.delenv("HF_LEROBOT_CALIBRATION")
    assert calibration_root() == hf_lerobot_home() / "calibration"


def test_bad_calibration_file_is_named(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"shoulder_pan": {"id": 1}}))
    with pytest.raises(ValueError, match="c.json, motor 'shoulder_pan': expected keys"):
        load_calibration(path)


SINGLE_BUS = sorted(
    n for n, c in {**Robot.registry, **Teleoperator.registry}.items() if hasattr(c, "bus_class")
)


@pytest.mark.parametrize("device_type", SINGLE_BUS)
def test_every_registered_single_bus_device(device_type):
    """Any robot/teleoperator on one motor bus: connect (scripted calibration), read, command, disconnect."""
    from tests.robots.conftest import make_sim

    cls = Robot.registry.get(device_type) or Teleoperator.registry[device_type]
    extra = {"cameras": {}} if "cameras" in cls.config_class.__dataclass_fields__ else {}
    sim = make_sim(device_type)
    try:
        device = cls(cls.config_class(port=sim.port, id="reg", **extra))
        connect_calibrated(device, sim)
        if isinstance(device, Robot):
            obs = device.get_observation()
            assert set(obs) == set(device.observation_features)
            action = {k: obs[k] for k in device.action_features if k in obs}
            assert set(device.send_action(action)) == set(action)
        else:
            assert set(device.get_action()) == set(device.action_features)
        assert device.is_calibrated
        device.disconnect()
        assert not any(sim.torque_enabled(i) for i in sim.motors)
    finally:
        sim.stop()
