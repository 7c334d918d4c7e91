"""The raw formats `push_dataset_to_hub.py` converts, and the conversion loop.

    RAW_FORMATS = {name: module}   each module has `FPS` (its default) and `read(raw_dir) -> RawSource`
    convert_raw(raw_dir, raw_format, repo_id, local_dir=None, fps=None, video=True, force_override=False)
        -> LeRobotDataset (codebase v3.0, written through `LeRobotDataset.create/add_frame/save_episode/finalize`)

A converted episode is durable as soon as its `save_episode` returns (the writer's crash safety); a
conversion that fails half-way leaves the episodes before the bad one, and the error names the raw file
and array. Readers need their format's packages (`pip install 'lerobot[raw]'`: zarr, h5py, shapely).
"""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path

from lerobot.datasets.raw.common import RawFormatError
from lerobot.utils.constants import TASK

RAW_FORMATS = {
    "pusht_zarr": "lerobot.datasets.raw.pusht_zarr",
    "umi_zarr": "lerobot.datasets.raw.umi_zarr",
    "aloha_hdf5": "lerobot.datasets.raw.aloha_hdf5",
    "xarm_pkl": "lerobot.datasets.raw.xarm_pkl",
    "robomimic_hdf5": "lerobot.datasets.raw.robomimic_hdf5",
}


def raw_format_module(raw_format: str):
    if raw_format not in RAW_FORMATS:
        raise RawFormatError(f"Unknown --raw-format {raw_format!r}; known formats: {', '.join(RAW_FORMATS)}.")
    try:
        return importlib.import_module(RAW_FORMATS[raw_format])
    except ImportError as e:  # pragma: no cover - depends on the installed extras
        raise ImportError(f"--raw-format {raw_format} needs {e.name}: pip install 'lerobot[raw]'.") from e


def default_fps(raw_format: str) -> int:
    return raw_format_module(raw_format).FPS


def convert_raw(
    raw_dir: str | Path,
    raw_format: str,
    repo_id: str,
    local_dir: str | Path | None = None,
    fps: int | None = None,
    video: bool = True,
    force_override: bool = False,
    task: str | None = None,
    **writer_kwargs,
):
    """Convert `raw_dir` (in `raw_format`) into a v3.0 LeRobot dataset at `local_dir` (default
    `$HF_LEROBOT_HOME/<repo_id>`); returns it, finalized and loaded. `video=False` stores the camera frames
    as PNG images instead of mp4. `task` replaces the format's task string. `writer_kwargs` go to
    `LeRobotDataset.create` (e.g. `vcodec="h264"`)."""
    from lerobot.datasets.lerobot_dataset import LeRobotDataset
    from lerobot.utils.constants import hf_lerobot_home

    module = raw_format_module(raw_format)
    fps = module.FPS if fps is None else int(fps)
    if fps <= 0:
        raise ValueError(f"--fps must be > 0, got {fps}.")
    local_dir = Path(local_dir) if local_dir is not None else hf_lerobot_home() / repo_id
    if local_dir.exists():
        if not force_override:
            raise FileExistsError(
                f"--local-dir {local_dir} already exists: choose another folder, or pass --force-override 1 "
                "to delete it and convert again."
            )
        if any(local_dir.iterdir()) and not (local_dir / "meta" / "info.json").is_file():
            raise FileExistsError(
                f"--local-dir {local_dir} is not a LeRobot dataset (no meta/info.json): --force-override 1 "
                "only replaces a dataset; choose another folder."
            )
        shutil.rmtree(local_dir)
    source = module.read(Path(raw_dir))
    features = {
        key: {**ft, "dtype": "video" if video else "image"} if ft["dtype"] == "video" else ft
        for key, ft in source.features.items()
    }
    dataset = LeRobotDataset.create(
        repo_id,
        fps,
        features,
        root=local_dir,
        robot_type=source.robot_type,
        use_videos=video,
        **writer_kwargs,
    )
    try:
        for frames, episode_task in source.episodes():
            n = len(next(iter(frames.values())))
            for t in range(n):
                frame = {key: frames[key][t] for key in features}
                frame[TASK] = task or episode_task
                dataset.add_frame(frame)
            dataset.save_episode()
    finally:
        dataset.finalize()
    if dataset.num_episodes == 0:
        raise RawFormatError(f"{raw_dir}: no episode was found to convert.")
    return dataset
