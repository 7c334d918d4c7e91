"""Whole batches of a `LeRobotDataset`: `LeRobotDataset.__getitems__` and `LeRobotDataset.get_batch`.

    items = batch_items(dataset, indices)   # == [dataset[i] for i in indices]
    batch = build_batch(dataset, indices)   # == default_collate([dataset[i] for i in indices]), bit for bit

Both decode the video frames of the whole batch together, grouped by file
(lerobot/datasets/video/decoding.py `decode_frame_requests_rgb`): one seek per run of nearby frames, each frame
decoded and converted to RGB once, even when overlapping windows or repeated indices share it.

`build_batch` is the training path (a DataLoader worker calls it for a whole batch, see
lerobot/datasets/loading.py). It works column-wise: the time windows of the batch are one numpy expression,
each data column is gathered with one numpy index, and the decoded frames are copied straight into the
batch tensor of each camera, shaped

    (B, C, H, W)        without a time window
    (B, T, C, H, W)     with one (T = len(delta_timestamps[key]))

With `channels_last=True` the camera tensors have exactly these shapes and values, but their memory is laid
out (B, [T,] H, W, C), the layout the decoder produces: a frame is then one contiguous copy instead of a
transposition (at 480x640 the transposition cost as much CPU as decoding the frame). Such a tensor is a
permuted view (`.is_contiguous()` is False); the policy's normalizer makes contiguous float frames of it in the
same step that converts uint8 to float (lerobot/policies/normalize.py `uint8_frames_to_float`).
`allocate(shape, dtype)` gives the memory of each camera tensor (the DataLoader's reused shared-memory buffers,
lerobot/datasets/loading.py); by default a fresh tensor, in shared memory inside a DataLoader worker (as
torch's default_collate does there), so that it is not copied again to reach the main process.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from lerobot.datasets.formats.common import DatasetFormatError
from lerobot.utils.constants import TASK

Allocate = Callable[[tuple[int, ...], torch.dtype], torch.Tensor]


def empty_tensor(shape: tuple[int, ...], dtype: torch.dtype, shared: bool) -> torch.Tensor:
    """An uninitialised tensor, in shared memory if `shared` (as torch's default_collate does in a worker)."""
    if not shared:
        return torch.empty(shape, dtype=dtype)
    numel = int(np.prod(shape))
    storage = torch.empty(0, dtype=dtype)._typed_storage()._new_shared(numel)
    return torch.empty(0, dtype=dtype).new(storage).view(shape)


def check_indices(dataset, indices) -> np.ndarray:
    """`indices` (ints, negative from the end, or a 1-D integer tensor/array) -> int64 array of rows, checked
    as `dataset[i]` checks one index."""
    if isinstance(indices, torch.Tensor):
        indices = indices.numpy()
    arr = np.asarray(indices)
    if arr.ndim != 1 or arr.dtype.kind not in "iu":
        return np.asarray([dataset._check_index(i) for i in indices], dtype=np.int64)
    arr = arr.astype(np.int64)
    n = dataset.num_frames
    arr = np.where(arr < 0, arr + n, arr)
    bad = (arr < 0) | (arr >= n)
    if bad.any():
        dataset._check_index(int(np.asarray(indices)[np.flatnonzero(bad)[0]]))  # raises the IndexError
    return arr


def batch_windows(dataset, arr: np.ndarray) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Per distinct offsets array of the plan (by id): ((B, T) rows clipped to each sample's episode, is_pad)."""
    pos = dataset._row_ep_pos[arr]
    start, last = dataset._ep_from_rel[pos][:, None], dataset._ep_to_rel[pos][:, None] - 1
    windows: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for _, _, _, offsets in dataset._plan:
        if offsets is not None and id(offsets) not in windows:
            query = arr[:, None] + offsets[None, :]
            windows[id(offsets)] = (np.clip(query, start, last), (query < start) | (query > last))
    return windows


def video_requests(
    dataset, key: str, arr: np.ndarray, rows: np.ndarray
) -> list[tuple[str, list[float], str]]:
    """(mp4 path, query timestamps in the file, key) per sample: `rows` (B, T) of the samples `arr` (B,)."""
    files = dataset._video_files[key]
    pos = dataset._row_ep_pos[arr]
    from_ts = np.fromiter((files[p][1] for p in pos.tolist()), dtype=np.float64, count=len(pos))
    query = (from_ts[:, None] + dataset._cols["timestamp"][rows].astype(np.float64)).tolist()
    return [(files[p][0], q, key) for p, q in zip(pos.tolist(), query, strict=True)]


def batch_items(dataset, indices) -> list[dict]:
    """`[dataset[i] for i in indices]`, with the video frames of the whole batch decoded together."""
    idxs = check_indices(dataset, indices)
    video_plan = [(key, off) for key, kind, _, off in dataset._plan if kind == "video"]
    if not video_plan:
        return [dataset._item(int(idx)) for idx in idxs]
    from lerobot.datasets.video.decoding import decode_frame_requests

    windows = batch_windows(dataset, idxs)
    requests = []
    for key, off in video_plan:
        requests += video_requests(dataset, key, idxs, idxs[:, None] if off is None else windows[id(off)][0])
    frames = decode_frame_requests(
        requests, dataset.tolerance_s, dataset.video_backend, return_uint8=dataset.return_uint8
    )
    items = []
    n = len(idxs)
    for j, idx in enumerate(idxs.tolist()):
        win = {k: (rows[j], pad[j]) for k, (rows, pad) in windows.items()}
        videos = {}
        for k, (key, _) in enumerate(video_plan):
            videos[key] = dataset._check_frame_shape(key, requests[k * n + j][0], frames[k * n + j])
        items.append(dataset._item(idx, win, videos))
    return items


def build_batch(dataset, indices, *, channels_last: bool = False, allocate: Allocate | None = None) -> dict:
    """The collated batch of `indices`: equal to `default_collate([dataset[i] for i in indices])` (see the
    module docstring; with image transforms, random per sample, the items are built one by one and collated)."""
    idxs = check_indices(dataset, indices)
    if not len(idxs):
        raise ValueError(f"get_batch needs at least one index (dataset '{dataset.repo_id}').")
    if dataset.image_transforms is not None:
        return torch.utils.data.default_collate([dataset._item(int(i)) for i in idxs])
    from lerobot.datasets.video.decoding import decode_frame_requests_rgb

    if allocate is None:
        in_worker = torch.utils.data.get_worker_info() is not None
        allocate = lambda shape, dtype: empty_tensor(shape, dtype, shared=in_worker)  # noqa: E731
    windows = batch_windows(dataset, idxs)
    requests = []
    for key, kind, _, off in dataset._plan:
        if kind == "video":
            requests += video_requests(
                dataset, key, idxs, idxs[:, None] if off is None else windows[id(off)][0]
            )
    frames = (
        decode_frame_requests_rgb(requests, dataset.tolerance_s, dataset.video_backend) if requests else []
    )
    b = len(idxs)
    batch: dict = {}
    k = 0
    for key, kind, col, offsets in dataset._plan:
        if offsets is None:
            rows = idxs
        else:
            rows, pad = windows[id(offsets)]
            batch[f"{key}_is_pad"] = torch.from_numpy(pad)
        if kind == "array":
            batch[key] = torch.from_numpy(col[rows])
        elif kind == "object":
            values = [col[i] for i in idxs] if offsets is None else [list(col[r]) for r in rows]
            batch[key] = torch.utils.data.default_collate(values)
        elif kind == "image":
            decoded = [dataset._decode_images(key, r) for r in (rows[:, None] if offsets is None else rows)]
            batch[key] = torch.stack([f if offsets is not None else f[0] for f in decoded])
        else:
            batch[key] = _video_tensor(
                dataset, key, offsets, frames[k : k + b], requests[k], channels_last, allocate
            )
            k += b
    batch[TASK] = [dataset.meta.task_list[int(t)] for t in dataset._cols["task_index"][idxs]]
    return batch


def _video_tensor(dataset, key, offsets, frames, first_request, channels_last: bool, allocate: Allocate):
    """The (B, [T,] C, H, W) tensor of one camera from its per-sample lists of (H, W, C) uint8 RGB frames."""
    from lerobot.datasets.video.decoding import write_frames

    h, w, c = dataset.meta.features[key]["shape"]
    got = frames[0][0].shape
    if got != (h, w, c) or any(f.shape != got for sample in frames for f in sample):
        bad = next(f.shape for sample in frames for f in sample if f.shape != (h, w, c))
        raise DatasetFormatError(
            f"{first_request[0]}: the stream of '{key}' decodes to frames of (C, H, W) = "
            f"{(bad[2], bad[0], bad[1])}, but meta/info.json declares features['{key}']['shape'] "
            f"= {[h, w, c]} (H, W, C)."
        )
    n_t = 1 if offsets is None else len(offsets)
    dtype = torch.uint8 if dataset.return_uint8 else torch.float32
    shape = (len(frames), n_t, h, w, c) if channels_last else (len(frames), n_t, c, h, w)
    out = allocate(shape, dtype)
    out_np = out.numpy()
    for j, sample_frames in enumerate(frames):
        write_frames(sample_frames, out_np[j], channels_last=channels_last)
    if channels_last:
        out = out.permute(0, 1, 4, 2, 3)  # (B, T, C, H, W) view of the (B, T, H, W, C) memory
    return out if offsets is not None else out[:, 0]
