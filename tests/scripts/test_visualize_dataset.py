"""`lerobot-dataset-viz`: an episode saved to an .rrd file and read back value by value against the dataset
(a factory-made one and the reference `pusht_v30`), the distant mode served from a real subprocess, and the
errors for bad flags, a missing dataset, an unknown episode and a machine without a display."""

import importlib.util
import os
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from lerobot.datasets.lerobot_dataset import LeRobotDataset
from lerobot.scripts.visualize_dataset import dim_names, main, rrd_path, run_cli
from tests.datasets.factories import make_dataset, make_features
from tests.utils.rerun_read import free_port, images, read_rrd, scalars

pytestmark = pytest.mark.skipif(importlib.util.find_spec("rerun") is None, reason="needs the `rerun` extra")
REPO_ROOT = Path(__file__).resolve().parents[2]


def assert_episode_read_back(rrd: Path, dataset: LeRobotDataset, scalar_groups: dict[str, list[str]]):
    """Per frame: every scalar equals the dataset's value (float32 -> float64 exactly), every camera image
    has the dataset's size and equals its decoded frame; the timestamp timeline matches too."""
    rows = read_rrd(rrd)
    by_frame, cameras = scalars(rows, "frame_index"), images(rows, "frame_index")
    by_time = scalars(rows, "timestamp")
    n = dataset.num_frames
    assert set(cameras) == set(dataset.meta.camera_keys)
    expected_entities = {f"{prefix}/{name}" for prefix, names in scalar_groups.items() for name in names}
    expected_entities |= {
        key for key in ("next.done", "next.reward", "next.success") if key in dataset.features
    }
    assert set(by_frame) == expected_entities
    for i in range(n):
        item = dataset[i]
        frame = int(item["frame_index"])
        for key, prefix in (("action", "action"), ("observation.state", "state")):
            if prefix in scalar_groups:
                read = [by_frame[f"{prefix}/{name}"][frame] for name in scalar_groups[prefix]]
                np.testing.assert_array_equal(
                    np.float32(read), item[key].numpy(), err_msg=f"{key} frame {frame}"
                )
        for key in ("next.done", "next.reward", "next.success"):
            if key in dataset.features:
                assert by_frame[key][frame] == float(item[key]), (key, frame)
        for key in dataset.meta.camera_keys:
            expected = item[key].numpy().transpose(1, 2, 0)  # uint8 (C, H, W) -> (H, W, C)
            assert cameras[key][frame].shape == tuple(dataset.features[key]["shape"])
            np.testing.assert_array_equal(cameras[key][frame], expected, err_msg=f"{key} frame {frame}")
    for values in by_frame.values():
        assert len(values) == n  # one value per frame, none missing
    timestamps = sorted(float(dataset[i]["timestamp"]) for i in range(n))
    for entity, values in by_time.items():  # the same rows on the `timestamp` timeline (seconds)
        np.testing.assert_allclose(sorted(values), timestamps, atol=1e-6, err_msg=entity)


def test_factory_dataset_episode_reads_back(tmp_path):
    features = make_features(n_cameras=2, camera_shape=(24, 32, 3), state_dim=3, action_dim=2)
    features["action"]["names"] = None  # unnamed dimensions -> action/0, action/1
    features["next.done"] = {"dtype": "bool", "shape": [1], "names": None}
    features["next.reward"] = {"dtype": "float32", "shape": [1], "names": None}
    root = make_dataset(tmp_path / "ds", n_episodes=2, episode_length=[4, 7], features=features)
    out = tmp_path / "out"
    args = ["--repo-id", "me/toy", "--root", str(root), "--episode-index", "1"]
    # The console script returns None (its return value would become the exit status).
    assert (
        main([*args, "--save", "1", "--output-dir", str(out), "--num-workers", "0", "--batch-size", "3"])
        is None
    )
    path = rrd_path(out, "me/toy", 1)
    assert path == out / "me_toy_episode_1.rrd" and path.is_file()
    dataset = LeRobotDataset("me/toy", root=root, episodes=[1], return_uint8=True)
    assert dataset.num_frames == 7
    groups = {"action": ["0", "1"], "state": ["joint_0", "joint_1", "joint_2"]}
    assert_episode_read_back(path, dataset, groups)


def test_reference_pusht_episode_reads_back(reference_fixtures, tmp_path):
    root = reference_fixtures / "datasets" / "pusht_v30"
    out = tmp_path / "out"
    path = run_cli(
        ["--repo-id", "lerobot/pusht", "--root", str(root), "--episode-index", "2", "--save", "1"]
        + ["--output-dir", str(out), "--num-workers", "1", "--batch-size", "32"]
    )
    assert path == out / "lerobot_pusht_episode_2.rrd"
    dataset = LeRobotDataset("lerobot/pusht", root=root, episodes=[2], return_uint8=True)
    # pusht names its dimensions {"motors": ["motor_0", "motor_1"]}.
    groups = {"action": ["motor_0", "motor_1"], "state": ["motor_0", "motor_1"]}
    assert_episode_read_back(path, dataset, groups)
    assert int(dataset[0]["episode_index"]) == 2


def test_dim_names():
    assert dim_names({"shape": [2], "names": ["a", "b"]}) == ["a", "b"]
    assert dim_names({"shape": [2], "names": {"motors": ["m0", "m1"]}}) == ["m0", "m1"]
    assert dim_names({"shape": [3], "names": ["a", "b"]}) == ["0", "1", "2"]  # not one name per dimension
    assert dim_names({"shape": [2], "names": None}) == ["0", "1"]


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        (
            ["--episode-index", "9"],
            1,
            "episodes \\[9\\] are not in dataset 'me/toy' \\(it has episodes 0..1\\)",
        ),
        (["--episode-index", "0", "--root", "{missing}"], 1, "meta/info.json missing under"),
        (["--episode-index", "0", "--save", "1"], 2, "--save 1 writes .* set --output-dir"),
        (["--episode-index", "0", "--save", "1", "--output-dir", "o", "--mode", "distant"], 2, "choose one"),
        (["--episode-index", "0", "--batch-size", "0"], 2, "--batch-size=0 must be > 0"),
        (["--episode-index", "0", "--grpc-port", "70000"], 2, "--grpc-port=70000 must be a TCP port"),
        (["--episode-index", "0", "--mode", "far"], 2, "invalid choice: 'far'"),
        (["--save", "1"], 2, "the following arguments are required: --episode-index"),
    ],
)
def test_cli_errors(tmp_path, capsys, monkeypatch, extra, code, message):
    monkeypatch.setenv("DISPLAY", ":99")  # the errors come before a viewer would be spawned
    root = make_dataset(
        tmp_path / "ds", n_episodes=2, episode_length=2, camera_shape=(8, 8, 3), use_videos=False
    )
    args = ["--repo-id", "me/toy", "--root", str(root)]
    extra = [a.replace("{missing}", str(tmp_path / "missing")) for a in extra]
    with pytest.raises(SystemExit) as exit_info:
        main([*args, *extra, "--num-workers", "0"])
    assert exit_info.value.code == code
    assert re.search(message, capsys.readouterr().err)


def test_local_mode_without_a_display_says_what_to_do(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        main(["--repo-id", "me/toy", "--root", str(tmp_path / "missing"), "--episode-index", "0"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 1 and err.count("\n") == 1  # one line, before the dataset is looked at
    assert (
        "--mode local spawns the Rerun viewer, but this machine has no display" in err
        and "--save 1 --output-dir" in err
        and "--mode distant" in err
    )


def test_distant_mode_serves_grpc_and_a_web_viewer(tmp_path):
    root = make_dataset(
        tmp_path / "ds", n_episodes=1, episode_length=3, camera_shape=(8, 8, 3), use_videos=False
    )
    grpc_port, web_port = free_port(), free_port()
    command = [
        sys.executable,
        "-m",
        "lerobot.scripts.visualize_dataset",
        "--repo-id",
        "me/toy",
        "--root",
        str(root),
    ]
    command += ["--episode-index", "0", "--mode", "distant", "--num-workers", "0"]
    command += ["--grpc-port", str(grpc_port), "--web-port", str(web_port)]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    server = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        lines = []
        for line in server.stdout:
            lines.append(line)
            if "Ctrl-C to stop" in line:
                break
        output = "".join(lines)
        assert "rerun rerun+http://" in output and f":{grpc_port}/proxy" in output, output
        with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/", timeout=10) as response:
            assert response.status == 200 and b"<html" in response.read().lower()
    finally:
        server.send_signal(signal.SIGINT)
        code = server.wait(timeout=30)
    assert code == 0
