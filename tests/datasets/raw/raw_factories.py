"""Small raw datasets in the original projects' layouts, written with zarr / h5py / pickle directly.

Each `make_*` returns (raw_dir, expected) where `expected` holds the per-episode arrays the converter
must produce (LeRobot feature key -> list of per-episode arrays).
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import numpy as np


def smooth_images(n: int, h: int, w: int, seed: int = 0) -> np.ndarray:
    """(n, h, w, 3) uint8 colour ramps drifting with the frame index plus a moving square (codec-friendly)."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 100, size=3)
    yy, xx = np.mgrid[0:h, 0:w]
    frames = np.empty((n, h, w, 3), np.uint8)
    for i in range(n):
        img = np.stack(
            [xx * 64 // w + i * 3 + base[0], yy * 64 // h + base[1], (xx + yy) * 32 // (h + w) + base[2]], -1
        )
        s = (i * 3) % max(1, h - 8)
        img[s : s + 8, s : s + 8] = 255
        frames[i] = img
    return frames


def _zarr_group(path: Path):
    import zarr

    if path.name.endswith(".zip"):  # UMI ships `<name>.zarr.zip` (a zarr ZipStore)
        path.parent.mkdir(parents=True, exist_ok=True)
        return zarr.open_group(store=zarr.storage.ZipStore(str(path), mode="w"), mode="w", zarr_format=2)
    return zarr.open_group(str(path), mode="w", zarr_format=2)


def make_pusht_zarr(
    raw_dir: Path, lengths=(6, 4), seed: int = 0, drop: str | None = None, bad_len: str | None = None
):
    rng = np.random.default_rng(seed)
    n = sum(lengths)
    img = smooth_images(n, 96, 96, seed)
    state = np.concatenate([rng.uniform(50, 450, (n, 4)), rng.uniform(-np.pi, np.pi, (n, 1))], axis=1).astype(
        np.float32
    )
    state[2, 2:5] = [256, 256, np.pi / 4]  # block exactly on the goal: coverage 1
    state[3, 2:5] = [258, 255, np.pi / 4 + 0.02]  # nearly on it
    action = rng.uniform(0, 512, (n, 2)).astype(np.float32)
    arrays = {
        "img": img,
        "state": state,
        "action": action,
        "keypoint": rng.uniform(0, 512, (n, 9, 2)).astype(np.float32),
        "n_contacts": rng.integers(0, 3, (n, 1)).astype(np.float32),
    }
    if bad_len:
        arrays[bad_len] = arrays[bad_len][:-1]
    root = _zarr_group(raw_dir / "pusht_cchi_v7_replay.zarr")
    data = root.require_group("data")
    for key, value in arrays.items():
        if key != drop:
            data.create_array(key, data=value, chunks=(min(len(value), 4), *value.shape[1:]))
    root.require_group("meta").create_array("episode_ends", data=np.cumsum(lengths).astype(np.int64))
    return raw_dir, {"img": img, "state": state, "action": action, "lengths": list(lengths)}


def make_umi_zarr(raw_dir: Path, lengths=(5, 3), seed: int = 1):
    rng = np.random.default_rng(seed)
    n = sum(lengths)
    arrays = {
        "camera0_rgb": smooth_images(n, 32, 32, seed),
        "robot0_eef_pos": rng.normal(size=(n, 3)).astype(np.float32),
        "robot0_eef_rot_axis_angle": rng.normal(size=(n, 3)).astype(np.float32),
        "robot0_gripper_width": rng.uniform(0, 0.08, (n, 1)).astype(np.float32),
        "robot0_demo_start_pose": rng.normal(size=(n, 6)).astype(np.float32),
        "robot0_demo_end_pose": rng.normal(size=(n, 6)).astype(np.float32),
    }
    root = _zarr_group(raw_dir)  # the store itself as --raw-dir
    data = root.require_group("data")
    for key, value in arrays.items():
        data.create_array(key, data=value)
    root.require_group("meta").create_array("episode_ends", data=np.cumsum(lengths).astype(np.int64))
    if hasattr(root.store, "close"):
        root.store.close()  # writes the zip's directory
    return raw_dir, {**arrays, "lengths": list(lengths)}


def _jpeg_rows(frames: np.ndarray) -> np.ndarray:
    from PIL import Image

    blobs = []
    for f in frames:
        buf = io.BytesIO()
        Image.fromarray(f).save(buf, format="JPEG", quality=95)
        blobs.append(np.frombuffer(buf.getvalue(), np.uint8))
    out = np.zeros((len(blobs), max(map(len, blobs))), np.uint8)  # zero-padded, as ALOHA's recorder
    for i, b in enumerate(blobs):
        out[i, : len(b)] = b
    return out


def make_aloha_hdf5(raw_dir: Path, lengths=(4, 3), compress=False, effort=True, seed: int = 2, mutate=None):
    import h5py

    rng = np.random.default_rng(seed)
    raw_dir.mkdir(parents=True, exist_ok=True)
    expected = []
    for ep, t in enumerate(lengths):
        arrays = {
            "/action": rng.normal(size=(t, 14)).astype(np.float32),
            "/observations/qpos": rng.normal(size=(t, 14)).astype(np.float32),
            "/observations/qvel": rng.normal(size=(t, 14)).astype(np.float32),
        }
        if effort:
            arrays["/observations/effort"] = rng.normal(size=(t, 14)).astype(np.float32)
        images = {
            "top": smooth_images(t, 24, 32, seed + ep),
            "left_wrist": smooth_images(t, 24, 32, seed + 10 + ep),
        }
        if mutate is not None:
            mutate(ep, arrays, images)
        with h5py.File(raw_dir / f"episode_{ep}.hdf5", "w") as f:
            f.attrs["sim"] = True
            f.attrs["compress"] = compress
            for key, value in arrays.items():
                f.create_dataset(key, data=value)
            for cam, frames in images.items():
                f.create_dataset(
                    f"/observations/images/{cam}", data=_jpeg_rows(frames) if compress else frames
                )
        expected.append({**arrays, **{f"images/{k}": v for k, v in images.items()}})
    return raw_dir, expected


def make_xarm_pkl(raw_dir: Path, lengths=(5, 4), seed: int = 3, payload=None, protocol: int = 5):
    rng = np.random.default_rng(seed)
    n = sum(lengths)
    dones = np.zeros(n, bool)
    dones[np.cumsum(lengths) - 1] = True
    buffer = {
        "observations": {
            "rgb": smooth_images(n, 84, 84, seed).transpose(0, 3, 1, 2).copy(),
            "state": rng.normal(size=(n, 4)).astype(np.float32),
        },
        "actions": rng.uniform(-1, 1, (n, 4)).astype(np.float32),
        "rewards": rng.uniform(0, 1, n).astype(np.float32),
        "dones": dones,
        "next_observations": {
            "rgb": np.zeros((n, 3, 84, 84), np.uint8),
            "state": np.zeros((n, 4), np.float32),
        },
    }
    if payload is not None:
        buffer["extra"] = payload
    raw_dir.mkdir(parents=True, exist_ok=True)
    with open(raw_dir / "buffer.pkl", "wb") as f:
        pickle.dump(buffer, f, protocol=protocol)
    return raw_dir, buffer


def make_robomimic_hdf5(raw_dir: Path, lengths=(4, 5), seed: int = 4, libero_task: str | None = None):
    import json

    import h5py

    rng = np.random.default_rng(seed)
    raw_dir.mkdir(parents=True, exist_ok=True)
    expected = []
    with h5py.File(raw_dir / "image.hdf5", "w") as f:
        data = f.create_group("data")
        if libero_task:
            data.attrs["problem_info"] = json.dumps({"language_instruction": libero_task})
        data.attrs["env_args"] = json.dumps({"env_name": "Lift", "type": 1})
        # demo_10 after demo_2: numeric order, not string order
        for i, t in zip((2, 10), lengths):
            g = data.create_group(f"demo_{i}")
            demo = {
                "actions": rng.normal(size=(t, 7)).astype(np.float32),
                "obs/agentview_image": smooth_images(t, 16, 16, seed + i),
                "obs/robot0_eef_pos": rng.normal(size=(t, 3)).astype(np.float64),
                "obs/robot0_gripper_qpos": rng.normal(size=(t, 2)).astype(np.float64),
                "rewards": (np.arange(t) == t - 1).astype(np.float64),
                "dones": (np.arange(t) == t - 1).astype(np.int64),
            }
            for key, value in demo.items():
                g.create_dataset(key, data=value)
            expected.append(demo)
    return raw_dir, expected
