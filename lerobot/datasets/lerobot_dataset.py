"""`LeRobotDatasetMetadata` and `LeRobotDataset`: read codebase v2.0/v2.1/v3.0 datasets (docs/dataset_format.md).

An item `dataset[i]` is a dict:

    <non-video feature>   tensor; [1]-shaped features -> 0-dim; [N] -> (N,); images -> (C, H, W) float in [0, 1]
    <video key>           (C, H, W) float32 in [0, 1] (uint8 with `return_uint8=True`)
    <delta key>           stacked over the time window: (T, ...), e.g. action (T_act, A), camera (T_obs, C, H, W)
    <delta key>_is_pad    (T,) bool, True where the window ran past the episode's first/last frame
    task                  str

Frames are read once at construction (pyarrow -> numpy, column-wise); `__getitem__` only indexes numpy
arrays, decodes the PNG/video frames it needs and builds small tensors, so it is cheap and holds no open
file handles (safe in forked DataLoader workers). Row positions, episode boundaries and time windows are
all relative to the loaded selection, so any subset of episodes (in any order) is handled correctly.
"""

import io
import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from lerobot.datasets.compute_stats import aggregate_stats
from lerobot.datasets.formats.common import (
    BlobColumn,
    DatasetFormatError,
)
from lerobot.datasets.metadata import INFO_PATH, LeRobotDatasetMetadata  # noqa: F401  (re-exported)
from lerobot.datasets.option_checks import check_delta_timestamp_values, check_episode_selection
from lerobot.datasets.utils import check_delta_timestamps, format_ranges
from lerobot.datasets.writing.dataset import WritableDataset
from lerobot.utils.constants import TASK

logger = logging.getLogger(__name__)


def _check_shared_meta(meta, repo_id: str, root, revision) -> None:
    if not isinstance(meta, LeRobotDatasetMetadata):
        raise TypeError(f"meta must be a LeRobotDatasetMetadata, got {type(meta).__name__}.")
    if not meta.info:
        raise ValueError(
            "meta has read no metadata yet: pass a LeRobotDatasetMetadata(repo_id, root) object."
        )
    for name, given, has in (("repo_id", repo_id, meta.repo_id), ("revision", revision, meta.revision)):
        if given is not None and given != has:
            raise ValueError(f"{name}={given!r} differs from the shared meta's {name}={has!r}.")
    if root is not None and Path(root) != meta.root:
        raise ValueError(f"root={str(root)!r} differs from the shared meta's root {str(meta.root)!r}.")


class LeRobotDataset(WritableDataset, torch.utils.data.Dataset):
    """Frames of a LeRobot dataset as a map-style torch Dataset.

    Args:
        repo_id: "user/name"; the local root defaults to `$HF_LEROBOT_HOME/<repo_id>`.
        root: local dataset folder. When it lacks files, they are downloaded from the Hub (metadata first,
            then only the data/video files of the requested episodes).
        episodes: episode indices to load (any order, no duplicates); None = all. Items are ordered by
            global frame index.
        image_transforms: callable applied last to every camera tensor ((C,H,W) or (T,C,H,W)).
        delta_timestamps: {feature: [seconds relative to the frame]} (docs/dataset_format.md).
        tolerance_s: tolerance for delta_timestamps, timestamp sync (v2.x) and video frame lookup.
        download_videos: False skips fetching mp4 files.
        video_backend: passed to the video decoder (None = its default).
        return_uint8: camera frames as uint8 (C,H,W) instead of float in [0, 1] (faster; normalise later).
        meta: an already loaded `LeRobotDatasetMetadata` of this dataset, shared instead of read again
            (the train script builds the metadata once for the policy, the dataset and the sampler).
    """

    def __init__(
        self,
        repo_id: str,
        root: str | Path | None = None,
        episodes: list[int] | None = None,
        image_transforms: Callable | None = None,
        delta_timestamps: dict[str, list[float]] | None = None,
        tolerance_s: float = 1e-4,
        revision: str | None = None,
        force_cache_sync: bool = False,
        download_videos: bool = True,
        video_backend: str | None = None,
        return_uint8: bool = False,
        meta: LeRobotDatasetMetadata | None = None,
    ):
        super().__init__()
        if meta is None:
            meta = LeRobotDatasetMetadata(repo_id, root, revision, force_cache_sync=force_cache_sync)
        else:
            _check_shared_meta(meta, repo_id, root, revision)
        self._init_state(
            meta,
            episodes=episodes,
            image_transforms=image_transforms,
            delta_timestamps=delta_timestamps,
            tolerance_s=tolerance_s,
            download_videos=download_videos,
            video_backend=video_backend,
            return_uint8=return_uint8,
        )
        self._ensure_local_files(force=force_cache_sync)
        self._load_frames()

    # -- construction helpers (also used by the write side) ---------------------------------------------
    @classmethod
    def _new_unloaded(cls, meta: LeRobotDatasetMetadata, **kwargs) -> "LeRobotDataset":
        """A dataset object over `meta.root` that has loaded no frames (len 0) until `_reload()`.

        kwargs: the constructor's `episodes`, `image_transforms`, `delta_timestamps`, `tolerance_s`,
        `download_videos`, `video_backend`, `return_uint8`.
        """
        obj = cls.__new__(cls)
        torch.utils.data.Dataset.__init__(obj)
        obj._init_state(meta, **kwargs)
        obj._cols = {}
        obj._set_rows(np.zeros(0, np.int64))
        obj._build_plan()
        return obj

    def _init_state(
        self,
        meta: LeRobotDatasetMetadata,
        *,
        episodes=None,
        image_transforms=None,
        delta_timestamps=None,
        tolerance_s: float = 1e-4,
        download_videos: bool = True,
        video_backend: str | None = None,
        return_uint8: bool = False,
    ) -> None:
        if not isinstance(tolerance_s, (int, float)) or tolerance_s < 0:
            raise ValueError(f"tolerance_s must be a non-negative number of seconds, got {tolerance_s!r}.")
        if image_transforms is not None and not callable(image_transforms):
            raise TypeError(f"image_transforms must be callable, got {type(image_transforms).__name__}.")
        if meta.info and meta.video_keys:
            from lerobot.datasets.video.decoding import check_video_backend

            check_video_backend(video_backend)  # fail at construction, not in the first worker
        self.meta = meta
        self.repo_id = meta.repo_id
        self.root = meta.root
        self.revision = meta.revision
        self.tolerance_s = float(tolerance_s)
        self.image_transforms = image_transforms
        self.video_backend = video_backend
        self.download_videos = download_videos
        self.return_uint8 = return_uint8
        check_delta_timestamp_values(delta_timestamps)  # NaN / inf / non-numbers, naming the key
        episodes = check_episode_selection(episodes)  # integers >= 0 (1.7 is refused, not rounded)
        if episodes is not None:
            if not episodes:
                raise ValueError("episodes=[] selects no frames; pass None to load every episode.")
            if len(set(episodes)) != len(episodes):
                raise ValueError(f"episodes has duplicates: {episodes}.")
        self.episodes = episodes
        self.delta_timestamps = delta_timestamps
        self._check_delta()

    def _check_delta(self) -> None:
        """delta_timestamps -> delta_indices (needs the metadata; deferred while it is not loaded yet)."""
        meta = self.meta
        self.delta_indices = None
        if self.delta_timestamps is not None and meta.info:
            self.delta_indices = check_delta_timestamps(
                self.delta_timestamps, meta.fps, self.tolerance_s, meta.features
            )

    def _selected_episode_indices(self) -> list[int]:
        available = self.meta.episode_indices
        if self.episodes is None:
            return available
        known = set(available)
        unknown = [e for e in self.episodes if e not in known]
        if unknown:
            raise ValueError(
                f"episodes {unknown} are not in dataset '{self.repo_id}' (it has episodes {format_ranges(available)})."
            )
        return sorted(self.episodes, key=lambda e: self.meta.episode_range(e)[0])

    def _needed_files(self) -> list[str]:
        files = []
        for ep in self._selected_episode_indices():
            files.append(str(self.meta.get_data_file_path(ep)))
            if self.download_videos:
                files += [self.meta.video_file(ep, key)[0] for key in self.meta.video_keys]
        return list(dict.fromkeys(files))

    def _ensure_local_files(self, force: bool = False) -> None:
        needed = self._needed_files()
        missing = [rel for rel in needed if not (self.root / rel).is_file()]
        if missing or force:
            what = ", ".join(str(self.root / m) for m in missing[:3]) or "data files (forced sync)"
            if len(missing) > 3:
                what += f" (+{len(missing) - 3} more)"
            # Only the files of the selected episodes (v3: the deduplicated files that hold them).
            self.meta.download_files(needed if force else missing, what=what)
        still = [rel for rel in missing if not (self.root / rel).is_file()]
        if still:
            raise FileNotFoundError(f"Dataset file not found: {self.root / still[0]}")

    def _reload(self) -> None:
        """Re-read metadata and frames from disk (e.g. after the writer saved new episodes)."""
        self.meta.reload()
        self._check_delta()
        self._load_frames()

    # -- loading -----------------------------------------------------------------------------------------
    def _load_frames(self) -> None:
        meta = self.meta
        selected = self._selected_episode_indices()
        rows = [meta.episode_row(e) for e in selected]
        columns = [k for k, ft in meta.features.items() if ft["dtype"] != "video"]
        for required in ("episode_index", "task_index") + (("timestamp",) if meta.video_keys else ()):
            if required not in columns:
                raise DatasetFormatError(f"{meta.root / INFO_PATH}: features lack the required '{required}'.")
        cols = meta.load_frames(rows, columns)
        n = len(cols["episode_index"])
        for key in columns:
            cols[key] = self._shape_column(key, cols[key], n)
        self._cols = cols
        self._set_rows(cols["episode_index"].astype(np.int64))
        self._build_plan()
        if meta.format_family == "v2" and n:
            self._check_timestamps_sync()

    def _shape_column(self, key: str, arr: np.ndarray, n: int) -> np.ndarray:
        ft = self.meta.features[key]
        if ft["dtype"] == "image":
            if not isinstance(arr, BlobColumn):
                raise DatasetFormatError(
                    f"{self.root}: image column '{key}' must be a struct {{bytes, path}} of PNG bytes."
                )
            return arr
        if ft["dtype"] == "string" or arr.dtype == object:
            return arr
        shape = tuple(ft["shape"])
        target = (n,) if shape == (1,) else (n, *shape)
        if arr.size != int(np.prod(target)):
            raise DatasetFormatError(
                f"{self.root}: data column '{key}' has per-row shape {arr.shape[1:]}, but meta/info.json "
                f"declares shape {list(shape)}."
            )
        return arr.reshape(target)

    def _set_rows(self, episode_col: np.ndarray) -> None:
        """Per-row episode position and the relative [from, to) row range of each selected episode."""
        selected = self._selected_episode_indices() if self.meta.info else []
        self._sel_episodes = selected
        if len(episode_col):
            lut = np.full(max(int(episode_col.max()), max(selected, default=0)) + 1, -1, dtype=np.int64)
            lut[np.asarray(selected, dtype=np.int64)] = np.arange(len(selected))
            pos = lut[episode_col]
            if np.any(pos < 0) or np.any(np.diff(pos) < 0):
                raise DatasetFormatError(
                    f"{self.root}: the rows of an episode are not contiguous in global index order."
                )
        else:
            pos = np.zeros(0, np.int64)
        counts = np.bincount(pos, minlength=len(selected))
        self._ep_to_rel = np.cumsum(counts).astype(np.int64)
        self._ep_from_rel = self._ep_to_rel - counts
        self._row_ep_pos = pos
        # Per camera (video) and selected episode: (absolute mp4 path, from_timestamp).
        self._video_files = {
            key: [self._video_location(e, key) for e in selected] for key in self.meta.video_keys
        }

    def _build_plan(self) -> None:
        """Per feature: (key, kind, column, frame offsets or None), so that __getitem__ does no lookups."""
        offsets = {k: np.asarray(v, dtype=np.int64) for k, v in (self.delta_indices or {}).items()}
        shared: dict[tuple, np.ndarray] = {}  # same offsets -> same array, so windows are computed once
        self._plan = []
        for key, ft in self.meta.info.get("features", {}).items():
            col = self._cols.get(key)
            if ft["dtype"] in ("video", "image"):
                kind = ft["dtype"]
            else:
                kind = "object" if col is None or col.dtype == object else "array"
            off = offsets.get(key)
            if off is not None:
                off = shared.setdefault(tuple(off.tolist()), off)
            self._plan.append((key, kind, col, off))

    def _video_location(self, ep: int, key: str) -> tuple[Path, float]:
        rel, from_ts = self.meta.video_file(ep, key)
        return self.root / rel, from_ts

    def _check_timestamps_sync(self) -> None:
        """v2.x (as the reference): consecutive timestamps within an episode differ by 1/fps ± tolerance_s."""
        ts = self._cols["timestamp"].astype(np.float64)
        same_episode = self._row_ep_pos[1:] == self._row_ep_pos[:-1]
        bad = np.flatnonzero(same_episode & (np.abs(np.diff(ts) - 1.0 / self.meta.fps) > self.tolerance_s))
        if len(bad):
            i = int(bad[0])
            ep = self._sel_episodes[int(self._row_ep_pos[i])]
            raise ValueError(
                f"{self.root}: timestamps of episode {ep} are not spaced by 1/fps = {1 / self.meta.fps:.6g} s "
                f"within tolerance_s={self.tolerance_s}: rows {i} -> {i + 1} of the selection have timestamps {ts[i]:.6f} -> {ts[i + 1]:.6f} "
                f"({len(bad)} such gap(s)). Re-record/repair the episode or raise tolerance_s."
            )

    # -- read API ----------------------------------------------------------------------------------------
    @property
    def fps(self) -> int:
        return self.meta.fps

    @property
    def features(self) -> dict[str, dict]:
        return self.meta.features

    # -- attributes of the early README's dataset tour (shortcuts to `meta`) ---------------------------------
    @property
    def info(self) -> dict:
        """`meta/info.json` as a dict (codebase_version, fps, features, path templates, totals...)."""
        return self.meta.info

    @property
    def camera_keys(self) -> list[str]:
        """Keys of every camera feature, stored as video or as images."""
        return self.meta.camera_keys

    @property
    def video_keys(self) -> list[str]:
        """Keys of the camera features stored as mp4 under `videos_dir`."""
        return self.meta.video_keys

    @property
    def videos_dir(self) -> Path:
        """`<root>/videos`, the folder of the mp4 files (one sub-folder per video key)."""
        return Path(self.root) / "videos"

    @property
    def num_frames(self) -> int:
        return len(self._row_ep_pos)

    @property
    def num_episodes(self) -> int:
        return len(self._sel_episodes)

    def __len__(self) -> int:
        return self.num_frames

    @property
    def episode_data_index(self) -> dict[str, torch.Tensor]:
        """Row ranges of the loaded episodes in this dataset's index space: {"from", "to"} (exclusive)."""
        return {
            "from": torch.from_numpy(self._ep_from_rel.copy()),
            "to": torch.from_numpy(self._ep_to_rel.copy()),
        }

    @property
    def stats(self) -> dict[str, dict[str, np.ndarray]] | None:
        """`meta.stats`, or the stats aggregated over the selected episodes when `episodes` was given."""
        if self.episodes is None:
            return self.meta.stats
        per_episode = self.meta.episodes_stats
        if not per_episode:
            return self.meta.stats
        return aggregate_stats([per_episode[e] for e in self._sel_episodes if e in per_episode])

    @property
    def hf_features(self):
        """`datasets.Features` of the parquet (non-video) columns, as the data files declare them.
        Needs the `hf` extra (HF `datasets`), imported on first access; see lerobot/datasets/hf_compat.py."""
        from lerobot.datasets.hf_compat import hf_features_from_info

        return hf_features_from_info(self.meta.info)

    @property
    def hf_dataset(self):
        """The selected frames' parquet columns as an HF `datasets.Dataset` with a torch transform: row i
        holds `self[i]`'s non-video values. Wraps the loaded columns without copying them; rebuilt when the
        frames are reloaded (e.g. after `save_episode`). Needs the `hf` extra; see hf_compat.py."""
        cache = getattr(self, "_hf_cache", None)
        if cache is None or cache[0] is not self._cols:
            from lerobot.datasets.hf_compat import build_hf_dataset

            cache = self._hf_cache = (self._cols, build_hf_dataset(self.meta.info, self._cols, len(self)))
        return cache[1]

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state.pop("_hf_cache", None)  # rebuilt on demand, not shipped to spawned DataLoader workers
        state.pop("_buffers", None)  # spare capacity of the columns a writer extends (the views suffice)
        return state

    def _decode_images(self, key: str, rows: np.ndarray | int) -> torch.Tensor:
        blobs = self._cols[key].values(rows)
        frames = []
        for blob in blobs:
            with Image.open(io.BytesIO(blob)) as img:
                arr = np.asarray(img)
            frames.append(arr[..., None] if arr.ndim == 2 else arr)
        out = torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2).contiguous()  # (T, C, H, W) uint8
        return out if self.return_uint8 else out.float().div_(255)

    def _video_request(self, key: str, idx: int, rows: np.ndarray) -> tuple[Path, list[float], str]:
        """(mp4 path, query timestamps in the file, key) of the frames of `rows` (rows of idx's episode)."""
        path, from_ts = self._video_files[key][self._row_ep_pos[idx]]
        return path, (from_ts + self._cols["timestamp"][rows].astype(np.float64)).tolist(), key

    def _check_frame_shape(self, key: str, path: Path, frames: torch.Tensor) -> torch.Tensor:
        h, w, c = self.meta.features[key]["shape"]
        if tuple(frames.shape[1:]) != (c, h, w):
            raise DatasetFormatError(
                f"{path}: the stream of '{key}' decodes to frames of (C, H, W) = {tuple(frames.shape[1:])}, but "
                f"meta/info.json declares features['{key}']['shape'] = {[h, w, c]} (H, W, C)."
            )
        return frames

    def _decode_video(self, key: str, idx: int, rows: np.ndarray) -> torch.Tensor:
        from lerobot.datasets.video.decoding import decode_video_frames

        path, query_ts, _ = self._video_request(key, idx, rows)
        frames = decode_video_frames(
            path,
            query_ts,
            self.tolerance_s,
            self.video_backend,
            video_key=key,
            return_uint8=self.return_uint8,
        )
        return self._check_frame_shape(key, path, frames)

    def set_image_transforms(self, image_transforms: Callable | None) -> None:
        if image_transforms is not None and not callable(image_transforms):
            raise TypeError(f"image_transforms must be callable, got {type(image_transforms).__name__}.")
        self.image_transforms = image_transforms

    def clear_image_transforms(self) -> None:
        self.image_transforms = None

    def _check_index(self, idx) -> int:
        if isinstance(idx, torch.Tensor) and idx.numel() == 1:
            idx = int(idx.item())
        if not isinstance(idx, (int, np.integer)) or isinstance(idx, bool):
            raise TypeError(f"dataset index must be an int or a slice, got {type(idx).__name__}.")
        n = self.num_frames
        if idx < 0:
            idx += n
        if not 0 <= idx < n:
            raise IndexError(f"index {idx} out of range for dataset '{self.repo_id}' of length {n}.")
        return int(idx)

    def _windows(self, idx: int) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Per distinct offsets array of the plan (by id): (rows clipped to idx's episode, is_pad)."""
        pos = self._row_ep_pos[idx]
        start, last = int(self._ep_from_rel[pos]), int(self._ep_to_rel[pos]) - 1
        windows: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for _, _, _, offsets in self._plan:
            if offsets is not None and id(offsets) not in windows:
                query = idx + offsets
                windows[id(offsets)] = (np.clip(query, start, last), (query < start) | (query > last))
        return windows

    def __getitem__(self, idx) -> dict | list[dict]:
        if isinstance(idx, slice):  # ds[a:b] -> list of items (as the reference's newest main)
            return [self[i] for i in range(*idx.indices(self.num_frames))]
        return self._item(self._check_index(idx))

    def __getitems__(self, indices) -> list[dict]:
        """Items of a whole batch (a DataLoader with a batch sampler or `batch_size` calls this in its worker).

        Equal to `[self[i] for i in indices]`, but the video frames of the whole batch are decoded together,
        grouped by file: one seek per run of nearby frames, each frame decoded once even when overlapping
        windows or repeated indices share it (lerobot/datasets/batching.py).
        """
        from lerobot.datasets.batching import batch_items

        return batch_items(self, indices)

    def get_batch(self, indices, *, channels_last: bool = False, allocate=None) -> dict:
        """The collated batch of `indices`: equal to `default_collate([self[i] for i in indices])`, built
        column-wise, the frames of the whole batch decoded grouped by file, each once, and written straight
        into the (B, [T,] C, H, W) camera tensors (what a training DataLoader worker calls, see
        lerobot/datasets/loading.py). `channels_last=True`: the same shapes and values, laid out in memory
        as (B, [T,] H, W, C) (cheaper to fill); `allocate(shape, dtype)` gives their memory. See
        lerobot/datasets/batching.py.
        """
        from lerobot.datasets.batching import build_batch

        return build_batch(self, indices, channels_last=channels_last, allocate=allocate)

    def _item(
        self, idx: int, windows: dict | None = None, videos: dict[str, torch.Tensor] | None = None
    ) -> dict:
        """Item `idx` (checked); `windows` from `_windows(idx)` and `videos` (key -> decoded (T, C, H, W)
        frames) when the caller already has them (batches), else computed/decoded here."""
        if windows is None:
            windows = self._windows(idx)
        item: dict = {}
        for key, kind, col, offsets in self._plan:
            if offsets is None:
                rows = np.array([idx])
            else:
                rows, pad = windows[id(offsets)]
                item[f"{key}_is_pad"] = torch.from_numpy(pad)
            if kind == "array":
                item[key] = torch.from_numpy(col[rows] if offsets is not None else np.array(col[idx]))
            elif kind == "object":
                item[key] = col[idx] if offsets is None else list(col[rows])
            else:
                if kind == "video":
                    frames = videos[key] if videos is not None else self._decode_video(key, idx, rows)
                else:
                    frames = self._decode_images(key, rows)
                item[key] = frames if offsets is not None else frames[0]  # (T, C, H, W) or (C, H, W)
        if self.image_transforms is not None:
            for key in self.meta.camera_keys:
                item[key] = self.image_transforms(item[key])
        item[TASK] = self.meta.task_list[int(self._cols["task_index"][idx])]
        return item

    def __repr__(self) -> str:
        return (
            f"LeRobotDataset(repo_id={self.repo_id!r}, root='{self.root}', version={self.meta.codebase_version}, "
            f"num_episodes={self.num_episodes}, num_frames={self.num_frames}, fps={self.fps}, "
            f"camera_keys={self.meta.camera_keys}, delta_timestamps={self.delta_timestamps})"
        )
