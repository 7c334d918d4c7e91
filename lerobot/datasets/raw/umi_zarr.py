"""UMI's ReplayBuffer (`cup_in_the_wild.zarr`, zarr format 2), 10 fps.

    data/camera0_rgb                  (N, 224, 224, 3) uint8 -> observation.image
    data/robot0_eef_pos               (N, 3)   \
    data/robot0_eef_rot_axis_angle    (N, 3)    > observation.state (7): x, y, z, rx, ry, rz, gripper_width
    data/robot0_gripper_width         (N, 1)   /
    data/robot0_demo_start_pose       (N, 6) -> observation.demo_start_pose
    data/robot0_demo_end_pose         (N, 6) -> observation.demo_end_pose
    meta/episode_ends (E,) cumulative

UMI stores no action array (its policy predicts future end-effector poses from the state): `action` is
the next frame's `observation.state` (the last frame repeats its own), an absolute pose target.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lerobot.datasets.raw.common import (
    RawSource,
    camera_feature,
    check_length,
    check_shape,
    get_array,
    vector_feature,
)
from lerobot.datasets.raw.zarr_store import bounds, open_replay_buffer

FPS = 10
TASK = "Put the cup on the saucer."
STATE_NAMES = ["x", "y", "z", "rx", "ry", "rz", "gripper_width"]
POSE_NAMES = ["x", "y", "z", "rx", "ry", "rz"]
STATE_NAMES_KEYS = ("robot0_eef_pos", "robot0_eef_rot_axis_angle", "robot0_gripper_width")


def read(raw_dir: Path) -> RawSource:
    path, root, data, ends = open_replay_buffer(raw_dir)
    img = get_array(root, "data/camera0_rgb", path, "(N, H, W, 3) uint8 images")
    check_shape(img, "data/camera0_rgb", path, ndim=4, tail=(3,))
    arrays = {}
    for key, width in [
        ("robot0_eef_pos", 3),
        ("robot0_eef_rot_axis_angle", 3),
        ("robot0_gripper_width", 1),
        ("robot0_demo_start_pose", 6),
        ("robot0_demo_end_pose", 6),
    ]:
        arrays[key] = get_array(root, f"data/{key}", path, f"(N, {width}) float")
        check_shape(arrays[key], f"data/{key}", path, ndim=2, tail=(width,))
    check_length({f"data/{k}": v for k, v in arrays.items()}, img.shape[0], path, "'data/camera0_rgb'")
    episodes = bounds(path, data, ends, "camera0_rgb")
    features = {
        "observation.image": camera_feature(img.shape[1:]),
        "observation.state": vector_feature(STATE_NAMES),
        "observation.demo_start_pose": vector_feature(POSE_NAMES),
        "observation.demo_end_pose": vector_feature(POSE_NAMES),
        "action": vector_feature(STATE_NAMES),
    }

    def iterate():
        for a, b in episodes:
            state = np.concatenate([np.asarray(arrays[k][a:b]) for k in STATE_NAMES_KEYS], axis=1).astype(
                np.float32
            )
            action = np.concatenate([state[1:], state[-1:]], axis=0)
            yield (
                {
                    "observation.image": np.asarray(img[a:b], dtype=np.uint8),
                    "observation.state": state,
                    "observation.demo_start_pose": np.asarray(
                        arrays["robot0_demo_start_pose"][a:b], np.float32
                    ),
                    "observation.demo_end_pose": np.asarray(arrays["robot0_demo_end_pose"][a:b], np.float32),
                    "action": action,
                },
                TASK,
            )

    return RawSource(features, iterate, len(episodes), robot_type="umi")
