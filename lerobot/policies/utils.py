"""Helpers shared by the policies: observation/action queues, output shapes, Hub downloads."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable, Mapping
from pathlib import Path

import torch
from torch import Tensor, nn


def populate_queues(queues: dict[str, deque], batch: Mapping[str, Tensor]) -> dict[str, deque]:
    """Append the batch's values to the queues of the same keys.

    On the first call after a reset (queue not full) the value is repeated until the queue is full, so
    the first observation fills the whole history. Keys without a queue are ignored.
    """
    for key, queue in queues.items():
        if key not in batch:
            continue
        if len(queue) != queue.maxlen:
            while len(queue) != queue.maxlen:
                queue.append(batch[key])
        else:
            queue.append(batch[key])
    return queues


def get_output_shape(module: nn.Module, input_shape: Iterable[int]) -> tuple[int, ...]:
    """Output shape of `module` on zeros of `input_shape` (a dry run without gradient)."""
    with torch.inference_mode():
        return tuple(module(torch.zeros(tuple(input_shape))).shape)


def require_keys(batch: Mapping, keys: Iterable[str], what: str) -> None:
    """Raise a KeyError naming the missing keys when `batch` lacks any of `keys`."""
    missing = [k for k in keys if k not in batch]
    if missing:
        raise KeyError(f"{what}: the batch is missing {missing}; it has {sorted(batch)}.")


def describe_non_safetensors(path: Path) -> str | None:
    """What `path` looks like when it is not a valid safetensors file (None when its header is sound).

    safetensors layout: 8-byte little-endian header length N, N bytes of JSON header whose tensors'
    `data_offsets` index the bytes that follow."""
    import json
    import struct

    data_size = path.stat().st_size
    if data_size == 0:
        return "an empty file (0 bytes)"
    with open(path, "rb") as f:
        head = f.read(8)
        if head.startswith(b"PK\x03\x04"):
            return (
                "a zip archive: a pickled torch.save checkpoint, which lerobot never loads (it can run code)"
            )
        if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
            return "a Python pickle, which lerobot never loads (it can run code)"
        if len(head) < 8:
            return f"truncated ({data_size} bytes, shorter than the 8-byte header length)"
        (n,) = struct.unpack("<Q", head)
        if n > data_size - 8:
            if head.lstrip()[:1] in (b"{", b"["):
                return "a JSON/text file, not safetensors"
            return f"truncated or not safetensors (header of {n} bytes announced, file has {data_size} bytes)"
        try:
            header = json.loads(f.read(n))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return "not safetensors (its header is not JSON)"
    if not isinstance(header, dict):
        return "not safetensors (its header is not a JSON object)"
    end = max(
        (int(v["data_offsets"][1]) for k, v in header.items() if k != "__metadata__" and isinstance(v, dict)),
        default=0,
    )
    if 8 + n + end > data_size:
        return f"truncated ({data_size} bytes; its header describes {8 + n + end})"
    return None


def load_safetensors(path: str | os.PathLike, what: str = "weights") -> dict[str, Tensor]:
    """Every tensor of the safetensors file `path` (on CPU); a file that is not valid safetensors raises a
    ValueError naming it and saying what it looks like (empty, truncated, a pickle, ...)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(path)
    problem = describe_non_safetensors(path)
    if problem is None:
        try:
            return load_file(str(path))
        except (SafetensorError, OSError, ValueError, RuntimeError) as e:
            problem = f"not readable as safetensors ({type(e).__name__}: {e})"
    raise ValueError(
        f"{path} ({what}) is {problem}. Re-save the checkpoint with save_pretrained(), or download it again."
    )


class HubUnreachableError(ConnectionError, FileNotFoundError):
    """A Hub file that is not cached could not be downloaded because the Hub did not answer (a
    `FileNotFoundError` for callers that handle missing files, a `ConnectionError` for the commands)."""


def _is_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "0").upper() in ("1", "ON", "YES", "TRUE")


def download_file(repo_id: str, filename: str, revision: str | None = None) -> Path:
    """`filename` of Hub model repo `repo_id` (from the local HF cache when offline), with a clear error."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError, HFValidationError, LocalEntryNotFoundError

    try:
        return Path(hf_hub_download(repo_id=repo_id, filename=filename, revision=revision))
    except HFValidationError as e:
        raise FileNotFoundError(
            f"'{repo_id}' is neither an existing local path nor a valid Hub repo id ({e})."
        ) from e
    except LocalEntryNotFoundError as e:  # (a subclass of EntryNotFoundError: test it first)
        offline = _is_offline()
        mode = "HF_HUB_OFFLINE=1 is set" if offline else "the Hub could not be reached"
        error = FileNotFoundError if offline else HubUnreachableError  # a fault of the network: exit 1
        raise error(
            f"Cannot get '{filename}' of Hub repo '{repo_id}': {mode} and it is not in the local cache. "
            "Pass a local folder instead, or download it where the Hub is reachable."
        ) from e
    except EntryNotFoundError as e:
        raise FileNotFoundError(f"Hub repo '{repo_id}' has no file '{filename}'.") from e


def download_optional_file(repo_id: str, filename: str, revision: str | None = None) -> Path | None:
    """Like `download_file` but returns None when the repo has no such file."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError, LocalEntryNotFoundError

    try:
        return Path(hf_hub_download(repo_id=repo_id, filename=filename, revision=revision))
    except LocalEntryNotFoundError:
        if _is_offline():
            return None
        raise
    except EntryNotFoundError:
        return None
