"""Live display (`--display_data=true`): the observation/action -> Rerun entity mapping, the `.rrd` file
written headless, and a recording run on simulated buses that saves its display."""

import importlib.util
import sys

import numpy as np
import pytest

from lerobot.configs.parser import parse
from lerobot.scripts.lerobot_record import RecordConfig, record
from lerobot.scripts.lerobot_teleoperate import TeleoperateConfig, teleop_loop
from lerobot.utils.visualization_utils import RerunDisplay, make_display, rerun_entities
from tests.robots.conftest import make_sim
from tests.robots.test_record_replay import calibrate_pair
from tests.robots.test_robots import make_pair

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
def test_rrd_file_grows_with_frames(tmp_path):
    path = tmp_path / "sub" / "session.rrd"
    sizes = []
    with RerunDisplay(save_path=path) as display:
        for step in range(3):
            display.log({"a.pos": float(step), "front": np.full((32, 48, 3), step, np.uint8)}, {"a.pos": 1.0})
            display.flush()
            sizes.append(path.stat().st_size)
        with pytest.raises(ValueError, match="'action/bad'"):
            display.log(None, {"bad": "x"})
    assert sizes[0] > 32 * 48 * 3 and sizes[0] < sizes[1] < sizes[2] <= path.stat().st_size
    display.close()  # closing twice is harmless


def test_display_flags_and_missing_sdk(tmp_path, monkeypatch):
    assert make_display(False, None) is None
    with pytest.raises(ValueError, match="add --display_data=true"):
        make_display(False, tmp_path / "x.rrd")
    with pytest.raises(ValueError, match="add --display_data=true"):
        parse(
            TeleoperateConfig,
            [
                "--robot.type=so100_follower",
                "--robot.port=/dev/null",
                "--teleop.type=so100_leader",
                "--teleop.port=/dev/null",
                f"--display_data_path={tmp_path}/x.rrd",
            ],
        )
    monkeypatch.setitem(sys.modules, "rerun", None)  # as if rerun-sdk were not installed
    with pytest.raises(ImportError, match=r'pip install -e "\.\[rerun\]"'):
        RerunDisplay(save_path=tmp_path / "x.rrd")


@needs_rerun
def test_record_cli_saves_the_display(tmp_path):
    from tests.cameras.conftest import make_video

    sims = make_sim("so100_follower"), make_sim("so100_leader")
    try:
        calibrate_pair("so100", sims)
        video = make_video(tmp_path / "front.mp4")
        rrd = tmp_path / "display.rrd"
        args = [
            "--robot.type=so100_follower", f"--robot.port={sims[0].port}", "--robot.id=f1",
            "--teleop.type=so100_leader", f"--teleop.port={sims[1].port}", "--teleop.id=l1",
            "--robot.cameras={front: {type: opencv, index_or_path: " + str(video)
            + ", width: 96, height: 64, fps: 30, warmup_s: 0}}",
            "--dataset.repo_id=test/rec", f"--dataset.root={tmp_path / 'ds'}", "--dataset.single_task=Pick",
            "--dataset.fps=15", "--dataset.episode_time_s=0.4", "--dataset.num_episodes=1",
            "--dataset.push_to_hub=false", "--dataset.video=false", "--play_sounds=false", "--keyboard=none",
            "--display_data=true", f"--display_data_path={rrd}",
        ]  # fmt: skip
        dataset, _ = record(parse(RecordConfig, args))
    finally:
        for sim in sims:
            sim.stop()
    # The file names its entities in clear (the payloads are compressed): camera, joints and actions.
    assert dataset.num_frames >= 3
    data = rrd.read_bytes()
    for entity in (b"observation/front", b"observation/shoulder_pan.pos", b"action/gripper.pos"):
        assert entity in data
    assert len(data) > 64 * 96 * 3  # the images are in it (compressed, a frame is a few kB)


@needs_rerun
def test_teleop_loop_saves_the_display(tmp_path):
    sims = make_sim("so100_follower"), make_sim("so100_leader")
    try:
        calibrate_pair("so100", sims)
        follower, leader = make_pair("so100", sims)
        rrd = tmp_path / "teleop.rrd"
        with leader, follower:
            stats = teleop_loop(
                leader, follower, fps=None, max_steps=5, display_data=True, display_data_path=rrd
            )
    finally:
        for sim in sims:
            sim.stop()
    assert stats["ticks"] == 5
    data = rrd.read_bytes()
    assert b"observation/elbow_flex.pos" in data and b"action/elbow_flex.pos" in data
