"""lerobot-edit-dataset / lerobot-info command lines: the reference's flags, one-line errors, exit codes."""

import subprocess
import sys

import numpy as np
import pytest

from lerobot.datasets.lerobot_dataset import LeRobotDataset
from lerobot.scripts.lerobot_edit_dataset import main
from lerobot.scripts.lerobot_info import main as info_main
from tests.datasets.tools.helpers import rc, tree_hash


def test_delete_episodes_to_new_repo(fixture_dataset_root, tmp_path, capsys):
    src = fixture_dataset_root("pusht_v30")
    before = tree_hash(src)
    rc = main(
        [
            "--repo_id=lerobot/pusht",
            f"--root={src}",
            "--new_repo_id=me/pusht_clean",
            f"--new_root={tmp_path / 'out'}",
            "--operation.type=delete_episodes",
            "--operation.episode_indices=[0, 2]",
        ]
    )
    assert rc == 0 and tree_hash(src) == before
    assert LeRobotDataset("me/pusht_clean", root=tmp_path / "out").num_episodes == 3


def test_new_root_defaults_to_hf_lerobot_home(fixture_dataset_root, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_LEROBOT_HOME", str(tmp_path / "home"))
    src = fixture_dataset_root("multicam_v30")
    args = [f"--root={src}", "--new_repo_id=me/mc", "--operation.type=remove_feature"]
    assert rc(main, [*args, "--operation.feature_names=[observation.images.top]"]) == 0
    assert "observation.images.top" not in LeRobotDataset("me/mc", root=tmp_path / "home/me/mc").features


def test_split_merge_tasks_add_feature(fixture_dataset_root, tmp_path):
    src = fixture_dataset_root("pusht_v30")
    assert rc(main, [f"--root={src}", f"--new_root={tmp_path}/s", "--operation.type=split",
                 "--operation.splits={train: 0.6, val: 0.4}"]) == 0  # fmt: skip
    train, val = tmp_path / "s/train", tmp_path / "s/val"
    assert rc(main, [f"--new_root={tmp_path}/m", "--operation.type=merge", "--operation.repo_ids=[a, b]",
                 f"--operation.roots=[{train}, {val}]"]) == 0  # fmt: skip
    assert LeRobotDataset("l/m", root=tmp_path / "m").num_frames == LeRobotDataset("l/s", root=src).num_frames
    m = tmp_path / "m"
    assert rc(main, [f"--root={m}", "--operation.type=modify_tasks", "--operation.new_task=push",
                 "--operation.episode_tasks={1: push harder}"]) == 0  # fmt: skip
    assert LeRobotDataset("l/m", root=m).meta.task_list == ["push", "push harder"]
    np.save(tmp_path / "r.npy", np.ones(LeRobotDataset("l/m", root=m).num_frames, np.float32))
    assert rc(main, [f"--root={m}", "--operation.type=add_feature", "--operation.feature_name=bonus",
                 f"--operation.values_path={tmp_path / 'r.npy'}", "--operation.dtype=float32"]) == 0  # fmt: skip
    assert LeRobotDataset("l/m", root=m)[0]["bonus"].item() == 1.0
    assert len(list(tmp_path.glob("m.backup-*"))) == 2  # two in-place edits, two backups kept


def test_info_operation(fixture_dataset_root, capsys):
    src = fixture_dataset_root("multicam_v30")
    assert rc(main, [f"--root={src}", "--operation.type=info", "--operation.show_features=true"]) == 0
    out = capsys.readouterr().out
    assert "codebase_version: v3.0" in out and "observation.images.front: dtype=video" in out


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--operation.type=delete_episodes", "--operation.episode_indices=[42]"], "episode(s) [42] not in"),
        (["--operation.type=split", "--operation.splits={a: 0.5, b: 0.2}"], "sum to 1"),
        (["--operation.type=remove_feature", "--operation.feature_names=[nope]"], "feature 'nope' is not in"),
    ],
)
def test_user_errors_are_one_line_exit_2(args, needle, fixture_dataset_root, tmp_path, capsys):
    src = fixture_dataset_root("pusht_v30")
    before = tree_hash(src)
    assert rc(main, [f"--root={src}", f"--new_root={tmp_path / 'o'}", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and "\n" not in err and "Traceback" not in err
    assert tree_hash(src) == before and not (tmp_path / "o").exists()


def test_lerobot_info_console(capsys):
    assert rc(info_main, []) == 0
    out = capsys.readouterr().out
    for line in ("- lerobot version:", "- Python version:", "- PyTorch version:", "- CUDA available:",
                 "- PyAV version:", "- Video encoders:", "- Sim envs installed:", "- Platform:"):  # fmt: skip
        assert line in out
    assert "libsvtav1" in out  # the writer's default codec is usable here
    assert rc(info_main, ["--bogus"]) == 2


def test_console_scripts_run(fixture_dataset_root):
    src = fixture_dataset_root("pusht_v30")
    r = subprocess.run([sys.executable, "-m", "lerobot.scripts.lerobot_dataset_check", str(src)],
                       capture_output=True, text=True, timeout=120)  # fmt: skip
    assert r.returncode == 0, r.stderr


def test_push_to_hub_uploads_the_result(fixture_dataset_root, tmp_path, monkeypatch):
    from tests.utils.upload_hub import UploadHub

    src = fixture_dataset_root("pusht_v30")
    with UploadHub(tmp_path / "hub_storage") as hub:
        hub.use(monkeypatch)
        args = [f"--root={src}", "--new_repo_id=me/pusht_small", f"--new_root={tmp_path / 'o'}"]
        ops = ["--operation.type=delete_episodes", "--operation.episode_indices=[1]", "--push_to_hub=true"]
        assert rc(main, [*args, *ops]) == 0
        files = hub.files("me/pusht_small")
    out = tmp_path / "o"
    local = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert sorted(f for f in files if f != "README.md") == local
    assert files["meta/info.json"] == (out / "meta/info.json").read_bytes()


def test_missing_operation_and_locked_dataset(tmp_path, capsys):
    from lerobot.datasets.writing.lock import WriterLock
    from tests.datasets.factories import make_dataset

    assert rc(main, ["--root=x"]) == 2
    assert "--operation.type is required" in capsys.readouterr().err
    root = make_dataset(
        tmp_path / "ds", n_episodes=2, episode_length=4, vcodec="h264", camera_shape=(32, 32, 3)
    )
    before = tree_hash(root)
    lock = WriterLock(root)
    lock.acquire()  # a recording in progress: in-place edits refuse, naming the holder
    try:
        assert (
            rc(
                main,
                [f"--root={root}", "--operation.type=delete_episodes", "--operation.episode_indices=[0]"],
            )
            == 2
        )
        assert "being written by pid" in capsys.readouterr().err
    finally:
        lock.release()
    assert tree_hash(root) == before


def test_check_operation(fixture_dataset_root, tmp_path, capsys):
    assert rc(main, [f"--root={fixture_dataset_root('pusht_v30')}", "--operation.type=check"]) == 0
    assert rc(main, [f"--root={tmp_path}", "--operation.type=check"]) == 1
    assert "meta/info.json: missing" in capsys.readouterr().out
