"""The training DataLoader: whole batches per worker, built column-wise, uint8 frames, persistent workers.

    loader = make_dataloader(dataset, batch_sampler, num_workers=2, pin_memory=device.type == "cuda")

Each worker receives a whole batch of indices from `batch_sampler` and returns the collated batch
`dataset.get_batch(indices, channels_last=True, allocate=...)` (lerobot/datasets/batching.py): time windows
for the batch at once, video frames decoded grouped by file (each frame once) and copied straight into the
batch's camera tensors, shaped (B, [T,] C, H, W) but laid out (B, [T,] H, W, C) in memory, as the decoder
makes them (the policy's normalizer permutes them in the copy that converts uint8 to float,
lerobot/policies/normalize.py). The batches are equal to those of
`DataLoader(dataset, batch_sampler=batch_sampler)` (default collation of `dataset[i]`; same values, same
shapes; only the camera tensors' strides differ), so the order, and with it an exact resume, is the batch
sampler's alone. Open `dataset` with `return_uint8=True` to ship camera frames as uint8 (4x fewer bytes; only
uint8 frames are laid out channels-last: float frames come contiguous, as the items' are).

What crosses from a worker to the main process, per batch (the main process only receives; it pins the
batch when the device is a GPU):

* Camera tensors live in shared-memory buffers that each worker reuses from batch to batch (`_SlotPool`):
  torch would otherwise create a fresh shared-memory file per tensor and batch, pass its file descriptor to
  the main process (a socket connection with an authentication handshake, ~0.2 ms each way) and both
  processes would fault in every page of it again (at 480x640, 177 MB per batch of 32 three-frame windows of
  two cameras). A buffer travels once; afterwards a batch only names it (`_SlotRef`). The main process marks
  a buffer free again when the last tensor using its memory is gone (a `weakref.finalize` on the numpy array
  that backs the tensors, which torch keeps alive as long as any view of that memory exists), and the worker
  only writes into free buffers: a batch the training loop still holds is never overwritten. A worker keeps
  at most `MAX_SLOTS` buffers (beyond that: fresh memory, as torch does), which stay mapped while the
  DataLoader lives (about (prefetch_factor + 1) x num_workers batches' frames).
* The small tensors (masks, indices, state and action windows) travel as numpy arrays inside the pickled
  batch and become tensors again in the main process (`torch.from_numpy`, no copy).

Without workers (`num_workers=0`) the main process builds the batches itself, and reuses the camera
tensors' memory the same way once a batch is dropped (`_LocalPool`).
"""

from __future__ import annotations

import os
import secrets
import weakref

import numpy as np
import torch

from lerobot.datasets.batching import empty_tensor

# Tensors up to this size travel from a worker inside the pickled batch (as numpy), larger ones (camera
# frames) in shared memory.
INLINE_BYTES = 256 * 1024


# Shared-memory buffers a worker keeps for camera tensors (see the module docstring); the last byte of each
# is its "in use" flag: set by the worker when it ships the buffer, cleared by the main process on release.
MAX_SLOTS = 32


class _ShippedBatch(dict):
    """A batch on its way from a worker: the small tensors are numpy arrays (see the module docstring).

    A dict subclass, so that the DataLoader's pin-memory thread pins its tensors and keeps the type."""


class _SlotPool:
    """A worker's reusable shared-memory buffers for the camera tensors of its batches."""

    def __init__(self):
        self.pid = os.getpid()
        self.token = f"{self.pid}-{secrets.token_hex(6)}"  # names this pool in the main process
        self.slots: list[tuple[torch.Tensor, np.ndarray]] = []  # (flat uint8 shared tensor, numpy view of it)
        self.sent: set[int] = set()  # buffers the main process has received (mapped) already
        self.pending: dict[int, tuple[int, int]] = {}  # data_ptr -> (slot, bytes), handed out for this batch

    def allocate(self, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
        nbytes = int(np.prod(shape)) * dtype.itemsize
        if nbytes <= INLINE_BYTES:
            # Travels inside the pickled batch, pickled later by the queue's feeder thread: memory of its own,
            # never a reused buffer that the next batch could overwrite before it is pickled.
            return torch.empty(shape, dtype=dtype)
        taken = {i for i, _ in self.pending.values()}
        free = [i for i, (_, view) in enumerate(self.slots) if view[-1] == 0 and len(view) - 1 >= nbytes]
        free = [i for i in free if i not in taken]
        if free:
            i = free[0]
        elif len(self.slots) >= MAX_SLOTS:  # the main process holds them all: fresh memory, as torch does
            return empty_tensor(shape, dtype, shared=True)
        else:
            flat = empty_tensor((nbytes + 1,), torch.uint8, shared=True)
            flat[-1] = 0
            self.slots.append((flat, flat.numpy()))
            i = len(self.slots) - 1
        flat = self.slots[i][0]
        out = flat[:nbytes].view(dtype).view(shape)
        self.pending[out.untyped_storage().data_ptr()] = (i, nbytes)
        return out

    def ship(self, value: torch.Tensor):
        """A `_SlotRef` for a tensor whose memory is one of the pending buffers, else `value` itself."""
        i, nbytes = self.pending.get(value.untyped_storage().data_ptr(), (None, 0))
        if i is None:
            return value
        flat, view = self.slots[i]
        view[-1] = 1  # in use until the main process lets go of it
        first = i not in self.sent
        self.sent.add(i)
        shape, stride, offset = tuple(value.shape), value.stride(), value.storage_offset()
        return _SlotRef(self.token, i, flat if first else None, nbytes, value.dtype, shape, stride, offset)


class _SlotRef:
    """A camera tensor in a worker's reused buffer, as it travels; unpickled as the tensor itself."""

    def __init__(self, token, slot, flat, nbytes, dtype, shape, stride, offset):
        self.args = (token, slot, flat, nbytes, dtype, shape, stride, offset)

    def __reduce__(self):
        return _rebuild_slot, self.args


# In the main process: pool token -> slot -> numpy view of the received buffer (dropped with the DataLoader).
_RECEIVED: dict[str, dict[int, np.ndarray]] = {}


def _release(view: np.ndarray) -> None:
    view[-1] = 0


def _rebuild_slot(token, slot, flat, nbytes, dtype, shape, stride, offset) -> torch.Tensor:
    slots = _RECEIVED.setdefault(token, {})
    if flat is not None:
        slots[slot] = flat.numpy()  # the array keeps the tensor (and its mapping) alive
    view = slots.get(slot)
    if view is None:
        raise RuntimeError(
            f"A DataLoader worker's batch names shared buffer {slot} of pool {token}, which this process never "
            "received (its first batch was lost, or the DataLoader was garbage-collected): recreate the DataLoader."
        )
    arr = view[:nbytes].view(torch.empty((), dtype=dtype).numpy().dtype)  # a new array object per batch
    weakref.finalize(arr, _release, view).atexit = False
    return torch.from_numpy(arr).as_strided(shape, stride, offset)  # torch holds `arr` while it is used


def _forget_pools(pids: list[int]) -> None:
    prefixes = tuple(f"{pid}-" for pid in pids)
    for token in [t for t in _RECEIVED if t.startswith(prefixes)]:
        del _RECEIVED[token]


class _LocalPool:
    """Without workers: the camera tensors' memory, reused once the batch that used it is gone (the same
    `weakref.finalize` as the main process's release of a worker's buffer), so that a large batch does not
    fault in fresh pages every time. Per buffer size it keeps as many free buffers as were ever in use at
    once (e.g. two cameras x the batch being built and the one the training loop holds), at most `keep`."""

    def __init__(self, keep: int = 8):
        self.keep = keep
        self.free: dict[int, list[np.ndarray]] = {}
        self.in_use: dict[int, int] = {}
        self.most_in_use: dict[int, int] = {}

    def _give_back(self, buf: np.ndarray) -> None:
        n = len(buf)
        self.in_use[n] -= 1
        free = self.free.setdefault(n, [])
        if len(free) < min(self.keep, self.most_in_use[n]):
            free.append(buf)

    def allocate(self, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
        nbytes = int(np.prod(shape)) * dtype.itemsize
        free = self.free.get(nbytes)
        buf = free.pop() if free else np.empty(nbytes, dtype=np.uint8)
        self.in_use[nbytes] = self.in_use.get(nbytes, 0) + 1
        self.most_in_use[nbytes] = max(self.most_in_use.get(nbytes, 0), self.in_use[nbytes])
        arr = buf.view(torch.empty((), dtype=dtype).numpy().dtype)  # a new array object per batch
        weakref.finalize(arr, self._give_back, buf).atexit = False
        return torch.from_numpy(arr).view(shape)  # torch holds `arr` while any view of it is used


def _ship(batch: dict, pool: _SlotPool | None) -> dict:
    if torch.utils.data.get_worker_info() is None:
        return batch
    shipped = _ShippedBatch()
    for k, v in batch.items():
        if isinstance(v, torch.Tensor):
            v = v.numpy() if v.nbytes <= INLINE_BYTES else v if pool is None else pool.ship(v)
        shipped[k] = v
    return shipped


def _unship(batch):
    if not isinstance(batch, _ShippedBatch):
        return batch
    return {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in batch.items()}


class BatchDataset(torch.utils.data.Dataset):
    """Wraps a dataset with `get_batch(indices)`: the DataLoader's fetch of a batch of indices returns the
    one collated batch (`__getitems__`), which `first` then unwraps instead of collating items. Camera
    tensors are laid out channels-last in reused buffers: shared memory in a worker (see the module
    docstring), the main process's own memory without workers (`_LocalPool`)."""

    def __init__(self, dataset, reuse_buffers: bool = True):
        if not hasattr(dataset, "get_batch"):
            raise TypeError(f"{type(dataset).__name__} has no get_batch(indices): use a LeRobotDataset.")
        self.dataset = dataset
        self.reuse_buffers = reuse_buffers
        self._pool: _SlotPool | None = None  # in a worker
        self._local: _LocalPool | None = None  # without workers

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_pool": None, "_local": None}  # buffers stay in their process

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, idx):
        return self.dataset.get_batch([idx])

    @property
    def channels_last(self) -> bool:
        """uint8 frames only: the policy's normalizer makes them contiguous floats; float frames stay as the
        items' are."""
        return bool(getattr(self.dataset, "return_uint8", False))

    def __getitems__(self, indices) -> list[dict]:
        get_batch, channels_last = self.dataset.get_batch, self.channels_last
        if not self.reuse_buffers:
            return [_ship(get_batch(indices, channels_last=channels_last), None)]
        if torch.utils.data.get_worker_info() is None:
            if self._local is None:
                self._local = _LocalPool()
            return [get_batch(indices, channels_last=channels_last, allocate=self._local.allocate)]
        if self._pool is None or self._pool.pid != os.getpid():
            self._pool = _SlotPool()
        pool = self._pool
        try:
            return [_ship(get_batch(indices, channels_last=channels_last, allocate=pool.allocate), pool)]
        finally:
            pool.pending.clear()


def first(batches: list[dict]) -> dict:
    """collate_fn of `BatchDataset`: the batch is already collated."""
    return batches[0]


class BatchLoader(torch.utils.data.DataLoader):
    """DataLoader over a `BatchDataset` whose iterator turns the batches' numpy arrays back into tensors."""

    def __iter__(self):
        inner = super().__iter__()
        workers = getattr(inner, "_workers", None)
        if workers and not hasattr(inner, "_lerobot_forget"):  # once per (persistent) worker set
            inner._lerobot_forget = weakref.finalize(inner, _forget_pools, [w.pid for w in workers])
        return _UnshippingIterator(inner)


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
