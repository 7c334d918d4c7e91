"""Options of `LeRobotDataset(...)` checked before anything loads (lerobot/datasets/option_checks.py), and
`python -m lerobot.datasets.convert --from v2.0`."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from lerobot.datasets.option_checks import check_delta_timestamp_values, check_episode_selection


@pytest.mark.parametrize(
    ("delta_timestamps", "message"),
    [
        ({"action": [0.0, float("nan")]}, r"delta_timestamps\['action'\] must hold finite numbers.*\[nan\]"),
        ({"observation.state": [float("inf")]}, r"delta_timestamps\['observation.state'\].*\[inf\]"),
        ({"action": [0.0, "0.1"]}, r"delta_timestamps\['action'\].*\['0.1'\]"),
        ({"action": [True]}, r"delta_timestamps\['action'\].*\[True\]"),
        ({"action": []}, r"delta_timestamps\['action'\] must be a non-empty list"),
        ({"action": 0.1}, r"delta_timestamps\['action'\] must be a non-empty list"),
        ([0.1], r"delta_timestamps must be a dict"),
    ],
)
def test_delta_timestamps_values(delta_timestamps, message):
    with pytest.raises(ValueError, match=message):
        check_delta_timestamp_values(delta_timestamps)


def test_valid_delta_timestamps_and_episodes_pass():
    check_delta_timestamp_values({"action": [-0.1, 0, np.float32(0.1)]})
    check_delta_timestamp_values(None)
    assert check_episode_selection([2, np.int64(0), 3.0]) == [2, 0, 3]
    assert check_episode_selection(None) is None


@pytest.mark.parametrize(
    ("episodes", "error", "message"),
    [
        ([1.7], ValueError, r"integer episode indices, got 1.7"),
        ([0, "2"], ValueError, r"integer episode indices, got '2'"),
        ([True], ValueError, r"integer episode indices, got True"),
        ([-1], ValueError, r"indices >= 0, got -1"),
        (3, TypeError, r"episodes must be a list of episode indices"),
    ],
)
def test_episode_selection(episodes, error, message):
    with pytest.raises(error, match=message):
        check_episode_selection(episodes)


@pytest.fixture(scope="module")
def small_dataset(tmp_path_factory):
    from tests.datasets.factories import make_dataset

    return make_dataset(tmp_path_factory.mktemp("opts") / "ds", n_episodes=2, episode_length=3, use_videos=False,
                        camera_shape=(8, 8, 3))  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"episodes": [1.7]}, "integer episode indices, got 1.7"),
        ({"episodes": [5]}, r"episodes \[5\] are not in dataset"),
        ({"delta_timestamps": {"action": [float("nan")]}}, r"delta_timestamps\['action'\]"),
    ],
)
def test_dataset_constructor_refuses_bad_options(small_dataset, kwargs, message):
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    with pytest.raises(ValueError, match=message):
        LeRobotDataset("me/ds", root=small_dataset, **kwargs)


def test_convert_from_v20(reference_fixtures, tmp_path):
    """A v2.0 dataset (global meta/stats.json, no episodes_stats.jsonl) converts to v3.0 and reads back the
    same frames; its stats are the global ones."""
    from lerobot.datasets.convert import main
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    src = tmp_path / "pusht_v20"
    shutil.copytree(reference_fixtures / "datasets/pusht_v21", src)
    info = json.loads((src / "meta/info.json").read_text())
    info["codebase_version"] = "v2.0"
    (src / "meta/info.json").write_text(json.dumps(info))
    v21 = LeRobotDataset("local/pusht_v21", root=reference_fixtures / "datasets/pusht_v21")
    stats = {k: {s: np.asarray(v).tolist() for s, v in st.items()} for k, st in v21.meta.stats.items()}
    (src / "meta/stats.json").write_text(json.dumps(stats))
    (src / "meta/episodes_stats.jsonl").unlink()

    with pytest.raises(SystemExit) as e:  # --from must match the dataset
        main(["--from", "v2.1", "--to", "v3.0", "--no-progress", str(src), str(tmp_path / "bad")])
    assert e.value.code == 2
    assert main(["--from", "v2.0", "--to", "v3.0", "--no-progress", str(src), str(tmp_path / "v30")]) == 0
    out = LeRobotDataset("local/v30", root=tmp_path / "v30")
    assert out.meta.info["codebase_version"] == "v3.0" and out.num_frames == v21.num_frames
    np.testing.assert_array_equal(out[5]["action"].numpy(), v21[5]["action"].numpy())
    np.testing.assert_allclose(out.meta.stats["action"]["mean"], stats["action"]["mean"])
