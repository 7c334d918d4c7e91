"""Temporary PNG frames written while recording, optionally by a thread or process pool.

Layout (docs/dataset_format.md): `<root>/images/<camera_key>/episode-000000/frame-000000.png`. The PNGs feed the video
encoder (video features) or are embedded into the data parquet (image features), and are deleted once
the episode is saved. With `num_processes == num_threads == 0` frames are written synchronously by the
caller; otherwise `submit` returns at once and `wait_until_done()` blocks until every queued frame is on
disk (errors raised by a worker are re-raised there, naming the file).
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import PIL.Image


def image_to_hwc_uint8(image, key: str = "image") -> np.ndarray:
    """PIL image or array (HWC/CHW, uint8 0-255 or float 0-1) -> contiguous uint8 HWC array."""
    if isinstance(image, PIL.Image.Image):
        return np.asarray(image.convert("RGB"))
    array = np.asarray(image)
    if array.ndim != 3:
        raise ValueError(f"Image '{key}' must be 3-D (HWC or CHW), got shape {array.shape}.")
    if array.shape[0] in (1, 3) and array.shape[-1] not in (1, 3):
        array = np.transpose(array, (1, 2, 0))
    if array.dtype == np.uint8:
        return np.ascontiguousarray(array)
    if np.issubdtype(array.dtype, np.floating):
        return np.ascontiguousarray(np.round(np.clip(array, 0.0, 1.0) * 255.0).astype(np.uint8))
    raise ValueError(f"Image '{key}' must be uint8 (0-255) or float (0-1), got dtype {array.dtype}.")


def write_image(image: np.ndarray, path: Path | str, compress_level: int = 1) -> None:
    """Write a uint8 HWC array as PNG (compress_level 1: fast, frames are temporary)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    array = np.asarray(image)
    if array.shape[-1] == 1:
        array = array[..., 0]
    PIL.Image.fromarray(array).save(path, compress_level=compress_level)


def load_image_hwc(path: Path | str) -> np.ndarray:
    with PIL.Image.open(path) as img:
        return np.asarray(img.convert("RGB"))


def _lower_priority(niceness: int) -> None:
    from lerobot.datasets.video_encoding import lower_thread_priority

    lower_thread_priority(niceness)


class AsyncImageWriter:
    """Writes PNG frames on `num_threads` threads or `num_processes` processes (0 and 0: synchronous).

    `niceness` > 0 runs the workers at a lower priority than the recording loop."""

    def __init__(self, num_processes: int = 0, num_threads: int = 0, niceness: int = 0):
        if num_processes < 0 or num_threads < 0:
            raise ValueError(
                f"image_writer_processes ({num_processes}) and image_writer_threads ({num_threads}) must be >= 0."
            )
        self.num_processes = num_processes
        self.num_threads = num_threads
        self._pending: list[Future] = []
        if num_processes > 0:
            import multiprocessing

            self._executor = ProcessPoolExecutor(
                max_workers=num_processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_lower_priority if niceness > 0 else None,
                initargs=(niceness,) if niceness > 0 else (),
            )
        elif num_threads > 0:
            self._executor = ThreadPoolExecutor(
                max_workers=num_threads,
                thread_name_prefix="png-writer",
                initializer=_lower_priority if niceness > 0 else None,
                initargs=(niceness,) if niceness > 0 else (),
            )
        else:
            self._executor = None

    def submit(self, image: np.ndarray, path: Path | str) -> None:
        if self._executor is None:
            write_image(image, path)
            return
        self._pending.append(self._executor.submit(write_image, image, os.fspath(path)))
        # Drop finished futures so the list does not grow for the whole recording.
        if len(self._pending) > 256:
            self._reap()

    def _reap(self) -> None:
        still = []
        for fut in self._pending:
            if fut.done():
                fut.result()  # re-raise a worker error
            else:
                still.append(fut)
        self._pending = still

    def take_pending(self) -> list[Future]:
        """Hand over the futures of every frame queued so far (the caller waits on them)."""
        pending, self._pending = self._pending, []
        return pending

    def wait_until_done(self) -> None:
        pending, self._pending = self._pending, []
        for fut in pending:
            fut.result()

    def stop(self) -> None:
        if self._executor is not None:
            try:
                self.wait_until_done()
            finally:
                self._executor.shutdown(wait=True)
                self._executor = None
