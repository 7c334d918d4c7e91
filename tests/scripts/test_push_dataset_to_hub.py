"""`lerobot/scripts/push_dataset_to_hub.py`: raw dataset -> v3.0 LeRobot dataset -> (local) Hub."""

import shlex
import subprocess
import sys

import pytest

from lerobot.datasets.lerobot_dataset import LeRobotDataset
from lerobot.scripts.push_dataset_to_hub import run_cli
from tests.conftest import REPO_ROOT
from tests.datasets.raw.raw_factories import make_pusht_zarr, make_xarm_pkl
from tests.utils.upload_hub import UploadHub


def test_convert_and_push(tmp_path, monkeypatch):
    raw, _ = make_pusht_zarr(tmp_path / "raw")
    with UploadHub(tmp_path / "hub_storage") as hub:
        hub.use(monkeypatch)
        ds = run_cli(
            ["--raw-dir", str(raw), "--raw-format", "pusht_zarr", "--repo-id", "me/pusht",
             "--local-dir", str(tmp_path / "out"), "--push-to-hub", "1", "--vcodec", "h264"]
        )  # fmt: skip
        files = hub.files("me/pusht")
        assert hub.tags("me/pusht") == {"v3.0": hub.head("me/pusht")}
    local = sorted(p.relative_to(ds.root).as_posix() for p in ds.root.rglob("*") if p.is_file())
    assert sorted(f for f in files if f != "README.md") == local
    assert '- "pusht_zarr"' in files["README.md"].decode()
    loaded = LeRobotDataset("me/pusht", root=tmp_path / "out")
    assert loaded.num_episodes == 2 and loaded.meta.info["fps"] == 10


def test_failed_upload_keeps_the_conversion_and_says_how_to_retry(tmp_path, monkeypatch, capsys):
    raw, _ = make_xarm_pkl(tmp_path / "raw")
    args = ["--raw-dir", str(raw), "--raw-format", "xarm_pkl", "--repo-id", "me/xarm",
            "--local-dir", str(tmp_path / "out"), "--video", "0"]  # fmt: skip
    with UploadHub(tmp_path / "hub_storage") as hub:
        hub.use(monkeypatch)
        hub.fail("create", 401)
        with pytest.raises(SystemExit) as exit_info:
            run_cli(args)
        assert exit_info.value.code == 1
        line = capsys.readouterr().err.strip().splitlines()[-1]
        assert line.startswith("push_dataset_to_hub.py: error: uploading me/xarm failed") and "401" in line
        assert LeRobotDataset("me/xarm", root=tmp_path / "out").num_episodes == 2  # nothing lost
        hub.fail("create", None)
        retry = shlex.split(line.split("retry the upload with: ", 1)[1])
        done = subprocess.run([sys.executable, *retry[1:]], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert "meta/info.json" in hub.files("me/xarm")


def test_defaults_local_dir_and_fps_override(tmp_path, monkeypatch):
    raw, _ = make_xarm_pkl(tmp_path / "raw")
    ds = run_cli(["--raw-dir", str(raw), "--raw-format", "xarm_pkl", "--repo-id", "me/xarm",
                  "--push-to-hub", "0", "--video", "0", "--fps", "30", "--task", "Lift it."])  # fmt: skip
    from lerobot.utils.constants import hf_lerobot_home

    assert ds.root == hf_lerobot_home() / "me/xarm" and ds.fps == 30
    assert ds.meta.video_keys == [] and ds.meta.camera_keys == ["observation.image"]
    assert ds[0]["task"] == "Lift it."


@pytest.mark.parametrize(
    "make_args, expected",
    [
        (lambda raw: ["--raw-format", "hdf5_zip"], "argument --raw-format: invalid choice: 'hdf5_zip'"),
        (
            lambda raw: ["--raw-format", "pusht_zarr"],
            "pusht_cchi_v7_replay.zarr: array 'data/action' is missing",
        ),
        (lambda raw: ["--raw-format", "aloha_hdf5"], "no episode_<i>.hdf5 file"),
        (lambda raw: ["--raw-format", "pusht_zarr", "--fps", "0"], "--fps=0 must be > 0"),
    ],
)
def test_user_errors_are_one_line_exit_2(tmp_path, make_args, expected, capsys):
    raw, _ = make_pusht_zarr(tmp_path / "raw", drop="action")
    with pytest.raises(SystemExit) as exit_info:
        run_cli(["--raw-dir", str(raw), "--repo-id", "me/p", "--push-to-hub", "0",
                 "--local-dir", str(tmp_path / "out"), *make_args(raw)])  # fmt: skip
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert expected in err[-1] and err[-1].startswith("push_dataset_to_hub.py: error:")


def test_script_from_a_clone_errors_without_traceback(tmp_path):
    raw, _ = make_pusht_zarr(tmp_path / "raw", drop="action")
    proc = subprocess.run(
        [sys.executable, str(REPO_ROOT / "lerobot/scripts/push_dataset_to_hub.py"), "--raw-dir", str(raw),
         "--raw-format", "pusht_zarr", "--repo-id", "me/p", "--push-to-hub", "0"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert (
        proc.stderr.strip()
        .splitlines()[-1]
        .endswith(
            "array 'data/action' is missing (expected (N, 2) agent targets). Is this the right --raw-format?"
        )
    )
