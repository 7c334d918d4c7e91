"""What the web visualizer shows of a dataset: its episodes, their cameras and their state/action curves.

`DatasetView` wraps a `LeRobotDatasetMetadata` and a selection of episodes; `DatasetView.episode(i)` reads
one episode into an `EpisodeData`:

    videos      per video camera: the mp4 (relative to the dataset root) and the episode's segment in it,
                [from_s, to_s) seconds. v2.1 has one mp4 per episode (from_s = 0); v3.0 concatenates
                episodes in one mp4 and records the segment in meta/episodes (`videos/<key>/from_timestamp`,
                `videos/<key>/to_timestamp`). The frame at `timestamp` t is at `from_s + t` in the mp4.
    image_keys  cameras stored as PNG frames in the parquet data (`dtype: image`), served one PNG a frame
    labels      "time" then one label a plotted dimension: `<feature>/<name>` with the feature's `names`
                (`observation.` dropped: `state/joint_0`, `action/joint_0`), the index when unnamed
    rows        (length, 1 + D) [timestamp, values...] of every numeric `action*` / `observation.*` feature

Only public metadata is read (`get_data_file_path`, `get_video_file_path`, `episode_row`, `episode_range`,
`task_list`, `features`); the data rows of an episode come from its parquet file with pyarrow, filtered on
`episode_index` (one file an episode in v2.1, several episodes a file in v3.0).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lerobot.datasets.utils import dim_names
from lerobot.utils.constants import ACTION, DEFAULT_FEATURE_KEYS, OBS_PREFIX

NUMERIC_DTYPES = ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16")
EPISODE_CACHE_SIZE = 8


@dataclass(frozen=True)
class VideoSegment:
    key: str
    path: str  # relative to the dataset root, "/"-separated
    from_s: float
    to_s: float


@dataclass
class EpisodeData:
    index: int
    length: int
    fps: int
    tasks: list[str]
    videos: list[VideoSegment]
    image_keys: list[str]
    labels: list[str]
    rows: list[list[float]]
    _images: dict[str, list[bytes]] = field(default_factory=dict, repr=False)

    @property
    def duration_s(self) -> float:
        return self.length / self.fps

    def image_png(self, key: str, frame: int) -> bytes:
        """PNG bytes of camera `key` at frame `frame` (KeyError / IndexError when there is none)."""
        return self._images[key][frame]


def format_episode_ranges(episodes: list[int]) -> str:
    """[0, 1, 2, 5, 7, 8] -> "0-2, 5, 7-8" (for messages and 404 pages)."""
    parts: list[str] = []
    start = prev = None
    for e in [*sorted(episodes), None]:
        if start is not None and (e is None or e != prev + 1):
            parts.append(str(start) if start == prev else f"{start}-{prev}")
            start = None
        if e is not None and start is None:
            start = e
        prev = e
    return ", ".join(parts) or "none"


def plotted_features(features: dict[str, dict]) -> list[str]:
    """The numeric state/action features drawn on the plot, in `features` order."""
    return [
        key
        for key, ft in features.items()
        if key not in DEFAULT_FEATURE_KEYS
        and (key.startswith(ACTION) or key.startswith(OBS_PREFIX))
        and ft.get("dtype") in NUMERIC_DTYPES
        and len(ft.get("shape", ())) <= 1
    ]


def series_labels(features: dict[str, dict], keys: list[str]) -> list[str]:
    labels: list[str] = []
    for key in keys:
        prefix = key.removeprefix(OBS_PREFIX)
        for name in dim_names(features[key]):
            label = f"{prefix}/{name}"
            while label in labels:  # the plot needs distinct labels
                label += "'"
            labels.append(label)
    return labels


class DatasetView:
    """The episodes of one dataset that the visualizer shows (all, or those of `episodes`)."""

    def __init__(self, meta, episodes: list[int] | None = None):
        self.meta = meta
        self.repo_id: str = meta.repo_id
        available = meta.episode_indices
        if episodes is None:
            self.episode_indices = list(available)
        else:
            known = set(available)
            unknown = [e for e in episodes if e not in known]
            if unknown:
                raise ValueError(
                    f"--episodes {format_episode_ranges(unknown)}: not in dataset '{self.repo_id}' "
                    f"(it has episodes {format_episode_ranges(available)})."
                )
            self.episode_indices = list(dict.fromkeys(int(e) for e in episodes))
        self._cache: OrderedDict[int, EpisodeData] = OrderedDict()
        self._lock = threading.Lock()
        self._video_files: set[str] | None = None

    def missing_files(self, episode_index: int) -> list[str]:
        """The data and video files of an episode that are not under `root` (relative paths)."""
        rels = [Path(self.meta.get_data_file_path(episode_index)).as_posix()]
        rels += [seg.path for seg in self.video_segments(episode_index)]
        return [rel for rel in rels if not (self.root / rel).is_file()]

    def keep_local_episodes(self) -> None:
        """Show only the episodes whose files are all on disk (a partly downloaded dataset of the cache)."""
        self.episode_indices = [e for e in self.episode_indices if not self.missing_files(e)]
        self._video_files = None

    @property
    def root(self) -> Path:
        return Path(self.meta.root)

    @property
    def fps(self) -> int:
        return int(self.meta.fps)

    def has_episode(self, episode_index: int) -> bool:
        return episode_index in self.episode_indices

    def episode_length(self, episode_index: int) -> int:
        start, stop = self.meta.episode_range(episode_index)
        return stop - start

    def video_segments(self, episode_index: int) -> list[VideoSegment]:
        row = self.meta.episode_row(episode_index)
        length = self.episode_length(episode_index)
        segments = []
        for key in self.meta.video_keys:
            path = Path(self.meta.get_video_file_path(episode_index, key)).as_posix()
            from_s = float(row.get(f"videos/{key}/from_timestamp", 0.0))
            to_s = float(row.get(f"videos/{key}/to_timestamp", from_s + length / self.fps))
            segments.append(VideoSegment(key, path, from_s, to_s))
        return segments

    def video_files(self) -> set[str]:
        """Every mp4 (relative path) that the shown episodes play: the only files the server hands out."""
        if self._video_files is None:
            self._video_files = {seg.path for ep in self.episode_indices for seg in self.video_segments(ep)}
        return self._video_files

    def episode(self, episode_index: int) -> EpisodeData:
        """The episode's data (the last few are cached; a page and its PNG frames read it once)."""
        with self._lock:
            if episode_index in self._cache:
                self._cache.move_to_end(episode_index)
                return self._cache[episode_index]
        data = self._read_episode(episode_index)
        with self._lock:
            self._cache[episode_index] = data
            while len(self._cache) > EPISODE_CACHE_SIZE:
                self._cache.popitem(last=False)
        return data

    def _read_episode(self, episode_index: int) -> EpisodeData:
        import pyarrow.parquet as pq

        meta = self.meta
        features = meta.features
        keys = plotted_features(features)
        image_keys = list(meta.image_keys)
        columns = ["timestamp", "frame_index", "task_index", *keys, *image_keys]
        path = self.root / meta.get_data_file_path(episode_index)
        table = pq.read_table(
            path, columns=columns, filters=[("episode_index", "==", int(episode_index))]
        ).sort_by("frame_index")
        length = self.episode_length(episode_index)
        if table.num_rows != length:
            raise ValueError(
                f"{path}: episode {episode_index} has {table.num_rows} rows, but the metadata says "
                f"{length} frames."
            )
        timestamps = np.asarray(table["timestamp"].to_numpy(), dtype=np.float64).reshape(-1)
        values = [timestamps[:, None]]
        for key in keys:
            col = table[key].to_pylist()
            values.append(np.asarray(col, dtype=np.float64).reshape(length, -1))
        matrix = np.concatenate(values, axis=1) if length else np.zeros((0, 1 + len(keys)))
        rows = [[float(f"{v:.7g}") for v in row] for row in matrix.tolist()]
        task_list = meta.task_list
        task_indices = dict.fromkeys(int(t) for t in table["task_index"].to_pylist())
        tasks = [task_list[t] if 0 <= t < len(task_list) else f"task_index {t}" for t in task_indices]
        images = {}
        for key in image_keys:
            frames = []
            for i, cell in enumerate(table[key].to_pylist()):
                blob = cell.get("bytes") if isinstance(cell, dict) else None
                if not blob and isinstance(cell, dict) and cell.get("path"):
                    blob = (self.root / cell["path"]).read_bytes()
                if not blob:
                    raise ValueError(f"{path}: image '{key}' of episode {episode_index}, frame {i} is empty.")
                frames.append(blob)
            images[key] = frames
        return EpisodeData(
            index=int(episode_index),
            length=length,
            fps=self.fps,
            tasks=tasks,
            videos=self.video_segments(episode_index),
            image_keys=image_keys,
            labels=["time", *series_labels(features, keys)],
            rows=rows,
            _images=images,
        )


def open_dataset_view(
    repo_id: str,
    root: str | Path | None = None,
    episodes: list[int] | None = None,
    load_from_hf_hub: bool = False,
    tolerance_s: float = 1e-4,
) -> DatasetView:
    """Open a dataset for the visualizer: the local folder `root` (default $HF_LEROBOT_HOME/<repo_id>), or,
    with `load_from_hf_hub`, the Hub (the metadata, then the data and video files of `episodes`, are
    downloaded into `root` once; the pages then work offline). The frames are loaded once through
    `LeRobotDataset`, which checks them (v2.x timestamps spaced by 1/fps within `tolerance_s`)."""
    from lerobot.datasets.lerobot_dataset import LeRobotDataset
    from lerobot.utils.constants import hf_lerobot_home
    from lerobot.utils.dataset_root import resolve_dataset_root

    root = resolve_dataset_root(repo_id, root)  # the dataset folder, or a folder holding <repo_id>/
    local = root if root is not None else hf_lerobot_home() / repo_id
    if not load_from_hf_hub:
        if not (local / "meta" / "info.json").is_file():
            raise FileNotFoundError(
                f"No dataset at {local} (meta/info.json is missing): pass --root <dataset folder>, or "
                f"--load-from-hf-hub 1 to download '{repo_id}' from the Hub."
            )
        from lerobot.datasets.lerobot_dataset import LeRobotDatasetMetadata

        view = DatasetView(LeRobotDatasetMetadata(repo_id, root=local), episodes)
        for ep in view.episode_indices:  # nothing is downloaded without --load-from-hf-hub 1
            missing = view.missing_files(ep)
            if missing:
                raise FileNotFoundError(
                    f"{local / missing[0]} is missing (episode {ep} of '{repo_id}'): pass "
                    "--load-from-hf-hub 1 to download it, or --episodes with the episodes you have."
                )
    dataset = LeRobotDataset(repo_id, root=root, episodes=episodes, tolerance_s=tolerance_s)
    return DatasetView(dataset.meta, episodes)
