"""ACT / ALOHA recordings: one `episode_<i>.hdf5` per episode (50 fps).

    /action                          (T, 14) -> action
    /observations/qpos               (T, 14) -> observation.state
    /observations/qvel               (T, 14) -> observation.velocity
    /observations/effort             (T, 14) -> observation.effort (when present)
    /observations/images/<camera>    (T, H, W, 3) uint8 -> observation.images.<camera>; when the file's
                                     `compress` attribute is true, (T, L) uint8 rows each holding one JPEG
                                     (zero-padded to the longest), as ALOHA's recorder writes them
    attribute `sim`                  true for simulated episodes

The 14 joints are the two arms' 6 joints and gripper, left then right (ALOHA's order).
"""

from __future__ import annotations

import io
import re
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

FPS = 50
TASK = "Bimanual manipulation with the ALOHA arms."
_JOINTS = ["waist", "shoulder", "elbow", "forearm_roll", "wrist_angle", "wrist_rotate", "gripper"]
MOTOR_NAMES = [f"{side}_{j}" for side in ("left", "right") for j in _JOINTS]


def episode_files(raw_dir: Path) -> list[Path]:
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"--raw-dir {raw_dir} is not a folder of episode_<i>.hdf5 files.")
    files = [p for p in raw_dir.glob("episode_*.hdf5") if re.fullmatch(r"episode_\d+\.hdf5", p.name)]
    if not files:
        raise RawFormatError(f"{raw_dir}: no episode_<i>.hdf5 file (ALOHA/ACT recordings) in this folder.")
    return sorted(files, key=lambda p: int(p.stem.split("_")[1]))


def _decode_jpeg_rows(rows: np.ndarray, file: Path, key: str) -> np.ndarray:
    from PIL import Image

    frames = []
    for i, row in enumerate(rows):
        try:
            frames.append(np.asarray(Image.open(io.BytesIO(row.tobytes())).convert("RGB")))
        except Exception as e:
            raise RawFormatError(f"{file}: array '{key}' row {i} is not a JPEG image ({e}).") from e
    return np.stack(frames)


def _read_file(file: Path) -> dict[str, np.ndarray]:
    import h5py

    try:
        f = h5py.File(file, "r")
    except OSError as e:
        raise RawFormatError(f"{file}: not a readable HDF5 file ({e}).") from e
    with f:
        action = get_array(f, "/action", file, "(T, 14) float")
        check_shape(action, "/action", file, ndim=2, tail=(14,))
        out = {"action": np.asarray(action, np.float32)}
        for src, dst, required in [
            ("/observations/qpos", "observation.state", True),
            ("/observations/qvel", "observation.velocity", True),
            ("/observations/effort", "observation.effort", False),
        ]:
            if not required and src not in f:
                continue
            arr = get_array(f, src, file, "(T, 14) float")
            check_shape(arr, src, file, ndim=2, tail=(14,))
            out[dst] = np.asarray(arr, np.float32)
        images = get_array(f, "/observations/images", file, "a group with one (T, H, W, 3) array per camera")
        compressed = bool(f.attrs.get("compress", False))
        for cam in sorted(images):
            key = f"/observations/images/{cam}"
            arr = np.asarray(images[cam])
            if arr.dtype != np.uint8:
                raise RawFormatError(f"{file}: array '{key}' has dtype {arr.dtype}, expected uint8.")
            if compressed:
                check_shape(arr, key, file, ndim=2)
                arr = _decode_jpeg_rows(arr, file, key)
            else:
                check_shape(arr, key, file, ndim=4, tail=(3,))
            out[f"observation.images.{cam}"] = arr
        if not any(k.startswith("observation.images.") for k in out):
            raise RawFormatError(f"{file}: group '/observations/images' holds no camera array.")
        check_length({k: v for k, v in out.items() if k != "action"}, len(out["action"]), file, "'/action'")
        out["_sim"] = bool(f.attrs.get("sim", False))
    return out


def read(raw_dir: Path) -> RawSource:
    files = episode_files(raw_dir)
    first = _read_file(files[0])
    features = {}
    for key, arr in first.items():
        if key.startswith("observation.images."):
            features[key] = camera_feature(arr.shape[1:])
        elif key != "_sim":
            features[key] = vector_feature(MOTOR_NAMES)

    def iterate():
        for i, file in enumerate(files):
            frames = first if i == 0 else _read_file(file)
            frames.pop("_sim", None)
            if set(frames) != set(features):
                raise RawFormatError(
                    f"{file}: arrays {sorted(frames)} differ from those of {files[0].name} "
                    f"({sorted(features)}): every episode must have the same cameras and arrays."
                )
            yield {k: frames[k] for k in features}, TASK

    return RawSource(features, iterate, len(files), robot_type="aloha")
