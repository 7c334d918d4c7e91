"""The training data: the dataset with the policy's time windows, and an endless, seeded, resumable stream
of batches of frame indices (so that a resumed run sees exactly the batches an uninterrupted run would)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import torch

from lerobot.configs.train import TrainPipelineConfig


class ResumableBatchSampler(torch.utils.data.Sampler):
    """Endless batches from per-epoch permutations of `indices` (epoch e is shuffled with `seed + e`).

    The stream is cut into batches of `batch_size`; with `world_size` processes, global batch k goes to
    rank `k % world_size`. `start_batch` skips the batches already consumed (resume).
    """

    def __init__(
        self, indices, batch_size: int, seed: int, start_batch: int = 0, rank: int = 0, world_size: int = 1
    ):
        if len(indices) < 1:
            raise ValueError("The dataset has no frame to sample (after dropping the episode tails).")
        self.indices = torch.as_tensor(list(indices), dtype=torch.int64)
        self.batch_size, self.seed = batch_size, seed
        self.start_batch, self.rank, self.world_size = start_batch, rank, world_size

    def _stream(self, position: int):
        n = len(self.indices)
        epoch, offset = divmod(position, n)
        while True:
            perm = torch.randperm(n, generator=torch.Generator().manual_seed(self.seed + epoch))
            yield from self.indices[perm[offset:]].tolist()
            epoch, offset = epoch + 1, 0

    def __iter__(self):
        k = self.start_batch * self.world_size + self.rank
        stream = self._stream(k * self.batch_size)
        while True:
            yield [next(stream) for _ in range(self.batch_size)]
            for _ in range((self.world_size - 1) * self.batch_size):  # the other ranks' batches
                next(stream)


def make_dataset(cfg: TrainPipelineConfig):
    """The training dataset (with the policy's time windows) and the metadata the policy is built from."""
    from lerobot.datasets.lerobot_dataset import LeRobotDataset, LeRobotDatasetMetadata
    from lerobot.datasets.transforms import ImageTransforms
    from lerobot.datasets.utils import resolve_delta_timestamps, with_imagenet_stats
    from lerobot.utils.dataset_root import resolve_dataset_root

    ds_cfg = cfg.dataset
    repo_id = ds_cfg.repo_id or Path(ds_cfg.root).name
    if ds_cfg.root is not None and not Path(ds_cfg.root).is_dir():
        raise FileNotFoundError(
            f"--dataset.root={ds_cfg.root} does not exist: give the folder of a LeRobot dataset (it holds "
            "meta/info.json), or drop --dataset.root to download --dataset.repo_id from the Hub."
        )
    root = resolve_dataset_root(repo_id, ds_cfg.root)  # the dataset folder or a folder holding <repo_id>/
    try:
        meta = LeRobotDatasetMetadata(repo_id, root, ds_cfg.revision)
    except (OSError, ValueError) as e:  # hub errors are OSErrors; bad metadata ValueErrors
        raise FileNotFoundError(
            f"--dataset.repo_id={repo_id}: cannot load the dataset ({type(e).__name__}: {e}). Give a Hub "
            "dataset id that exists (online), or --dataset.root=<local dataset folder>."
        ) from e
    transforms = ImageTransforms(ds_cfg.image_transforms) if ds_cfg.image_transforms.enable else None
    dataset = LeRobotDataset(
        repo_id,
        root=root,
        episodes=ds_cfg.episodes,
        image_transforms=transforms,
        delta_timestamps=resolve_delta_timestamps(cfg.policy, meta),
        revision=ds_cfg.revision,
        video_backend=ds_cfg.video_backend,
        # uint8 camera frames (4x fewer bytes from the workers); the policy's normalization turns them into
        # float `x / 255` on its device, the same values (lerobot/policies/normalize.py). The image
        # transforms work on float frames, so with them the dataset converts as before.
        return_uint8=transforms is None,
        meta=meta,  # read once, shared with the policy (below) and the sampler (through the dataset)
    )
    stats = meta.stats
    if ds_cfg.use_imagenet_stats and stats is not None:
        stats = with_imagenet_stats(stats, meta.camera_keys)
    return dataset, SimpleNamespace(features=meta.features, stats=stats, fps=meta.fps)


def frame_indices(dataset, policy_cfg) -> list[int]:
    """Indices of the frames to train on: all, or those the EpisodeAwareSampler keeps (`drop_n_last_frames`)."""
    from lerobot.datasets.sampler import EpisodeAwareSampler

    drop = getattr(policy_cfg, "drop_n_last_frames", 0)
    if not drop:
        return list(range(len(dataset)))
    return list(EpisodeAwareSampler(dataset.episode_data_index, drop_n_last_frames=drop, shuffle=False))
