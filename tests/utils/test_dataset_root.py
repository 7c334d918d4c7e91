"""`--root` may be the dataset folder or a folder holding `<repo_id>/`: one rule (lerobot/utils/dataset_root.py)
for lerobot-train, lerobot-record --resume, lerobot-replay, MultiLeRobotDataset and lerobot-dataset-viz."""

import importlib.util

import pytest

from lerobot.datasets.multi_dataset import MultiLeRobotDataset
from lerobot.utils.dataset_root import require_local_dataset, resolve_dataset_root
from tests.datasets.factories import make_dataset


@pytest.fixture(scope="module")
def parent(tmp_path_factory):
    """my_local_data_dir/lerobot/pusht and my_local_data_dir/me/other, as the early README lays them out."""
    parent = tmp_path_factory.mktemp("root_rule") / "my_local_data_dir"
    make_dataset(
        parent / "lerobot/pusht", n_episodes=2, episode_length=3, camera_shape=(16, 16, 3), vcodec="h264"
    )
    make_dataset(parent / "me/other", n_episodes=1, episode_length=4, camera_shape=(16, 16, 3), vcodec="h264")
    return parent


def test_rule(parent, tmp_path):
    assert resolve_dataset_root("lerobot/pusht", None) is None
    assert resolve_dataset_root("lerobot/pusht", parent) == parent / "lerobot/pusht"
    assert resolve_dataset_root("lerobot/pusht", parent / "lerobot/pusht") == parent / "lerobot/pusht"
    assert resolve_dataset_root("x/y", parent / "me/other") == parent / "me/other"  # the folder itself wins
    assert resolve_dataset_root("lerobot/pusht", tmp_path / "new") == tmp_path / "new"  # download/create here
    assert resolve_dataset_root("a/b", tmp_path / "new", several=True) == tmp_path / "new/a/b"
    assert require_local_dataset("lerobot/pusht", parent) == parent / "lerobot/pusht"
    with pytest.raises(FileNotFoundError, match=r"lerobot/aloha is not on this computer.*--local-files-only"):
        require_local_dataset("lerobot/aloha", parent)


def test_entry_points_follow_the_rule(parent):
    from lerobot.scripts.lerobot_replay import load_episode_actions

    names, actions, fps = load_episode_actions("lerobot/pusht", 1, parent)
    assert actions.shape == (3, 6) and fps == 10
    multi = MultiLeRobotDataset(["lerobot/pusht", "me/other"], root=parent)
    assert len(multi) == 10

    from types import SimpleNamespace

    from lerobot.policies.factory import make_policy_config
    from lerobot.scripts.train import make_dataset as make_train_dataset

    ds_cfg = SimpleNamespace(
        repo_id="lerobot/pusht", root=parent, revision=None, episodes=None, video_backend=None,
        use_imagenet_stats=False, image_transforms=SimpleNamespace(enable=False),
    )  # fmt: skip
    cfg = SimpleNamespace(dataset=ds_cfg, policy=make_policy_config("act", chunk_size=2, n_action_steps=2))
    dataset, meta = make_train_dataset(cfg)
    assert dataset.root == parent / "lerobot/pusht" and len(dataset) == 6


@pytest.mark.skipif(importlib.util.find_spec("rerun") is None, reason="needs the `rerun` extra")
def test_visualize_readme_line(parent, tmp_path, capsys):
    """`--repo-id lerobot/pusht --root ./my_local_data_dir --local-files-only 1 --episode-index 0`."""
    from lerobot.scripts.visualize_dataset import run_cli

    args = ["--repo-id", "lerobot/pusht", "--root", str(parent), "--local-files-only", "1",
            "--episode-index", "1", "--save", "1", "--output-dir", str(tmp_path), "--num-workers", "0"]  # fmt: skip
    path = run_cli(args)
    assert path == tmp_path / "lerobot_pusht_episode_1.rrd" and path.stat().st_size > 0
    with pytest.raises(SystemExit) as exit_info:
        run_cli(["--repo-id", "lerobot/aloha", *args[2:]])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("lerobot-dataset-viz: error: lerobot/aloha is not on this computer")
