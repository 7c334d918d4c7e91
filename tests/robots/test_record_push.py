"""`--dataset.push_to_hub=true` at the end of a recording, with the real `huggingface_hub` client against a
local Hub (tests/utils/upload_hub.py) that serves back what it received: record 2 short episodes on
simulated buses with a file camera, push, then download with a fresh `HF_LEROBOT_HOME` and compare every
frame. A failed upload leaves the recording intact and says how to retry."""

import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lerobot.configs.parser import parse
from lerobot.scripts.lerobot_record import RecordConfig, new_events, record
from tests.robots.conftest import file_camera_flag, make_sim
from tests.robots.test_record_replay import calibrate_pair
from tests.utils.upload_hub import UploadHub

REPO_ID = "user/so100_push"
# What a crash-safe save or a recording may leave in a dataset root, never part of a finished dataset.
TEMPORARY = (".staging/", "images/", ".writing", "COMMIT.json", ".tmp")


@pytest.fixture
def upload_hub(tmp_path, monkeypatch):
    with UploadHub(tmp_path / "hub_storage") as hub:
        hub.use(monkeypatch)
        yield hub


@pytest.fixture
def so100_sims():
    sims = (make_sim("so100_follower"), make_sim("so100_leader"))
    try:
        calibrate_pair("so100", sims)
        yield sims
    finally:
        for sim in sims:
            sim.stop()


def record_args(sims, root: Path, video_file: Path, *extra: str) -> list[str]:
    return [
        "--robot.type=so100_follower", f"--robot.port={sims[0].port}", "--robot.id=f1",
        file_camera_flag(video_file),
        "--teleop.type=so100_leader", f"--teleop.port={sims[1].port}", "--teleop.id=l1",
        f"--dataset.repo_id={REPO_ID}", f"--dataset.root={root}", "--dataset.single_task=Pick the cube",
        "--dataset.fps=15", "--dataset.episode_time_s=0.4", "--dataset.reset_time_s=0",
        "--dataset.num_episodes=2", "--dataset.vcodec=h264", "--play_sounds=false", "--keyboard=none",
        "--dataset.push_to_hub=true", "--dataset.private=true", "--dataset.tags=[so100, test]",
        *extra,
    ]  # fmt: skip


def local_files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".cache" not in p.relative_to(root).parts
    }


def assert_same_frames(local, downloaded) -> None:
    """Every item of two LeRobotDatasets equal: state, action, decoded images, timestamps, indices, task."""
    assert len(local) == len(downloaded) and local.meta.info == downloaded.meta.info
    for i in range(len(local)):
        a, b = local[i], downloaded[i]
        assert a.keys() == b.keys()
        for key in a:
            if hasattr(a[key], "shape"):
                np.testing.assert_array_equal(a[key].numpy(), b[key].numpy(), err_msg=f"frame {i} {key}")
            else:
                assert a[key] == b[key], (i, key)


def assert_pushed(hub: UploadHub, root: Path, tags: list[str]) -> dict[str, bytes]:
    """The repo holds every file of `root` byte-identical, nothing temporary, a card with `tags`, v3.0."""
    files = hub.files(REPO_ID)
    local = local_files(root)
    assert not [f for f in local if any(t in f for t in TEMPORARY)], "finalize() left temporary files"
    assert sorted(files) == sorted([*local, "README.md"])
    for rel, data in local.items():
        assert files[rel] == data, rel
    card = files["README.md"].decode()
    header = card.split("---")[1]
    assert all(f'- "{tag}"' in header for tag in ["LeRobot", *tags]), header
    assert hub.tags(REPO_ID) == {"v3.0": hub.head(REPO_ID)}
    return files


@pytest.mark.parametrize("video", [True, False], ids=["video", "images"])
def test_record_push_then_download(video, so100_sims, upload_hub, tmp_path, monkeypatch):
    from huggingface_hub import HfApi

    from lerobot.datasets.lerobot_dataset import LeRobotDataset
    from tests.cameras.conftest import make_video

    root = tmp_path / "ds"
    args = record_args(so100_sims, root, make_video(tmp_path / "front.mp4"), f"--dataset.video={video}")
    dataset, stats = record(parse(RecordConfig, args), events=new_events())
    assert dataset.num_episodes == 2 and len(stats) == 2

    files = assert_pushed(upload_hub, root, ["so100", "test"])
    assert HfApi().repo_info(REPO_ID, repo_type="dataset").private is True
    # video=false: the frames are PNG bytes inside the data parquet, so data/ alone carries them
    assert any(f.startswith("videos/") for f in files) == video
    ftype = dataset.meta.features["observation.images.front"]["dtype"]
    assert ftype == ("video" if video else "image")

    # A fresh cache: the dataset comes from the Hub, through the real client, and equals the local one.
    monkeypatch.setenv("HF_LEROBOT_HOME", str(tmp_path / "fresh_home"))
    upload_hub.clear_log()
    downloaded = LeRobotDataset(REPO_ID)
    assert downloaded.root == tmp_path / "fresh_home" / REPO_ID
    assert set(upload_hub.downloaded(REPO_ID)) >= set(files) - {"README.md"}
    local = LeRobotDataset(REPO_ID, root=root)
    assert_same_frames(local, downloaded)
    assert local[0]["task"] == "Pick the cube" and local.num_episodes == 2
    assert tuple(local[0]["observation.images.front"].shape) == (3, 64, 96)


@pytest.mark.parametrize(("action", "status"), [("commit", 500), ("create", 401)])
def test_failed_push_keeps_the_recording_and_says_how_to_retry(
    action, status, so100_sims, upload_hub, tmp_path
):
    from lerobot.datasets.lerobot_dataset import LeRobotDataset
    from tests.cameras.conftest import make_video

    root = tmp_path / "ds"
    args = record_args(so100_sims, root, make_video(tmp_path / "front.mp4"))
    upload_hub.fail(action, status)
    with pytest.raises(RuntimeError) as err:
        record(parse(RecordConfig, args), events=new_events())
    message = str(err.value)
    assert f"'{REPO_ID}'" in message and str(root) in message and "2 episodes" in message
    assert f"{status}" in message  # the cause, e.g. "500 Server Error" / "401 Client Error"
    if action == "commit":  # the repo was created, nothing was committed
        assert upload_hub.files(REPO_ID) == {}
    else:
        assert REPO_ID not in upload_hub.repos

    # Nothing that was saved is lost: the dataset is complete and loadable.
    before = local_files(root)
    saved = LeRobotDataset(REPO_ID, root=root)
    assert saved.num_episodes == 2 and saved[len(saved) - 1]["task"] == "Pick the cube"

    # The retry command in the message works once the cause is gone.
    command = message.split("retry the upload with:\n", 1)[1].strip()
    argv = shlex.split(command)
    assert argv[:2] == ["python", "-c"]
    upload_hub.fail(action, None)
    done = subprocess.run([sys.executable, *argv[1:]], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert local_files(root) == before
    assert_pushed(upload_hub, root, ["so100", "test"])
    assert upload_hub.repos[REPO_ID].private


def test_nothing_recorded_nothing_pushed(so100_sims, upload_hub, tmp_path, caplog):
    """Stopped before the first episode: no empty repo is created on the Hub."""
    from tests.cameras.conftest import make_video

    args = record_args(so100_sims, tmp_path / "ds", make_video(tmp_path / "front.mp4"))
    events = new_events()
    events["stop_recording"] = True
    with caplog.at_level("WARNING"):
        dataset, _ = record(parse(RecordConfig, args), events=events)
    assert dataset.num_episodes == 0 and upload_hub.repos == {}
    assert "nothing to push" in caplog.text


def test_control_robot_record_pushes(tmp_path, upload_hub, monkeypatch):
    """The v2.1 entry point: `control_robot.py --control.type=record --control.push_to_hub=true`."""
    from lerobot.datasets.lerobot_dataset import LeRobotDataset
    from lerobot.scripts import control_robot
    from tests.robots.conftest import scripted_calibration

    base = ["--robot.type=so100", "--robot.mock=true", f"--robot.calibration_dir={tmp_path / 'calib'}"]
    cfg = parse(control_robot.ControlPipelineConfig, [*base, "--control.type=calibrate"])
    devices = control_robot.Devices(cfg.robot)
    try:
        follower_sim, leader_sim = devices.sims
        arms = {"follower": devices.robot().arms["main"], "leader": devices.leaders().arms["main"]}
        devices.input_fn = scripted_calibration({"follower": follower_sim, "leader": leader_sim}, arms)
        cfg.control.run(devices)
    finally:
        devices.close()
    # New simulated buses: ENTER at the prompt writes the calibration files to them.
    root = tmp_path / "legacy"
    args = [
        *base, "--control.type=record", f"--control.repo_id={REPO_ID}", f"--control.root={root}",
        "--control.single_task=t", "--control.fps=20", "--control.warmup_time_s=0",
        "--control.episode_time_s=0.3", "--control.reset_time_s=0", "--control.num_episodes=1",
        "--control.push_to_hub=true", "--control.private=true", "--control.tags=[legacy]",
        "--control.play_sounds=false", "--control.keyboard=none",
    ]  # fmt: skip
    # what `main(args)` runs, with the calibration prompts answered
    control_robot.control_robot(parse(control_robot.ControlPipelineConfig, args), input_fn=lambda prompt: "")
    assert_pushed(upload_hub, root, ["legacy"])
    assert upload_hub.repos[REPO_ID].private
    monkeypatch.setenv("HF_LEROBOT_HOME", str(tmp_path / "fresh_home"))
    assert_same_frames(LeRobotDataset(REPO_ID, root=root), LeRobotDataset(REPO_ID))
