"""`LeRobotDatasetMetadata`: the `meta/` folder of a LeRobot dataset, for codebase v2.x and v3.x.

Reads info.json (validated), tasks, the episode table and stats through the version readers in
`lerobot.datasets.formats`, and downloads missing metadata from the Hub (`lerobot.datasets.hub`).
"""

from pathlib import Path

import numpy as np

from lerobot.datasets.backward_compat import (
    CODEBASE_VERSION,
    SUPPORTED_READ_VERSIONS,
    check_version_compatibility,
)
from lerobot.datasets.compute_stats import aggregate_stats
from lerobot.datasets.formats import v21, v30
from lerobot.datasets.formats.common import (
    INFO_PATH,
    DatasetFormatError,
    LoadedMeta,
    append_rows,
    check_stats_finite,
    load_json_dict,
    validate_info,
)
from lerobot.datasets.formats.episodes_table import EpisodesTable
from lerobot.datasets.utils import format_ranges
from lerobot.utils.constants import TASK, hf_lerobot_home


class LeRobotDatasetMetadata:
    """The `meta/` folder of a dataset: info, features, tasks, episodes, stats.

    v2.x: `tasks` is `{task_index: str}`, `episodes` is `{episode_index: {"episode_index","tasks","length"}}`.
    v3.x: `tasks` is a pandas DataFrame indexed by task string (column `task_index`), `episodes` is an
    `EpisodesTable` (one row per episode, the columns of docs/dataset_format.md without `stats/*`).
    """

    def __init__(
        self,
        repo_id: str,
        root: str | Path | None = None,
        revision: str | None = None,
        force_cache_sync: bool = False,
    ):
        self._init_empty(repo_id, root, revision)
        missing, info = self._missing_meta_files()
        if force_cache_sync or missing:
            self.download_files(["meta/"], what=", ".join(missing) or "metadata (forced sync)")
            info = None  # read again after the download
        self.reload(info)  # info.json is parsed once

    # -- construction helpers (also used by the write side) ------------------------------------------
    def _init_empty(self, repo_id: str, root: str | Path | None, revision: str | None) -> None:
        if not isinstance(repo_id, str) or not repo_id:
            raise ValueError(f"repo_id must be a non-empty string like 'user/name', got {repo_id!r}.")
        self.repo_id = repo_id
        self.revision = revision
        self.root = Path(root) if root is not None else hf_lerobot_home() / repo_id
        self.info: dict = {}
        self._family = "v3"
        self._loaded = LoadedMeta([], [], np.zeros(0, np.int64), np.zeros(0, np.int64), {}, None)
        self._stats: dict | None = None
        self._episode_pos: dict[int, int] = {}

    @classmethod
    def unloaded(cls, repo_id: str, root: str | Path, revision: str | None = None):
        """An object for `root` that has read nothing yet (the writer fills `root`, then calls `reload()`)."""
        obj = cls.__new__(cls)
        obj._init_empty(repo_id, root, revision)
        return obj

    _new_unloaded = unloaded  # former name

    def _missing_meta_files(self) -> tuple[list[str], dict | None]:
        """(metadata files missing under root, the parsed info.json or None when it is missing)."""
        info_path = self.root / INFO_PATH
        if not info_path.is_file():
            return [INFO_PATH], None
        info = load_json_dict(info_path)
        if "codebase_version" not in info:
            return [], info  # reload() reports the missing key
        family = check_version_compatibility(self.repo_id, info["codebase_version"], str(info_path))
        reader = v21 if family == "v2" else v30
        if info.get("total_episodes", 1) == 0:
            return [], info
        return [rel for rel in reader.required_meta_files(info) if not (self.root / rel).exists()], info

    def download_files(
        self, allow_patterns: list[str] | None, what: str, ignore_patterns: list[str] | None = None
    ) -> None:
        """Fetch files (paths or patterns relative to the repo) from the dataset's Hub repo into `root`,
        at the revision the dataset reads; a FileNotFoundError naming `what` if that is impossible."""
        try:
            from lerobot.datasets import hub
        except ImportError as e:
            raise FileNotFoundError(
                f"{what} missing under {self.root} and the Hub client is unavailable ({e})."
            ) from e
        try:
            revision = self.revision or hub.get_safe_version(
                self.repo_id, CODEBASE_VERSION, readable_versions=SUPPORTED_READ_VERSIONS
            )
            hub.download(
                self.repo_id,
                self.root,
                revision,
                allow_patterns=allow_patterns,
                ignore_patterns=ignore_patterns,
            )
        except (OSError, ValueError) as e:
            raise FileNotFoundError(
                f"{what} missing under {self.root}, and downloading it from the Hub dataset "
                f"'{self.repo_id}' failed: {type(e).__name__}: {e}"
            ) from e

    def reload(self, info: dict | None = None) -> None:
        """(Re-)read everything under `root/meta` (`info`: info.json already parsed by the caller)."""
        info_path = self.root / INFO_PATH
        info = load_json_dict(info_path) if info is None else info
        validate_info(info, info_path)
        self._family = check_version_compatibility(self.repo_id, info["codebase_version"], str(info_path))
        reader = v21 if self._family == "v2" else v30
        self.info = info
        self._loaded = reader.load_meta(self.root, info, info_path)
        self._check_totals(info_path)
        if self._loaded.stats is not None:
            self._stats = self._loaded.stats
        elif self._loaded.episodes_stats:
            self._stats = aggregate_stats(
                [
                    self._loaded.episodes_stats[r["episode_index"]]
                    for r in self._loaded.episodes
                    if r["episode_index"] in self._loaded.episodes_stats
                ]
            )
        else:
            self._stats = None
        # (per-episode stats are checked by the version reader, where they are parsed)
        stats_file = v30.STATS_PATH if self._loaded.stats is not None else reader.EPISODE_STATS_SOURCE
        check_stats_finite(self._stats, str(self.root / stats_file))
        self._episode_pos = {int(r["episode_index"]): i for i, r in enumerate(self._loaded.episodes)}

    def _check_totals(self, info_path: Path) -> None:
        """info.json's total_episodes / total_frames equal what the episodes table holds."""
        episodes = self._loaded.episodes
        source = self.root / self._reader.EPISODES_SOURCE
        frames = int(sum(int(r["length"]) for r in episodes))
        for key, have in (("total_episodes", len(episodes)), ("total_frames", frames)):
            if self.info[key] != have:
                raise DatasetFormatError(
                    f"{info_path}: '{key}' is {self.info[key]}, but {source} holds {have} "
                    f"({'episodes' if key == 'total_episodes' else 'frames, summing the episode lengths'}). "
                    "The dataset is incomplete or its info.json is stale."
                )

    def apply_writer_changes(self, changes: list[dict]) -> None:
        """Extend the loaded metadata with what a writer committed (`DatasetWriter.take_changes`): O(new
        episodes), nothing is re-read from disk."""
        loaded = self._loaded
        for change in changes:
            if "info" in change:
                self.info = change["info"]
                self._family = "v3"
                loaded.tasks = change["tasks"]
                self._stats = change["stats"]
            if change.get("new") is not None:
                row, episode_stats, _ = change["new"]
                ep, n = int(row["episode_index"]), len(loaded.episodes)
                self._episode_pos[ep] = n
                loaded.episodes.append(row)
                loaded.episodes_stats[ep] = episode_stats
                bufs = self.__dict__.setdefault("_buffers", {})
                loaded.from_index = append_rows(
                    bufs, "from", loaded.from_index, np.array([row["dataset_from_index"]])
                )
                loaded.to_index = append_rows(
                    bufs, "to", loaded.to_index, np.array([row["dataset_to_index"]])
                )
            for ep, row in change["moved"].items():
                loaded.episodes[self._episode_pos[ep]] = row

    @property
    def _reader(self):
        return v21 if self._family == "v2" else v30

    @property
    def format_family(self) -> str:
        """ "v2" (v2.0 / v2.1: one parquet and one mp4 per episode) or "v3" (v3.x: many episodes per file)."""
        return self._family

    def load_frames(self, episode_rows: list[dict], columns: list[str]) -> dict:
        """The data columns (numpy arrays, or blob columns for images) of the given episodes' rows, in
        order, read through the format module of the dataset's codebase version."""
        return self._reader.load_frames(self.root, self.info, episode_rows, columns)

    # -- info -----------------------------------------------------------------------------------------
    @property
    def codebase_version(self) -> str:
        return self.info["codebase_version"]

    @property
    def fps(self) -> int:
        return self.info["fps"]

    @property
    def features(self) -> dict[str, dict]:
        return self.info.get("features", {})  # empty only while unloaded (see unloaded)

    @property
    def robot_type(self) -> str | None:
        return self.info.get("robot_type")

    @property
    def image_keys(self) -> list[str]:
        return [k for k, ft in self.features.items() if ft["dtype"] == "image"]

    @property
    def video_keys(self) -> list[str]:
        return [k for k, ft in self.features.items() if ft["dtype"] == "video"]

    @property
    def camera_keys(self) -> list[str]:
        return [k for k, ft in self.features.items() if ft["dtype"] in ("video", "image")]

    @property
    def names(self) -> dict[str, list | dict | None]:
        return {k: ft.get("names") for k, ft in self.features.items()}

    @property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        return {k: tuple(ft["shape"]) for k, ft in self.features.items()}

    @property
    def total_episodes(self) -> int:
        return self.info["total_episodes"]

    @property
    def total_frames(self) -> int:
        return self.info["total_frames"]

    @property
    def total_tasks(self) -> int:
        return self.info.get("total_tasks", len(self._loaded.tasks))

    @property
    def total_chunks(self) -> int | None:
        return self.info.get("total_chunks")

    @property
    def chunks_size(self) -> int:
        return self.info.get("chunks_size", 1000)

    @property
    def data_files_size_in_mb(self) -> float | None:
        return self.info.get("data_files_size_in_mb")

    @property
    def video_files_size_in_mb(self) -> float | None:
        return self.info.get("video_files_size_in_mb")

    @property
    def data_path(self) -> str:
        return self.info["data_path"]

    @property
    def video_path(self) -> str | None:
        return self.info.get("video_path")

    @property
    def url_root(self) -> str:
        return f"hf://datasets/{self.repo_id}"

    # -- tasks, episodes, stats -------------------------------------------------------------------------
    @property
    def task_list(self) -> list[str]:
        """Task strings by task_index (the same in every version)."""
        return self._loaded.tasks

    @property
    def tasks(self):
        if self._family == "v2":
            return dict(enumerate(self._loaded.tasks))
        import pandas as pd

        return pd.DataFrame(
            {"task_index": np.arange(len(self._loaded.tasks), dtype=np.int64)},
            index=pd.Index(self._loaded.tasks, name=TASK),
        )

    @property
    def task_to_task_index(self) -> dict[str, int]:
        return {t: i for i, t in enumerate(self._loaded.tasks)}

    def get_task_index(self, task: str) -> int | None:
        """task_index of a task string, or None if the dataset has no such task."""
        return self.task_to_task_index.get(task)

    @property
    def episodes(self):
        if self._family == "v2":
            return {r["episode_index"]: dict(r) for r in self._loaded.episodes}
        return EpisodesTable(self._loaded.episodes)

    @property
    def episode_indices(self) -> list[int]:
        return [int(r["episode_index"]) for r in self._loaded.episodes]

    def episode_row(self, episode_index: int) -> dict:
        try:
            return self._loaded.episodes[self._episode_pos[int(episode_index)]]
        except KeyError:
            raise ValueError(
                f"Episode {episode_index} is not in dataset '{self.repo_id}' "
                f"(episodes: {format_ranges(self.episode_indices)})."
            ) from None

    def episode_position(self, episode_index: int) -> int:
        """Row of an episode in the loaded episodes table (episodes are sorted by episode_index)."""
        return self._episode_pos[int(episode_index)]

    def episode_range(self, episode_index: int) -> tuple[int, int]:
        """Global `index` range `[from, to)` of an episode."""
        pos = self._episode_pos[int(episode_index)]
        return int(self._loaded.from_index[pos]), int(self._loaded.to_index[pos])

    @property
    def episodes_stats(self) -> dict[int, dict[str, dict[str, np.ndarray]]]:
        return self._loaded.episodes_stats

    @property
    def stats(self) -> dict[str, dict[str, np.ndarray]] | None:
        return self._stats

    @stats.setter
    def stats(self, value: dict[str, dict[str, np.ndarray]] | None) -> None:
        self._stats = value

    def get_data_file_path(self, ep_index: int) -> Path:
        return Path(self._reader.data_file(self.info, self.episode_row(ep_index)))

    def get_video_file_path(self, ep_index: int, vid_key: str) -> Path:
        return Path(self.video_file(ep_index, vid_key)[0])

    def video_file(self, ep_index: int, vid_key: str) -> tuple[str, float]:
        """(mp4 path relative to root, the episode's start time in it) of a camera of an episode."""
        if vid_key not in self.video_keys:
            raise ValueError(
                f"'{vid_key}' is not a video feature of '{self.repo_id}' (videos: {self.video_keys})."
            )
        return self._reader.video_file(self.info, self.episode_row(ep_index), vid_key)

    def __repr__(self) -> str:
        return (
            f"LeRobotDatasetMetadata(repo_id={self.repo_id!r}, version={self.info.get('codebase_version')}, "
            f"total_episodes={self.info.get('total_episodes')}, total_frames={self.info.get('total_frames')}, "
            f"fps={self.info.get('fps')}, features={list(self.info.get('features', {}))})"
        )
