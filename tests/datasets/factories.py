"""Factories that generate small v3.0 datasets into a directory through the real writer.

Usage (tests, benchmarks):

    from tests.datasets.factories import make_dataset
    root = make_dataset(tmp_path / "ds", n_episodes=3, episode_length=12, fps=10)

Frames are deterministic for a given `seed`: cameras are colour ramps that drift with the frame index
plus a moving square (so codecs see motion), states are sinusoids, actions the next-step state.
Stable signature; extra keyword arguments go to `DatasetWriter.create` (e.g. `chunks_size`,
`data_files_size_in_mb`, `video_files_size_in_mb`, `video_config`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from lerobot.datasets.video_encoding import VideoEncodingConfig
from lerobot.datasets.writing.writer import DatasetWriter

DEFAULT_TASKS = ("Pick up the red cube.", "Stack the blue block on the green block.")


def make_features(
    n_cameras: int = 1,
    camera_shape: tuple[int, int, int] = (96, 96, 3),
    state_dim: int = 6,
    action_dim: int | None = None,
    use_videos: bool = True,
    camera_keys: Sequence[str] | None = None,
) -> dict[str, dict]:
    """User features: `n_cameras` cameras, `observation.state` [state_dim], `action` [action_dim]."""
    if camera_keys is None:
        camera_keys = (
            ["observation.image"]
            if n_cameras == 1
            else [f"observation.images.cam{i}" for i in range(n_cameras)]
        )
    features: dict[str, dict] = {}
    for key in camera_keys:
        features[key] = {
            "dtype": "video" if use_videos else "image",
            "shape": list(camera_shape),
            "names": ["height", "width", "channels"],
        }
    features["observation.state"] = {
        "dtype": "float32",
        "shape": [state_dim],
        "names": [f"joint_{i}" for i in range(state_dim)],
    }
    action_dim = state_dim if action_dim is None else action_dim
    features["action"] = {
        "dtype": "float32",
        "shape": [action_dim],
        "names": [f"joint_{i}" for i in range(action_dim)],
    }
    return features


def make_camera_frame(shape: Sequence[int], frame_index: int, camera_number: int = 0, rng=None) -> np.ndarray:
    """A uint8 HWC frame: ramps drifting with `frame_index`, a bright moving square, optional noise."""
    h, w, c = shape
    y = np.linspace(0, 255, h, dtype=np.float32)[:, None]
    x = np.linspace(0, 255, w, dtype=np.float32)[None, :]
    shift = 7.0 * frame_index + 40.0 * camera_number
    img = np.empty((h, w, c), dtype=np.float32)
    img[..., 0] = (x + shift) % 256
    if c > 1:
        img[..., 1] = (y + 0.5 * shift) % 256
    if c > 2:
        img[..., 2] = 128 + 0 * x + 0 * y
    s = max(2, min(h, w) // 6)
    top = (3 * frame_index) % max(1, h - s)
    left = (5 * frame_index) % max(1, w - s)
    img[top : top + s, left : left + s, :] = 250
    if rng is not None:
        img += rng.uniform(-6, 6, size=img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def make_frame(features: dict[str, dict], frame_index: int, task: str, rng: np.random.Generator) -> dict:
    """One frame for `features` (user features only) with `task`."""
    frame: dict = {"task": task}
    for n, (key, ft) in enumerate(features.items()):
        dtype, shape = ft["dtype"], ft["shape"]
        if dtype in ("image", "video"):
            frame[key] = make_camera_frame(shape, frame_index, n, rng)
        elif dtype == "string":
            frame[key] = f"{key}-{frame_index}"
        elif dtype == "bool":
            frame[key] = np.array(rng.random(shape) < 0.5)
        elif np.issubdtype(np.dtype(dtype), np.integer):
            frame[key] = rng.integers(0, 100, size=shape).astype(dtype)
        else:
            phase = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
            value = np.sin(0.2 * frame_index + phase) + rng.normal(0, 0.01, size=shape)
            frame[key] = value.astype(dtype)
    return frame


def make_dataset(
    root: Path | str,
    n_episodes: int = 2,
    episode_length: int | Sequence[int] = 10,
    fps: int = 10,
    features: dict[str, dict] | None = None,
    use_videos: bool = True,
    camera_shape: tuple[int, int, int] = (96, 96, 3),
    n_cameras: int = 1,
    state_dim: int = 6,
    tasks: Sequence[str] = DEFAULT_TASKS,
    robot_type: str | None = "synthetic_arm",
    seed: int = 0,
    vcodec: str = "libsvtav1",
    **create_kwargs,
) -> Path:
    """Write a dataset of `n_episodes` episodes into `root` (must not exist) and return `root`.

    Episode e uses task `tasks[e % len(tasks)]`. `episode_length` is one length or one per episode."""
    root = Path(root)
    if features is None:
        features = make_features(n_cameras, camera_shape, state_dim, use_videos=use_videos)
    lengths = [episode_length] * n_episodes if isinstance(episode_length, int) else list(episode_length)
    if len(lengths) != n_episodes:
        raise ValueError(f"episode_length has {len(lengths)} entries for n_episodes={n_episodes}.")
    create_kwargs.setdefault("video_config", VideoEncodingConfig(vcodec=vcodec))
    writer = DatasetWriter.create(
        root, fps, features, robot_type=robot_type, use_videos=use_videos, **create_kwargs
    )
    rng = np.random.default_rng(seed)
    user_features = {
        k: v
        for k, v in features.items()
        if k not in ("timestamp", "frame_index", "episode_index", "index", "task_index")
    }
    try:
        for ep, length in enumerate(lengths):
            task = tasks[ep % len(tasks)]
            for i in range(length):
                writer.add_frame(make_frame(user_features, i, task, rng))
            writer.save_episode()
    finally:
        writer.finalize()
    return root
