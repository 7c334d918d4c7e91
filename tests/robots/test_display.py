"""Live display (`--display_data=true`): the observation/action -> Rerun entity mapping, the flags, and what
reaches the viewer, read back value by value (`tests/utils/rerun_read.py`) from an `.rrd` file saved here or
received by a headless `rerun --serve-grpc` over gRPC, for teleoperate and record runs on simulated buses."""

import copy
import importlib.util
import sys

import numpy as np
import pytest

from lerobot.configs.parser import parse
from lerobot.scripts import lerobot_record, lerobot_teleoperate
from lerobot.scripts.lerobot_record import RecordConfig, record
from lerobot.scripts.lerobot_teleoperate import TeleoperateConfig, teleop_loop
from lerobot.utils import visualization_utils
from lerobot.utils.visualization_utils import (
    DisplayFlags,
    RerunDisplay,
    check_display_flags,
    grpc_url,
    make_display,
    rerun_entities,
)
from tests.robots.conftest import file_camera_flag, make_sim
from tests.robots.test_record_replay import calibrate_pair
from tests.robots.test_robots import make_pair
from tests.utils.rerun_read import free_port, images, read_rrd, rerun_grpc_server, scalars

needs_rerun = pytest.mark.skipif(importlib.util.find_spec("rerun") is None, reason="needs the `rerun` extra")


def test_scalars_and_vectors_map_to_named_scalars():
    entities = rerun_entities(
        {
            "shoulder_pan.pos": 12.5,
            "gripper.pos": np.float32(3.0),
            "count": 2,
            "state": np.array([1.0, -2.0]),
        },
        {"shoulder_pan.pos": 12.0, "x.vel": np.array(0.25), "on": True},
    )
    assert entities == [
        ("observation/shoulder_pan.pos", "scalar", 12.5),
        ("observation/gripper.pos", "scalar", 3.0),
        ("observation/count", "scalar", 2.0),
        ("observation/state/0", "scalar", 1.0),
        ("observation/state/1", "scalar", -2.0),
        ("action/shoulder_pan.pos", "scalar", 12.0),
        ("action/x.vel", "scalar", 0.25),
        ("action/on", "scalar", 1.0),
    ]
    assert all(type(value) is float for _, _, value in entities)
    assert rerun_entities(None, {}) == []


def test_images_become_hwc_uint8():
    hwc = np.arange(4 * 6 * 3, dtype=np.uint8).reshape(4, 6, 3)
    chw_float = np.moveaxis(hwc, -1, 0).astype(np.float32) / 255.0
    over = np.full((2, 2, 1), 1.5, dtype=np.float64)  # floats are clipped to [0, 1]
    (path, kind, image), (_, _, from_chw), (_, _, clipped) = rerun_entities(
        {"front": hwc, "wrist": chw_float, "depth": over}, None
    )
    assert (path, kind) == ("observation/front", "image")
    np.testing.assert_array_equal(image, hwc)
    assert from_chw.dtype == np.uint8 and from_chw.shape == (4, 6, 3)
    np.testing.assert_array_equal(from_chw, hwc)
    assert clipped.dtype == np.uint8 and clipped.shape == (2, 2, 1) and (clipped == 255).all()


@pytest.mark.parametrize(
    ("observation", "match"),
    [
        ({"task": "pick"}, "'observation/task'.*got str"),
        ({"pose": np.zeros((2, 3))}, "'observation/pose'.*shape \\(2, 3\\)"),
        ({"front": np.zeros((5, 6, 7), np.uint8)}, "'observation/front'.*channels.*\\(5, 6, 7\\)"),
        ({"front": np.zeros((4, 6, 3), np.uint16)}, "'observation/front'.*uint16"),
        ({"names": np.array(["a", "b"])}, "'observation/names'.*non-numeric"),
        ({"meta": {"a": 1}}, "'observation/meta'.*got dict"),
    ],
)
def test_unsupported_values_name_the_key(observation, match):
    with pytest.raises(ValueError, match=match):
        rerun_entities(observation, None)


@needs_rerun
def test_rrd_file_grows_with_frames_and_reads_back(tmp_path):
    path = tmp_path / "sub" / "session.rrd"
    sizes = []
    fronts = [np.random.default_rng(step).integers(0, 256, (32, 48, 3), dtype=np.uint8) for step in range(3)]
    with RerunDisplay(save_path=path) as display:
        for step in range(3):
            display.log(
                {"a.pos": step + 0.25, "front": fronts[step], "v": np.array([1.0, -step])}, {"a.pos": 1.0}
            )
            display.flush()
            sizes.append(path.stat().st_size)
        with pytest.raises(ValueError, match="'action/bad'"):
            display.log(None, {"bad": "x"})
        display.log_entities([("extra/x", "scalar", 7.5)], frame_index=4, timestamp=0.4)
    assert sizes[0] > 32 * 48 * 3 and sizes[0] < sizes[1] < sizes[2] <= path.stat().st_size
    display.close()  # closing twice is harmless
    rows = read_rrd(path)
    assert scalars(rows) == {
        "observation/a.pos": {0: 0.25, 1: 1.25, 2: 2.25},
        "observation/v/0": {0: 1.0, 1: 1.0, 2: 1.0},
        "observation/v/1": {0: 0.0, 1: -1.0, 2: -2.0},
        "action/a.pos": {0: 1.0, 1: 1.0, 2: 1.0},
        "extra/x": {2: 7.5},  # the frame timeline keeps its last value
    }
    assert scalars(rows, "timestamp") == {"extra/x": {0.4: 7.5}}
    assert scalars(rows, "frame_index") == {"extra/x": {4: 7.5}}
    read_fronts = images(rows)["observation/front"]
    assert sorted(read_fronts) == [0, 1, 2]
    for step, front in enumerate(fronts):
        np.testing.assert_array_equal(read_fronts[step], front)


TELEOP_ARGS = ["--robot.type=so100_follower", "--teleop.type=so100_leader"]


@pytest.mark.parametrize(
    ("flags", "match"),
    [
        (
            ["--display_data_path=x.rrd"],
            "--display_data_path=x.rrd saves the live display: add --display_data=true",
        ),
        (
            ["--display_ip=10.0.0.2"],
            "--display_ip=10.0.0.2 streams the live display: add --display_data=true",
        ),
        (["--display_data=true", "--display_ip=10.0.0.2", "--display_data_path=x.rrd"], "are exclusive"),
        (
            ["--display_data=true", "--display_ip=10.0.0.2", "--display_port=0"],
            "--display_port=0 is not a TCP",
        ),
        (
            ["--display_data=true", "--display_ip=h", "--display_port=70000"],
            "--display_port=70000 is not a TCP",
        ),
    ],
)
@pytest.mark.parametrize(
    "script", ["teleoperate", "record", "control_robot teleoperate", "control_robot record"]
)
def test_display_flag_combinations_are_checked(script, flags, match):
    if script.startswith("control_robot"):
        from lerobot.scripts.control_robot import ControlPipelineConfig

        config, control = ControlPipelineConfig, script.split()[1]
        args = ["--robot.type=so100", f"--control.type={control}"]
        args += [flag.replace("--", "--control.", 1) for flag in flags]
        if control == "record":
            args += ["--control.repo_id=u/d", "--control.single_task=t"]
    else:
        config = TeleoperateConfig if script == "teleoperate" else RecordConfig
        args = ["--robot.port=/dev/null", "--teleop.port=/dev/null", *TELEOP_ARGS, *flags]
        if script == "record":
            args += ["--dataset.repo_id=u/d", "--dataset.single_task=t"]
    with pytest.raises(ValueError, match=match):
        parse(config, args)


def test_display_flags_accepted_and_missing_sdk(tmp_path, monkeypatch):
    assert make_display(False, None) is None
    check_display_flags(True, tmp_path / "x.rrd")
    check_display_flags(True, None, "10.0.0.2", 9877)
    with pytest.raises(ValueError, match="--display_ip is empty"):
        check_display_flags(True, None, " ")
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("DISPLAY", ":0")
    check_display_flags(True, None)  # a spawned viewer can open a window
    monkeypatch.delenv("DISPLAY")
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    check_display_flags(True, None)
    assert grpc_url("10.0.0.2", 9876) == "rerun+http://10.0.0.2:9876/proxy"
    assert grpc_url("::1", 9000) == "rerun+http://[::1]:9000/proxy"
    monkeypatch.setitem(sys.modules, "rerun", None)  # as if rerun-sdk were not installed
    with pytest.raises(ImportError, match=r'pip install -e "\.\[rerun\]"'):
        RerunDisplay(save_path=tmp_path / "x.rrd")


def test_spawned_viewer_without_a_display_fails_at_start(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    args = ["--robot.port=/dev/null", "--teleop.port=/dev/null", *TELEOP_ARGS, "--display_data=true"]
    # The config fails before any device is opened (the ports are /dev/null).
    with pytest.raises(ValueError, match="no display") as error:
        lerobot_teleoperate.main([*args, "--debug"])  # --debug: the exception itself, not the error line
    message = str(error.value)
    assert "--display_data_path=" in message and "--display_ip=" in message
    assert "neither DISPLAY nor WAYLAND_DISPLAY" in message and "\n" not in message.strip()
    with pytest.raises(ValueError, match="no display.*--display_data_path=.*--display_ip="):
        make_display(True, None)
    if importlib.util.find_spec("rerun") is not None:
        with pytest.raises(ValueError, match="no display"):
            RerunDisplay()  # and not a viewer process that cannot open a window


@needs_rerun
def test_unreachable_remote_viewer_fails_at_start():
    port = free_port()
    with pytest.raises(
        ConnectionError, match=f"--display_ip=127.0.0.1 --display_port={port}: no Rerun viewer"
    ):
        make_display(True, None, "127.0.0.1", port)


def spy(obj, name: str, calls: list, monkeypatch):
    """Record deep copies of what `obj.name(...)` returns."""
    original = getattr(obj, name)

    def wrapper(*args, **kwargs):
        result = original(*args, **kwargs)
        calls.append(copy.deepcopy(result))
        return result

    monkeypatch.setattr(obj, name, wrapper)


def assert_steps_read_back(rows, observations: list[dict], actions: list[dict]):
    """Every joint of every observation / action arrived at its frame, exactly; images pixel for pixel."""
    assert len(observations) == len(actions) > 0
    expected_scalars: dict[str, dict[int, float]] = {}
    expected_images: dict[str, dict[int, np.ndarray]] = {}
    for frame, (observation, action) in enumerate(zip(observations, actions, strict=True)):
        for path, kind, value in rerun_entities(observation, action):
            (expected_scalars if kind == "scalar" else expected_images).setdefault(path, {})[frame] = value
    assert scalars(rows) == expected_scalars
    read_images = images(rows)
    assert read_images.keys() == expected_images.keys()
    for path, by_frame in expected_images.items():
        assert read_images[path].keys() == by_frame.keys()
        for frame, image in by_frame.items():
            np.testing.assert_array_equal(read_images[path][frame], image, err_msg=f"{path} at frame {frame}")


def move_leader_each_step(leader, sim, monkeypatch, log: list):
    """The user moves the leader between steps, so every frame carries different joint values."""
    original = leader.get_action
    ids = [motor.id for motor in leader.bus.motors.values()]

    def get_action():
        for motor_id in ids:
            sim.set_present(motor_id, 1800 + 40 * len(log) + 7 * motor_id)
        action = original()
        log.append(dict(action))
        return action

    monkeypatch.setattr(leader, "get_action", get_action)


@needs_rerun
def test_teleop_loop_display_reads_back_what_the_loop_sent(tmp_path, monkeypatch):
    sims = make_sim("so100_follower"), make_sim("so100_leader")
    try:
        calibrate_pair("so100", sims)
        follower, leader = make_pair("so100", sims)
        observed, sent, leader_actions = [], [], []
        spy(follower, "get_observation", observed, monkeypatch)
        spy(follower, "send_action", sent, monkeypatch)
        move_leader_each_step(leader, sims[1], monkeypatch, leader_actions)
        rrd = tmp_path / "teleop.rrd"
        with leader, follower:
            stats = teleop_loop(
                leader,
                follower,
                fps=None,
                max_steps=5,
                display_flags=DisplayFlags(display_data=True, display_data_path=rrd),
            )
    finally:
        for sim in sims:
            sim.stop()
    assert stats["ticks"] == 5 and len(observed) == len(sent) == 5
    assert len({action["elbow_flex.pos"] for action in sent}) == 5  # the frames differ
    rows = read_rrd(rrd)
    assert_steps_read_back(rows, observed, sent)
    assert {f"observation/{k}" for k in follower.observation_features} <= scalars(rows).keys()
    assert {f"action/{k}" for k in follower.action_features} <= scalars(rows).keys()


@needs_rerun
def test_record_cli_display_reads_back_the_recorded_dataset(tmp_path):
    from lerobot.datasets.lerobot_dataset import LeRobotDataset
    from tests.cameras.conftest import make_video

    sims = make_sim("so100_follower"), make_sim("so100_leader")
    try:
        calibrate_pair("so100", sims)
        video = make_video(tmp_path / "front.mp4")
        rrd = tmp_path / "display.rrd"
        args = [
            "--robot.type=so100_follower", f"--robot.port={sims[0].port}", "--robot.id=f1",
            "--teleop.type=so100_leader", f"--teleop.port={sims[1].port}", "--teleop.id=l1",
            file_camera_flag(video),
            "--dataset.repo_id=test/rec", f"--dataset.root={tmp_path / 'ds'}", "--dataset.single_task=Pick",
            "--dataset.fps=15", "--dataset.episode_time_s=0.4", "--dataset.num_episodes=1",
            "--dataset.push_to_hub=false", "--dataset.video=false", "--play_sounds=false", "--keyboard=none",
            "--display_data=true", f"--display_data_path={rrd}",
        ]  # fmt: skip
        recorded, _ = record(parse(RecordConfig, args))
    finally:
        for sim in sims:
            sim.stop()
    dataset = LeRobotDataset("test/rec", root=tmp_path / "ds", return_uint8=True)
    assert dataset.num_frames >= 3 and recorded.num_frames == dataset.num_frames
    # One episode, no warm-up, no reset after the last episode: display frame i is dataset frame i.
    rows = read_rrd(rrd)
    read_scalars, read_images = scalars(rows), images(rows)
    state_names = dataset.features["observation.state"]["names"]
    action_names = dataset.features["action"]["names"]
    for frame in range(dataset.num_frames):
        item = dataset[frame]
        state = [read_scalars[f"observation/{name}"][frame] for name in state_names]
        action = [read_scalars[f"action/{name}"][frame] for name in action_names]
        # The dataset stores float32; the display got the robot's float values.
        np.testing.assert_array_equal(np.float32(state), item["observation.state"].numpy())
        np.testing.assert_array_equal(np.float32(action), item["action"].numpy())
        image = item["observation.images.front"].numpy().transpose(1, 2, 0)  # (C, H, W) -> (H, W, C)
        assert read_images["observation/front"][frame].shape == (64, 96, 3)
        np.testing.assert_array_equal(read_images["observation/front"][frame], image)
    assert sorted(read_images["observation/front"]) == list(range(dataset.num_frames))


@needs_rerun
@pytest.mark.parametrize("script", ["teleoperate", "record"])
def test_cli_streams_to_a_remote_viewer(tmp_path, monkeypatch, script):
    logged: list[tuple[dict, dict]] = []
    original_log = RerunDisplay.log

    def log(self, observation, action, step=None):
        logged.append((copy.deepcopy(observation), copy.deepcopy(action)))
        return original_log(self, observation, action, step)

    monkeypatch.setattr(visualization_utils.RerunDisplay, "log", log)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)  # a headless robot computer: streaming needs no display
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    received = tmp_path / "received.rrd"
    sims = make_sim("so100_follower"), make_sim("so100_leader")
    try:
        calibrate_pair("so100", sims)
        with rerun_grpc_server(received, tmp_path) as port:
            args = [
                "--robot.type=so100_follower", f"--robot.port={sims[0].port}", "--robot.id=f1",
                "--teleop.type=so100_leader", f"--teleop.port={sims[1].port}", "--teleop.id=l1",
                "--display_data=true", "--display_ip=127.0.0.1", f"--display_port={port}",
            ]  # fmt: skip
            if script == "teleoperate":
                lerobot_teleoperate.main([*args, "--fps=30", "--teleop_time_s=0.3"])
            else:
                lerobot_record.main(
                    [*args, "--dataset.repo_id=test/remote", f"--dataset.root={tmp_path / 'ds'}"]
                    + ["--dataset.single_task=Pick", "--dataset.fps=30", "--dataset.episode_time_s=0.3"]
                    + ["--dataset.num_episodes=1", "--dataset.push_to_hub=false", "--play_sounds=false"]
                    + ["--keyboard=none"]
                )
    finally:
        for sim in sims:
            sim.stop()
    assert len(logged) >= 3
    # Everything logged before the display closed arrived: flushed and disconnected at close.
    assert_steps_read_back(read_rrd(received), [o for o, _ in logged], [a for _, a in logged])
