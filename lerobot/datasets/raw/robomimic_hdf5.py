"""robomimic and LIBERO demonstrations: one hdf5 file (`demo.hdf5`, `image.hdf5`, `<task>_demo.hdf5`).

    data/demo_<i>/actions        (T, A) -> action
    data/demo_<i>/obs/<key>      (T, H, W, 3) uint8 -> observation.images.<key>;
                                 any other (T, ...) array -> a slice of observation.state, named
                                 `<key>_<j>` (keys in sorted order)
    data/demo_<i>/rewards        (T,) -> next.reward (when present)
    data/demo_<i>/dones          (T,) -> next.done (when present)
    data attribute `problem_info` (LIBERO, JSON with `language_instruction`) or `env_args` (robomimic,
    JSON with `env_name`) -> the task string

Demos are converted in the order of their index i. robomimic's fps is 20 (robosuite's control rate).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from lerobot.datasets.raw.common import (
    RawFormatError,
    RawSource,
    camera_feature,
    check_length,
    get_array,
    vector_feature,
)

FPS = 20
DEFAULT_TASK = "robomimic task"


def find_file(raw_dir: Path) -> Path:
    raw_dir = Path(raw_dir)
    if raw_dir.is_file():
        return raw_dir
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"--raw-dir {raw_dir} does not exist.")
    found = sorted(raw_dir.glob("*.hdf5"))
    if len(found) != 1:
        raise RawFormatError(
            f"{raw_dir}: expected one *.hdf5 file (robomimic/LIBERO), found {[p.name for p in found] or 'none'}."
        )
    return found[0]


def task_of(data) -> str:
    for attr, key in (("problem_info", "language_instruction"), ("env_args", "env_name")):
        raw = data.attrs.get(attr)
        if raw is None:
            continue
        try:
            value = json.loads(raw)
        except (TypeError, ValueError):
            continue
        task = value.get(key) if isinstance(value, dict) else None
        if isinstance(task, list):
            task = " ".join(task)
        if isinstance(task, str) and task.strip():
            return task.strip()
    return DEFAULT_TASK


def _is_image(arr) -> bool:
    return arr.ndim == 4 and arr.shape[-1] == 3 and arr.dtype == np.uint8


def read(raw_dir: Path) -> RawSource:
    import h5py

    path = find_file(raw_dir)
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise RawFormatError(f"{path}: not a readable HDF5 file ({e}).") from e
    with f:
        data = get_array(f, "data", path, "a group of demo_<i> groups")
        demos = sorted((k for k in data if re.fullmatch(r"demo_\d+", k)), key=lambda k: int(k[5:]))
        if not demos:
            raise RawFormatError(f"{path}: group 'data' holds no demo_<i> group.")
        task = task_of(data)
        first = data[demos[0]]
        obs0 = get_array(first, "obs", path, "a group of observation arrays")
        image_keys = sorted(k for k in obs0 if _is_image(obs0[k]))
        state_keys = sorted(k for k in obs0 if k not in image_keys)
        action0 = get_array(first, "actions", path, "(T, A) float")
        features = {f"observation.images.{k}": camera_feature(obs0[k].shape[1:]) for k in image_keys}
        state_names = []
        for k in state_keys:
            width = int(np.prod(obs0[k].shape[1:]))
            state_names += [f"{k}_{j}" for j in range(width)]
        if state_names:
            features["observation.state"] = vector_feature(state_names)
        features["action"] = vector_feature([f"a{j}" for j in range(action0.shape[1])])
        if "rewards" in first:
            features["next.reward"] = vector_feature(["reward"])
        if "dones" in first:
            features["next.done"] = vector_feature(["done"], "bool")

    def iterate():
        with h5py.File(path, "r") as f:
            for name in demos:
                demo = f["data"][name]
                where = f"data/{name}"
                actions = np.asarray(get_array(demo, "actions", path, f"{where}/actions (T, A)"), np.float32)
                obs = get_array(demo, "obs", path, f"{where}/obs")
                arrays = {}
                for k in image_keys:
                    arrays[f"observation.images.{k}"] = np.asarray(
                        get_array(obs, k, path, f"{where}/obs/{k}")
                    )
                parts = {}
                for k in state_keys:
                    a = np.asarray(get_array(obs, k, path, f"{where}/obs/{k}"))
                    parts[f"{where}/obs/{k}"] = a.reshape(len(a), -1)
                check_length(
                    {**parts, **{f"{where}/obs/{k}": arrays[f"observation.images.{k}"] for k in image_keys}},
                    len(actions),
                    path,
                    f"'{where}/actions'",
                )
                if state_keys:
                    state = np.concatenate(list(parts.values()), axis=1).astype(np.float32)
                    if state.shape[1] != len(state_names):
                        raise RawFormatError(
                            f"{path}: the arrays of '{where}/obs' give a state of width {state.shape[1]}, "
                            f"the first demo's {len(state_names)}: every demo needs the same observations."
                        )
                    arrays["observation.state"] = state
                arrays["action"] = actions
                for key, src, dtype in (("next.reward", "rewards", np.float32), ("next.done", "dones", bool)):
                    if key in features:
                        v = np.asarray(get_array(demo, src, path, f"{where}/{src} (T,)")).reshape(-1)
                        check_length({f"{where}/{src}": v}, len(actions), path, f"'{where}/actions'")
                        arrays[key] = v.astype(dtype)[:, None]
                yield arrays, task

    return RawSource(features, iterate, len(demos), robot_type="robomimic")
