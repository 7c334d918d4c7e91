"""`MultiLeRobotDataset`: several LeRobotDatasets concatenated into one index space.

Only features present in every dataset are kept (the others are listed in `disabled_features` and dropped
from items); each item gets `dataset_index` (0-dim int64 tensor), the position of its dataset in `repo_ids`.
"""

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from lerobot.datasets.compute_stats import aggregate_stats
from lerobot.datasets.lerobot_dataset import LeRobotDataset
from lerobot.utils.dataset_root import resolve_dataset_root

logger = logging.getLogger(__name__)


class MultiLeRobotDataset(torch.utils.data.Dataset):
    def __init__(
        self,
        repo_ids: list[str],
        root: str | Path | None = None,
        episodes: dict[str, list[int]] | None = None,
        image_transforms: Callable | None = None,
        delta_timestamps: dict[str, list[float]] | None = None,
        tolerances_s: dict[str, float] | None = None,
        download_videos: bool = True,
        video_backend: str | None = None,
        return_uint8: bool = False,
    ):
        """`root`: a folder holding one sub-folder per repo id (`root/<repo_id>`); None = $HF_LEROBOT_HOME
        (lerobot/utils/dataset_root.py)."""
        super().__init__()
        if not repo_ids or isinstance(repo_ids, str):
            raise ValueError(f"repo_ids must be a non-empty list of repo ids, got {repo_ids!r}.")
        if len(set(repo_ids)) != len(repo_ids):
            raise ValueError(f"repo_ids has duplicates: {repo_ids}.")
        for name, d in (("episodes", episodes), ("tolerances_s", tolerances_s)):
            unknown = sorted(set(d or {}) - set(repo_ids))
            if unknown:
                raise ValueError(f"{name} has keys {unknown} that are not in repo_ids {repo_ids}.")
        self.repo_ids = list(repo_ids)
        self.root = Path(root) if root is not None else None
        self.tolerances_s = {r: (tolerances_s or {}).get(r, 1e-4) for r in repo_ids}
        self._datasets = [
            LeRobotDataset(
                repo_id,
                root=resolve_dataset_root(repo_id, self.root, several=True),
                episodes=(episodes or {}).get(repo_id),
                image_transforms=image_transforms,
                delta_timestamps=delta_timestamps,
                tolerance_s=self.tolerances_s[repo_id],
                download_videos=download_videos,
                video_backend=video_backend,
                return_uint8=return_uint8,
            )
            for repo_id in repo_ids
        ]
        all_keys = [set(ds.features) for ds in self._datasets]
        first = self._datasets[0].features
        # Common = present everywhere with the same dtype and shape (otherwise items would not collate).
        common = {
            k
            for k in set.intersection(*all_keys)
            if all(
                (ds.features[k]["dtype"], list(ds.features[k]["shape"]))
                == (first[k]["dtype"], list(first[k]["shape"]))
                for ds in self._datasets
            )
        }
        self.disabled_features = set.union(*all_keys) - common
        for repo_id, keys in zip(repo_ids, all_keys, strict=True):
            extra = sorted(keys - common)
            if extra:
                logger.warning("%s: features %s are not in every dataset and are dropped.", repo_id, extra)
        fps = {ds.fps for ds in self._datasets}
        if len(fps) > 1:
            logger.warning("datasets have different fps %s; `fps` reports the first one's.", sorted(fps))
        self.image_transforms = image_transforms
        self.delta_timestamps = delta_timestamps
        self._ends = np.cumsum([len(ds) for ds in self._datasets])
        self.stats = aggregate_stats(
            [{k: v for k, v in ds.stats.items() if k in common} for ds in self._datasets if ds.stats]
        )

    @property
    def repo_id_to_index(self) -> dict[str, int]:
        return {repo_id: i for i, repo_id in enumerate(self.repo_ids)}

    @property
    def repo_index_to_id(self) -> dict[int, str]:
        return dict(enumerate(self.repo_ids))

    @property
    def fps(self) -> int:
        return self._datasets[0].fps

    @property
    def features(self) -> dict[str, dict]:
        return {k: ft for k, ft in self._datasets[0].features.items() if k not in self.disabled_features}

    @property
    def camera_keys(self) -> list[str]:
        return [k for k in self._datasets[0].meta.camera_keys if k not in self.disabled_features]

    @property
    def video_keys(self) -> list[str]:
        return [k for k in self._datasets[0].meta.video_keys if k not in self.disabled_features]

    @property
    def num_frames(self) -> int:
        return int(self._ends[-1])

    @property
    def num_episodes(self) -> int:
        return sum(ds.num_episodes for ds in self._datasets)

    def __len__(self) -> int:
        return self.num_frames

    def __getitem__(self, idx: int) -> dict:
        if isinstance(idx, torch.Tensor) and idx.numel() == 1:
            idx = int(idx.item())
        n = self.num_frames
        if not isinstance(idx, (int, np.integer)) or isinstance(idx, bool):
            raise TypeError(f"dataset index must be an int, got {type(idx).__name__}.")
        if idx < 0:
            idx += n
        if not 0 <= idx < n:
            raise IndexError(f"index {idx} out of range for MultiLeRobotDataset of length {n}.")
        ds_idx = int(np.searchsorted(self._ends, idx, side="right"))
        start = 0 if ds_idx == 0 else int(self._ends[ds_idx - 1])
        item = self._datasets[ds_idx][int(idx) - start]
        for key in self.disabled_features:
            item.pop(key, None)
            item.pop(f"{key}_is_pad", None)
        item["dataset_index"] = torch.tensor(ds_idx)
        return item

    def __repr__(self) -> str:
        return (
            f"MultiLeRobotDataset(repo_ids={self.repo_ids}, num_frames={self.num_frames}, "
            f"num_episodes={self.num_episodes}, disabled_features={sorted(self.disabled_features)})"
        )
