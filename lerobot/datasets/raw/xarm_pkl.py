"""FOWM's xArm buffers (a pickled dict, e.g. `buffer.pkl`), 15 fps.

    observations       {"rgb": (N, 3, 84, 84) uint8, "state": (N, 4)} -> observation.image, observation.state
    actions            (N, 4) -> action
    rewards            (N,)   -> next.reward
    dones              (N,)   -> next.done; an episode ends at each true value
    next_observations  the next frame's observations (not converted: they are the following rows)

Pickle can run arbitrary code when loaded, so the file is read with `SafeUnpickler`: it rebuilds only
numpy arrays, dtypes and scalars, plus dicts, lists, tuples, strings and numbers; a pickle that names any
other class or function is refused before anything of it runs.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from lerobot.datasets.raw.common import (
    RawFormatError,
    RawSource,
    camera_feature,
    check_length,
    check_shape,
    get_array,
    vector_feature,
)

FPS = 15
TASK = "Lift the cube."
# (module, name) that numpy arrays and scalars pickle through (numpy 1.x and 2.x module paths).
ALLOWED_GLOBALS = {
    (mod, name)
    for prefix in ("numpy.core", "numpy._core")
    for mod, name in [
        (f"{prefix}.multiarray", "_reconstruct"),
        (f"{prefix}.multiarray", "scalar"),
        (f"{prefix}.numeric", "_frombuffer"),
    ]
} | {("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode")}  # protocol 2 pickles bytes via encode


class UnsafePickleError(pickle.UnpicklingError):
    pass


class SafeUnpickler(pickle.Unpickler):
    """Rebuilds numpy arrays, dicts, lists, tuples and scalars only (see the module docstring)."""

    def __init__(self, file, path: Path):
        super().__init__(file)
        self.path = path

    def find_class(self, module: str, name: str):
        if (module, name) in ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise UnsafePickleError(
            f"{self.path}: refused to load this pickle: it references {module}.{name}, and only numpy "
            "arrays, dicts, lists and scalars are allowed in an xarm_pkl buffer (a pickle can run code "
            "when loaded). Re-save the buffer with plain numpy arrays."
        )


def load_pickle(path: Path):
    with open(path, "rb") as f:
        try:
            return SafeUnpickler(f, path).load()
        except UnsafePickleError:
            raise
        except Exception as e:
            raise RawFormatError(f"{path}: not a readable pickle ({type(e).__name__}: {e}).") from e


def find_pickle(raw_dir: Path) -> Path:
    raw_dir = Path(raw_dir)
    if raw_dir.is_file():
        return raw_dir
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"--raw-dir {raw_dir} does not exist.")
    found = sorted(raw_dir.glob("*.pkl"))
    if len(found) != 1:
        raise RawFormatError(
            f"{raw_dir}: expected one *.pkl buffer (FOWM's xArm format), found {[p.name for p in found] or 'none'}."
        )
    return found[0]


def read(raw_dir: Path) -> RawSource:
    path = find_pickle(raw_dir)
    buffer = load_pickle(path)
    if not isinstance(buffer, dict):
        raise RawFormatError(f"{path}: expected a pickled dict, got {type(buffer).__name__}.")
    obs = get_array(buffer, "observations", path, "a dict {'rgb', 'state'}")
    rgb = np.asarray(get_array(obs, "rgb", path, "(N, 3, H, W) uint8"))
    state = np.asarray(get_array(obs, "state", path, "(N, 4) float"))
    actions = np.asarray(get_array(buffer, "actions", path, "(N, 4) float"))
    rewards = np.asarray(get_array(buffer, "rewards", path, "(N,) float")).reshape(-1)
    dones = np.asarray(get_array(buffer, "dones", path, "(N,) bool")).reshape(-1).astype(bool)
    check_shape(rgb, "observations/rgb", path, ndim=4)
    if rgb.shape[1] != 3 or rgb.dtype != np.uint8:
        raise RawFormatError(
            f"{path}: array 'observations/rgb' is {rgb.dtype} {rgb.shape}, expected (N, 3, H, W) uint8."
        )
    check_shape(state, "observations/state", path, ndim=2)
    check_shape(actions, "actions", path, ndim=2)
    check_length(
        {"observations/state": state, "actions": actions, "rewards": rewards, "dones": dones},
        len(rgb),
        path,
        "'observations/rgb'",
    )
    ends = np.flatnonzero(dones) + 1
    if len(ends) == 0 or ends[-1] != len(rgb):
        raise RawFormatError(
            f"{path}: array 'dones' must be true on the last frame of every episode (the buffer's last "
            f"row, {len(rgb) - 1}, is {'not ' if len(rgb) and not dones[-1] else ''}marked done)."
        )
    starts = np.concatenate([[0], ends[:-1]])
    features = {
        "observation.image": camera_feature((rgb.shape[2], rgb.shape[3], 3)),
        "observation.state": vector_feature([f"s{i}" for i in range(state.shape[1])]),
        "action": vector_feature([f"a{i}" for i in range(actions.shape[1])]),
        "next.reward": vector_feature(["reward"]),
        "next.done": vector_feature(["done"], "bool"),
    }

    def iterate():
        for a, b in zip(starts, ends):
            yield (
                {
                    "observation.image": np.ascontiguousarray(rgb[a:b].transpose(0, 2, 3, 1)),
                    "observation.state": state[a:b].astype(np.float32),
                    "action": actions[a:b].astype(np.float32),
                    "next.reward": rewards[a:b].astype(np.float32)[:, None],
                    "next.done": dones[a:b][:, None],
                },
                TASK,
            )

    return RawSource(features, iterate, len(ends), robot_type="xarm")
