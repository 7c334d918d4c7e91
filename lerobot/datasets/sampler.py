"""`EpisodeAwareSampler`: frame indices of chosen episodes, minus a head/tail, optionally shuffled.

Pass row ranges in the dataset's own index space, e.g. for any `LeRobotDataset` (also a subset):

    edi = dataset.episode_data_index
    sampler = EpisodeAwareSampler(edi["from"], edi["to"], drop_n_last_frames=7, shuffle=True)

For a full v3 dataset `meta.episodes["dataset_from_index"]` / `["dataset_to_index"]` are the same ranges.
"""

from collections.abc import Iterator, Sequence

import torch


class EpisodeAwareSampler(torch.utils.data.Sampler):
    def __init__(
        self,
        dataset_from_indices: Sequence[int] | torch.Tensor | dict,
        dataset_to_indices: Sequence[int] | torch.Tensor | None = None,
        episode_indices_to_use: Sequence[int] | None = None,
        drop_n_first_frames: int = 0,
        drop_n_last_frames: int = 0,
        shuffle: bool = False,
    ):
        """
        Args:
            dataset_from_indices: first row of each episode (or a v2.1-style `episode_data_index` dict
                {"from", "to"}, in which case `dataset_to_indices` must be None).
            dataset_to_indices: exclusive end row of each episode.
            episode_indices_to_use: positions (into the from/to lists) of the episodes to sample; None = all.
            drop_n_first_frames / drop_n_last_frames: frames skipped at the start / end of every episode
                (e.g. Diffusion drops the last 7 so that every sample has a full action horizon).
            shuffle: yield the indices in a random permutation (torch's global RNG) every epoch.
        """
        if isinstance(dataset_from_indices, dict):
            if dataset_to_indices is not None:
                raise ValueError("Pass either an episode_data_index dict or from/to index lists, not both.")
            dataset_from_indices, dataset_to_indices = (
                dataset_from_indices["from"],
                dataset_from_indices["to"],
            )
        if dataset_to_indices is None:
            raise ValueError("dataset_to_indices is required (the exclusive end row of every episode).")
        starts = [int(x) for x in dataset_from_indices]
        ends = [int(x) for x in dataset_to_indices]
        if len(starts) != len(ends):
            raise ValueError(
                f"{len(starts)} episode starts but {len(ends)} episode ends: the lists must pair up."
            )
        for name, n in (
            ("drop_n_first_frames", drop_n_first_frames),
            ("drop_n_last_frames", drop_n_last_frames),
        ):
            if not isinstance(n, int) or n < 0:
                raise ValueError(f"{name} must be a non-negative int, got {n!r}.")
        if episode_indices_to_use is not None:
            bad = [e for e in episode_indices_to_use if not 0 <= int(e) < len(starts)]
            if bad:
                raise ValueError(
                    f"episode_indices_to_use {bad} are out of range: there are {len(starts)} episodes (0..{len(starts) - 1})."
                )
            use = {int(e) for e in episode_indices_to_use}
        else:
            use = None
        indices: list[int] = []
        for ep, (start, end) in enumerate(zip(starts, ends, strict=True)):
            if end < start:
                raise ValueError(f"episode {ep}: end row {end} is before start row {start}.")
            if use is None or ep in use:
                indices.extend(range(start + drop_n_first_frames, end - drop_n_last_frames))
        self.indices = indices
        self.shuffle = shuffle

    def __iter__(self) -> Iterator[int]:
        if self.shuffle:
            for i in torch.randperm(len(self.indices)).tolist():
                yield self.indices[i]
        else:
            yield from self.indices

    def __len__(self) -> int:
        return len(self.indices)
