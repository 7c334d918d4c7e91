"""The training DataLoader: whole batches per worker, built column-wise, uint8 frames, persistent workers.

    loader = make_dataloader(dataset, batch_sampler, num_workers=2, pin_memory=device.type == "cuda")

Each worker receives a whole batch of indices from `batch_sampler` and returns the collated batch
`dataset.get_batch(indices)` (lerobot/datasets/lerobot_dataset.py): time windows for the batch at once,
video frames decoded grouped by file (each frame once) and written straight into the batch tensor in shared
memory. The main process only receives batches (and pins them when the device is a GPU). The batches are
equal to those of `DataLoader(dataset, batch_sampler=batch_sampler)` (default collation of `dataset[i]`),
so the order, and with it an exact resume, is the batch sampler's alone. Open `dataset` with
`return_uint8=True` to ship camera frames as uint8 (4x fewer bytes); the policy's normalization turns them
into float `x / 255` on its device (lerobot/policies/normalize.py).
"""

from __future__ import annotations

import torch


class BatchDataset(torch.utils.data.Dataset):
    """Wraps a dataset with `get_batch(indices)`: the DataLoader's fetch of a batch of indices returns the
    one collated batch (`__getitems__`), which `first` then unwraps instead of collating items."""

    def __init__(self, dataset):
        if not hasattr(dataset, "get_batch"):
            raise TypeError(f"{type(dataset).__name__} has no get_batch(indices): use a LeRobotDataset.")
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, idx):
        return self.dataset.get_batch([idx])

    def __getitems__(self, indices) -> list[dict]:
        return [self.dataset.get_batch(indices)]


def first(batches: list[dict]) -> dict:
    """collate_fn of `BatchDataset`: the batch is already collated."""
    return batches[0]


def make_dataloader(
    dataset,
    batch_sampler,
    num_workers: int = 0,
    pin_memory: bool = False,
    prefetch_factor: int = 2,
    generator: torch.Generator | None = None,
) -> torch.utils.data.DataLoader:
    """A DataLoader over `batch_sampler`'s batches of `dataset` (a LeRobotDataset), built by the workers."""
    return torch.utils.data.DataLoader(
        BatchDataset(dataset),
        batch_sampler=batch_sampler,
        collate_fn=first,
        num_workers=num_workers,
        pin_memory=pin_memory,
        persistent_workers=num_workers > 0,
        prefetch_factor=prefetch_factor if num_workers > 0 else None,
        generator=generator,
    )
