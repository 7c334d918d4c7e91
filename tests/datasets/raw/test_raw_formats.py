"""Raw-format converters (lerobot/datasets/raw/): each builds a small raw dataset in the original layout,
converts it through the v3.0 writer and checks counts, values, images and rewards of the loaded result."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest

from lerobot.datasets.lerobot_dataset import LeRobotDataset
from lerobot.datasets.raw import pusht_zarr
from lerobot.datasets.raw.common import RawFormatError
from lerobot.datasets.raw.registry import convert_raw
from lerobot.datasets.raw.xarm_pkl import UnsafePickleError
from tests.datasets.raw.raw_factories import (
    make_aloha_hdf5,
    make_pusht_zarr,
    make_robomimic_hdf5,
    make_umi_zarr,
    make_xarm_pkl,
)


def _columns(ds: LeRobotDataset) -> dict[str, np.ndarray]:
    """Every frame's values stacked per key (cameras as (N, H, W, C) uint8)."""
    items = [ds[i] for i in range(len(ds))]
    out = {}
    for key in items[0]:
        if key == "task":
            out[key] = [it[key] for it in items]
            continue
        arr = np.stack([it[key].numpy() for it in items])
        if key in ds.meta.camera_keys:
            arr = arr.transpose(0, 2, 3, 1)
        out[key] = arr
    return out


def _assert_images_close(got: np.ndarray, want: np.ndarray, mean_tol: float) -> None:
    assert got.shape == want.shape and got.dtype == np.uint8
    err = np.abs(got.astype(np.int16) - want.astype(np.int16))
    assert err.mean() <= mean_tol, f"mean abs error {err.mean():.2f} > {mean_tol}"


def test_pusht_zarr_converts_with_gym_pusht_rewards(tmp_path):
    raw, exp = make_pusht_zarr(tmp_path / "raw")
    ds = convert_raw(raw, "pusht_zarr", "me/pusht", local_dir=tmp_path / "out")
    ds = LeRobotDataset("me/pusht", root=tmp_path / "out", return_uint8=True)
    assert ds.fps == 10 and ds.num_episodes == 2 and len(ds) == 10
    assert ds.meta.video_keys == ["observation.image"]
    assert ds.episode_data_index["from"].tolist() == [0, 6] and ds.episode_data_index["to"].tolist() == [
        6,
        10,
    ]
    cols = _columns(ds)
    np.testing.assert_array_equal(cols["observation.state"], exp["state"][:, :2])
    np.testing.assert_array_equal(cols["action"], exp["action"])
    _assert_images_close(cols["observation.image"], exp["img"], mean_tol=6.0)  # AV1 crf 30
    assert cols["next.done"].tolist() == [i in (5, 9) for i in range(10)]
    assert cols["task"][0] == pusht_zarr.TASK

    # The reward of every frame is gym-pusht's: coverage of the goal by the block, as PushTEnv computes it.
    import gym_pusht  # noqa: F401
    import gymnasium as gym

    env = gym.make("gym_pusht/PushT-v0").unwrapped
    env.reset(seed=0)
    want_reward, want_success = [], []
    for x, y, angle in exp["state"][:, 2:5].astype(np.float64):
        # The recorded pose is what the env reports: `block.position` is the body origin. Setting the angle
        # first keeps it there (pymunk turns a body about its centre of gravity, not its origin).
        env.block.angle = angle
        env.block.position = (x, y)
        np.testing.assert_allclose(tuple(env.block.position), (x, y), atol=1e-9)
        cov = env._get_coverage()
        want_reward.append(np.clip(cov / env.success_threshold, 0, 1))
        want_success.append(cov > env.success_threshold)
    env.close()
    np.testing.assert_allclose(cols["next.reward"], want_reward, atol=1e-6)
    assert cols["next.success"].tolist() == want_success
    assert cols["next.reward"][2] == 1.0 and cols["next.success"][2]  # block on the goal
    assert 0.5 < cols["next.reward"][3] < 1.0 or cols["next.success"][3]
    assert cols["next.reward"].min() < 0.5  # random poses


@pytest.mark.parametrize("store", ["cup.zarr", "raw/cup_in_the_wild.zarr.zip"])
def test_umi_zarr(tmp_path, store):
    raw, exp = make_umi_zarr(tmp_path / store)
    raw_dir = tmp_path / "raw" if store.endswith(".zip") else raw  # the folder holding the zip, or the store
    convert_raw(raw_dir, "umi_zarr", "me/umi", local_dir=tmp_path / "out", video=False)
    ds = LeRobotDataset("me/umi", root=tmp_path / "out", return_uint8=True)
    assert ds.fps == 10 and ds.num_episodes == 2 and len(ds) == 8
    cols = _columns(ds)
    state = np.concatenate(
        [exp["robot0_eef_pos"], exp["robot0_eef_rot_axis_angle"], exp["robot0_gripper_width"]], axis=1
    )
    np.testing.assert_array_equal(cols["observation.state"], state)
    np.testing.assert_array_equal(cols["observation.demo_end_pose"], exp["robot0_demo_end_pose"])
    np.testing.assert_array_equal(cols["observation.image"], exp["camera0_rgb"])  # PNG: lossless
    # action = next frame's state within each episode, the last frame repeats its own
    np.testing.assert_array_equal(cols["action"][:4], state[1:5])
    np.testing.assert_array_equal(cols["action"][4], state[4])
    np.testing.assert_array_equal(cols["action"][5:7], state[6:8])
    assert ds.features["observation.state"]["names"][-1] == "gripper_width"


@pytest.mark.parametrize("compress", [False, True])
def test_aloha_hdf5(tmp_path, compress):
    raw, exp = make_aloha_hdf5(tmp_path / "raw", compress=compress, effort=not compress)
    convert_raw(raw, "aloha_hdf5", "me/aloha", local_dir=tmp_path / "out", vcodec="h264")
    ds = LeRobotDataset("me/aloha", root=tmp_path / "out", return_uint8=True)
    assert ds.fps == 50 and ds.num_episodes == 2 and len(ds) == 7
    assert sorted(ds.meta.camera_keys) == ["observation.images.left_wrist", "observation.images.top"]
    assert ("observation.effort" in ds.features) is (not compress)
    assert ds.meta.robot_type == "aloha" and ds.features["action"]["names"][6] == "left_gripper"
    cols = _columns(ds)
    cat = lambda k: np.concatenate([e[k] for e in exp])  # noqa: E731
    np.testing.assert_array_equal(cols["action"], cat("/action"))
    np.testing.assert_array_equal(cols["observation.state"], cat("/observations/qpos"))
    np.testing.assert_array_equal(cols["observation.velocity"], cat("/observations/qvel"))
    if not compress:
        np.testing.assert_array_equal(cols["observation.effort"], cat("/observations/effort"))
    # h264 (and JPEG q95 when compressed) within a few levels on these smooth frames
    _assert_images_close(cols["observation.images.top"], cat("images/top"), mean_tol=6.0)


@pytest.mark.parametrize("protocol", [2, 5])
def test_xarm_pkl(tmp_path, protocol):
    raw, buf = make_xarm_pkl(tmp_path / "raw", protocol=protocol)
    convert_raw(raw, "xarm_pkl", "me/xarm", local_dir=tmp_path / "out", video=False)
    ds = LeRobotDataset("me/xarm", root=tmp_path / "out", return_uint8=True)
    assert ds.fps == 15 and ds.num_episodes == 2 and len(ds) == 9
    cols = _columns(ds)
    np.testing.assert_array_equal(cols["observation.image"], buf["observations"]["rgb"].transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(cols["observation.state"], buf["observations"]["state"])
    np.testing.assert_array_equal(cols["action"], buf["actions"])
    np.testing.assert_array_equal(cols["next.reward"], buf["rewards"])
    np.testing.assert_array_equal(cols["next.done"], buf["dones"])
    assert ds.episode_data_index["to"].tolist() == [5, 9]


class _RunsCode:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def test_xarm_pkl_refuses_a_pickle_that_runs_code(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    raw, _ = make_xarm_pkl(tmp_path / "raw", payload=_RunsCode())
    with pytest.raises(UnsafePickleError, match=r"buffer\.pkl.*(posix|os)\.system"):
        convert_raw(raw, "xarm_pkl", "me/xarm", local_dir=tmp_path / "out")
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "out").exists()
    # a plain class reference (any global that is not numpy's) is refused the same way
    (raw / "buffer.pkl").write_bytes(pickle.dumps({"x": RawFormatError}))
    with pytest.raises(UnsafePickleError, match="buffer.pkl"):
        convert_raw(raw, "xarm_pkl", "me/xarm", local_dir=tmp_path / "out2")


@pytest.mark.parametrize("libero_task", [None, "put the bowl on the plate"])
def test_robomimic_hdf5(tmp_path, libero_task):
    raw, exp = make_robomimic_hdf5(tmp_path / "raw", libero_task=libero_task)
    convert_raw(raw, "robomimic_hdf5", "me/lift", local_dir=tmp_path / "out", video=False)
    ds = LeRobotDataset("me/lift", root=tmp_path / "out", return_uint8=True)
    assert ds.fps == 20 and ds.num_episodes == 2 and len(ds) == 9
    assert ds.episode_data_index["to"].tolist() == [4, 9]  # demo_2 (4 frames) before demo_10 (5)
    names = ds.features["observation.state"]["names"]
    assert names == [
        "robot0_eef_pos_0",
        "robot0_eef_pos_1",
        "robot0_eef_pos_2",
        "robot0_gripper_qpos_0",
        "robot0_gripper_qpos_1",
    ]
    cols = _columns(ds)
    cat = lambda k: np.concatenate([e[k] for e in exp])  # noqa: E731
    state = np.concatenate([cat("obs/robot0_eef_pos"), cat("obs/robot0_gripper_qpos")], axis=1)
    np.testing.assert_allclose(cols["observation.state"], state.astype(np.float32))
    np.testing.assert_array_equal(cols["action"], cat("actions"))
    np.testing.assert_array_equal(cols["observation.images.agentview_image"], cat("obs/agentview_image"))
    np.testing.assert_array_equal(cols["next.reward"], cat("rewards"))
    np.testing.assert_array_equal(cols["next.done"], cat("dones").astype(bool))
    assert cols["task"][0] == (libero_task or "Lift")


# -- bad raw input: the error names the file and the array ----------------------------------------------
def test_missing_array_names_file_and_array(tmp_path):
    raw, _ = make_pusht_zarr(tmp_path / "raw", drop="action")
    with pytest.raises(RawFormatError, match=r"pusht_cchi_v7_replay\.zarr: array .data/action. is missing"):
        convert_raw(raw, "pusht_zarr", "me/p", local_dir=tmp_path / "out")


def test_mismatched_lengths_name_file_and_array(tmp_path):
    raw, _ = make_pusht_zarr(tmp_path / "raw", bad_len="state")
    with pytest.raises(
        RawFormatError, match=r"replay\.zarr: array 'data/state' has 9 rows but 'data/img' has 10"
    ):
        convert_raw(raw, "pusht_zarr", "me/p", local_dir=tmp_path / "out")


def test_aloha_bad_episode_names_its_file(tmp_path):
    def mutate(ep, arrays, images):
        if ep == 1:
            arrays["/observations/qvel"] = arrays["/observations/qvel"][:, :7]

    raw, _ = make_aloha_hdf5(tmp_path / "raw", mutate=mutate)
    with pytest.raises(
        RawFormatError, match=r"episode_1\.hdf5: array '/observations/qvel' has shape \(3, 7\)"
    ):
        convert_raw(raw, "aloha_hdf5", "me/a", local_dir=tmp_path / "out", video=False)
    # the episodes before the bad file were saved and load
    assert LeRobotDataset("me/a", root=tmp_path / "out").num_episodes == 1


def test_unknown_format_and_existing_output(tmp_path):
    with pytest.raises(RawFormatError, match="Unknown --raw-format 'lerobot_zip'.*pusht_zarr"):
        convert_raw(tmp_path, "lerobot_zip", "me/p")
    (tmp_path / "out").mkdir()
    raw, _ = make_xarm_pkl(tmp_path / "raw")
    with pytest.raises(FileExistsError, match="--force-override 1"):
        convert_raw(raw, "xarm_pkl", "me/x", local_dir=tmp_path / "out")
    ds = convert_raw(raw, "xarm_pkl", "me/x", local_dir=tmp_path / "out", video=False, force_override=True)
    assert ds.num_episodes == 2
    ds = convert_raw(raw, "xarm_pkl", "me/x", local_dir=tmp_path / "out", video=False, force_override=True)
    assert ds.num_episodes == 2  # a dataset is replaced, not appended to
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="not a LeRobot dataset"):
        convert_raw(raw, "xarm_pkl", "me/x", local_dir=tmp_path / "mine", force_override=True)
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"
