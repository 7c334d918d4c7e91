"""`lerobot/scripts/push_dataset_to_hub.py`: raw dataset -> v3.0 LeRobot dataset -> (local) Hub."""

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


def test_defaults_local_dir_and_fps_override(tmp_path, monkeypatch):
    raw, _ = make_xarm_pkl(tmp_path / "raw")
    ds = run_cli(["--raw-dir", str(raw), "--raw-format", "xarm_pkl", "--repo-id", "me/xarm",
                  "--push-to-hub", "0", "--video", "0", "--fps", "30", "--task", "Lift it."])  # fmt: skip
    from lerobot.utils.constants import hf_lerobot_home

    assert ds.root == hf_lerobot_home() / "me/xarm" and ds.fps == 30
    assert ds.meta.video_keys == [] and ds.meta.camera_keys == ["observation.image"]
    assert ds[0]["task"] == "Lift it."


def _run(args, cwd):
    return subprocess.run(
        [sys.executable, str(REPO_ROOT / "lerobot/scripts/push_dataset_to_hub.py"), *args],
        cwd=cwd, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize(
    "make_args, expected",
    [
        (lambda raw: ["--raw-format", "hdf5_zip"], "argument --raw-format: invalid choice: 'hdf5_zip'"),
        (
            lambda raw: ["--raw-format", "pusht_zarr"],
            "pusht_cchi_v7_replay.zarr: array 'data/action' is missing",
        ),
        (lambda raw: ["--raw-format", "aloha_hdf5"], "no episode_<i>.hdf5 file"),
    ],
)
def test_user_errors_are_one_line_exit_2(tmp_path, make_args, expected):
    raw, _ = make_pusht_zarr(tmp_path / "raw", drop="action")
    proc = _run(["--raw-dir", str(raw), "--repo-id", "me/p", "--push-to-hub", "0",
                 "--local-dir", str(tmp_path / "out"), *make_args(raw)], tmp_path)  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert expected in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("push_dataset_to_hub.py: error:")
