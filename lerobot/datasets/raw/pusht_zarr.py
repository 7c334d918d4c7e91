"""Diffusion Policy's PushT ReplayBuffer (`pusht_cchi_v7_replay.zarr`, zarr format 2), 10 fps.

    data/img        (N, 96, 96, 3) uint8  -> observation.image
    data/state      (N, 5) agent x, y, block x, y, block angle -> observation.state = agent x, y
    data/action     (N, 2) target of the agent -> action
    data/keypoint   (N, 9, 2), data/n_contacts (N, 1): not converted (the env recomputes them)
    meta/episode_ends (E,) cumulative

`next.reward`, `next.success` are computed from each frame's block pose as gym-pusht's `PushTEnv` does
(`_get_coverage` and `step`): coverage = area(goal T ∩ block T) / area(goal T), with the T of `add_tee`
(two 120x30 and 30x90 boxes, scale 30) and the goal pose (256, 256, pi/4); reward =
clip(coverage / 0.95, 0, 1), success = coverage > 0.95. `next.done` is true on the last frame of each
episode. The recorded block pose is the one the env reports (`block.position` is the pymunk body's
origin, `block.angle` its angle), so the T is placed by its origin: the coverage the env computed at that
frame. The T geometry and goal are copied here so the conversion needs only shapely, not pymunk/pygame.
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
TASK = "Push the T-shaped block onto the T-shaped target."
GOAL_POSE = (256.0, 256.0, np.pi / 4)  # gym_pusht.envs.pusht.PushTEnv._setup
SUCCESS_THRESHOLD = 0.95  # PushTEnv.success_threshold
_SCALE, _LENGTH = 30.0, 4  # PushTEnv.add_tee defaults
# The two boxes of the T in the block's frame (PushTEnv.add_tee's vertices1, vertices2).
TEE_LOCAL = (
    np.array(
        [
            (-_LENGTH * _SCALE / 2, _SCALE),
            (_LENGTH * _SCALE / 2, _SCALE),
            (_LENGTH * _SCALE / 2, 0),
            (-_LENGTH * _SCALE / 2, 0),
        ]
    ),
    np.array(
        [
            (-_SCALE / 2, _SCALE),
            (-_SCALE / 2, _LENGTH * _SCALE),
            (_SCALE / 2, _LENGTH * _SCALE),
            (_SCALE / 2, _SCALE),
        ]
    ),
)


def tee_geometry(x: float, y: float, angle: float):
    """The T at pose (x, y, angle) as a shapely MultiPolygon (pymunk's `body.local_to_world`: rotate the
    vertices by `angle`, then translate by the body position)."""
    import shapely.geometry as sg

    c, s = np.cos(angle), np.sin(angle)
    rot = np.array([[c, -s], [s, c]])
    polys = []
    for verts in TEE_LOCAL:
        world = verts @ rot.T + np.array([x, y])
        polys.append(sg.Polygon([*map(tuple, world), tuple(world[0])]))
    return sg.MultiPolygon(polys)


def coverage(block_pose) -> float:
    """Share of the goal T covered by the block at `block_pose` = (x, y, angle)."""
    goal = tee_geometry(*GOAL_POSE)
    block = tee_geometry(*map(float, block_pose))
    return goal.intersection(block).area / goal.area


def rewards(block_poses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(reward, success) per row of (T, 3) block poses, as PushTEnv.step computes them."""
    cov = np.array([coverage(p) for p in block_poses], dtype=np.float64)
    return np.clip(cov / SUCCESS_THRESHOLD, 0.0, 1.0).astype(np.float32), cov > SUCCESS_THRESHOLD


def read(raw_dir: Path) -> RawSource:
    path, root, data, ends = open_replay_buffer(raw_dir)
    img = get_array(root, "data/img", path, "(N, 96, 96, 3) uint8 images")
    state = get_array(root, "data/state", path, "(N, 5): agent x, y, block x, y, block angle")
    action = get_array(root, "data/action", path, "(N, 2) agent targets")
    check_shape(img, "data/img", path, ndim=4, tail=(3,))
    check_shape(state, "data/state", path, ndim=2, tail=(5,))
    check_shape(action, "data/action", path, ndim=2, tail=(2,))
    check_length({"data/state": state, "data/action": action}, img.shape[0], path, "'data/img'")
    episodes = bounds(path, data, ends, "img")
    features = {
        "observation.image": camera_feature(img.shape[1:]),
        "observation.state": vector_feature(["x", "y"]),
        "action": vector_feature(["x", "y"]),
        "next.reward": vector_feature(["reward"]),
        "next.done": vector_feature(["done"], "bool"),
        "next.success": vector_feature(["success"], "bool"),
    }

    def iterate():
        for a, b in episodes:
            st = np.asarray(state[a:b], dtype=np.float64)
            reward, success = rewards(st[:, 2:5])
            done = np.zeros(b - a, dtype=bool)
            done[-1] = True
            yield (
                {
                    "observation.image": np.asarray(img[a:b], dtype=np.uint8),
                    "observation.state": st[:, :2].astype(np.float32),
                    "action": np.asarray(action[a:b], dtype=np.float32),
                    "next.reward": reward[:, None],
                    "next.done": done[:, None],
                    "next.success": success[:, None],
                },
                TASK,
            )

    return RawSource(features, iterate, len(episodes), robot_type="2d pointer")
