"""The training DataLoader: whole batches per worker, built column-wise, uint8 frames, persistent workers.

    loader = make_dataloader(dataset, batch_sampler, num_workers=2, pin_memory=device.type == "cuda")

Each worker receives a whole batch of indices from `batch_sampler` and returns the collated batch
`dataset.get_batch(indices)` (lerobot/datasets/lerobot_dataset.py): time windows for the batch at once,
video frames decoded grouped by file (each frame once) and written straight into the batch tensor in shared
memory. The main process only receives batches (and pins them when the device is a GPU): torch sends every
tensor from a worker as its own shared-memory file (a file descriptor passed and mapped per tensor, ~0.2 ms
each way), so the small ones (masks, indices, state and action windows: all but the frames) travel as numpy
arrays in the pickled batch instead and become tensors again in the main process (`torch.from_numpy`, no
copy). The batches are
equal to those of `DataLoader(dataset, batch_sampler=batch_sampler)` (default collation of `dataset[i]`),
so the order, and with it an exact resume, is the batch sampler's alone. Open `dataset` with
`return_uint8=True` to ship camera frames as uint8 (4x fewer bytes); the policy's normalization turns them
into float `x / 255` on its device (lerobot/policies/normalize.py).
"""

from __future__ import annotations

import numpy as np
import torch

# Tensors up to this size travel from a worker inside the pickled batch (as numpy), larger ones (camera
# frames) in shared memory.
INLINE_BYTES = 256 * 1024


class _ShippedBatch(dict):
    """A batch on its way from a worker: the small tensors are numpy arrays (see the module docstring).

    A dict subclass, so that the DataLoader's pin-memory thread pins its tensors and keeps the type."""


def _ship(batch: dict) -> dict:
    if torch.utils.data.get_worker_info() is None:
        return batch
    return _ShippedBatch(
        (k, v.numpy() if isinstance(v, torch.Tensor) and v.nbytes <= INLINE_BYTES else v)
        for k, v in batch.items()
    )


def _unship(batch):
    if not isinstance(batch, _ShippedBatch):
        return batch
    return {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in batch.items()}


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
        return [_ship(self.dataset.get_batch(indices))]


def first(batches: list[dict]) -> dict:
    """collate_fn of `BatchDataset`: the batch is already collated."""
    return batches[0]


class BatchLoader(torch.utils.data.DataLoader):
    """DataLoader over a `BatchDataset` whose iterator turns the batches' numpy arrays back into tensors."""

    def __iter__(self):
        return _UnshippingIterator(super().__iter__())


class _UnshippingIterator:
    def __init__(self, inner):
        self.inner = inner  # torch's iterator (its `_workers` are the worker processes)

    def __iter__(self):
        return self

    def __next__(self) -> dict:
        return _unship(next(self.inner))

    def __len__(self) -> int:
        return len(self.inner)


def make_dataloader(
    dataset,
    batch_sampler,
    num_workers: int = 0,
    pin_memory: bool = False,
    prefetch_factor: int = 2,
    generator: torch.Generator | None = None,
) -> torch.utils.data.DataLoader:
    """A DataLoader over `batch_sampler`'s batches of `dataset` (a LeRobotDataset), built by the workers."""
    return BatchLoader(
        BatchDataset(dataset),
        batch_sampler=batch_sampler,
        collate_fn=first,
        num_workers=num_workers,
        pin_memory=pin_memory,
        persistent_workers=num_workers > 0,
        prefetch_factor=prefetch_factor if num_workers > 0 else None,
        generator=generator,
    )
