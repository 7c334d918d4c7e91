"""HF `datasets` views of a loaded LeRobotDataset: `hf_features` and `hf_dataset`.

Scripts written against the reference do `ds.hf_dataset["episode_index"]`, `ds.hf_dataset[i]`,
`ds.hf_dataset.select_columns("action")`, `ds.hf_dataset.unique("task_index")`. Here the frames are read
with pyarrow into numpy columns at construction (lerobot_dataset.py); this module wraps those same
columns, without copying them, in an in-memory `datasets.Dataset`:

    hf_dataset[i]                   {column: value} for the parquet (non-video) columns of row i == ds[i]
      [1]-shaped feature            0-dim tensor of the feature's dtype (e.g. `index` int64, `timestamp` float32)
      [N] / [N, M] feature          (N,) / (N, M) tensor
      image feature                 (C, H, W) float32 in [0, 1]
      string feature                str
    hf_dataset[a:b]                 {column: [values]}
    hf_dataset["col"]               a `datasets` Column (a list in datasets < 4) of such values

`datasets` is an optional dependency (extra `hf`); it is imported on first use only, so `import lerobot`
and constructing a LeRobotDataset never load it.
"""

from __future__ import annotations

import functools
import json
import secrets
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import torch

from lerobot.datasets.formats.common import BlobColumn, DatasetFormatError
from lerobot.datasets.formats.v30 import data_schema

if TYPE_CHECKING:  # pragma: no cover
    import datasets

# Arrow `binary` values use int32 offsets; image columns are cut into chunks below this many bytes.
_MAX_BINARY_CHUNK_BYTES = 1 << 30


def require_datasets():
    """Import HF `datasets`, or explain which extra provides it."""
    try:
        import datasets
    except ImportError as e:
        raise ImportError(
            "LeRobotDataset.hf_dataset / hf_features need the Hugging Face `datasets` package, which is "
            "not installed: pip install 'lerobot[hf]' (or: pip install datasets)."
        ) from e
    return datasets


def hf_features_from_info(info: dict) -> datasets.Features:
    """`datasets.Features` of the data parquet columns declared by `info["features"]` (videos excluded).

    Built from the very `huggingface` schema metadata the writer embeds in data parquet files
    (`formats.v30.data_schema`), so it equals what those files (and the reference's) declare:
    [1] -> Value(dtype), [N] -> List(Value(dtype), length=N) (`Sequence` in v2.x files; datasets >= 4
    reads both as List), image -> Image(), string -> Value("string").
    """
    datasets = require_datasets()
    schema = data_schema(info["features"], str(info.get("codebase_version", "v3.0")))
    declared = json.loads(schema.metadata[b"huggingface"])["info"]["features"]
    return datasets.Features.from_dict(declared)


def _numeric_column(key: str, values: np.ndarray, arrow_type: pa.DataType, n: int) -> pa.Array:
    """(n, *shape) numpy -> arrow scalar / nested fixed-size lists, sharing the numpy memory."""
    depth, leaf = 0, arrow_type
    while pa.types.is_fixed_size_list(leaf):
        leaf, depth = leaf.value_type, depth + 1
    flat = np.ascontiguousarray(values).reshape(-1)
    try:
        arr = pa.array(flat).cast(leaf)  # no copy when the dtype already matches (the normal case)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
        raise DatasetFormatError(
            f"column '{key}' holds {values.dtype} values that cannot be represented as the declared {leaf}: {e}"
        ) from e
    if depth == 0:
        return arr
    types = [arrow_type]
    while len(types) < depth:
        types.append(types[-1].value_type)
    for t in reversed(types):  # innermost list first
        arr = pa.FixedSizeListArray.from_arrays(arr, type=t)
    if len(arr) != n:
        raise DatasetFormatError(f"column '{key}' has {len(arr)} rows of the declared shape, expected {n}.")
    return arr


def _image_column(key: str, blobs: BlobColumn, arrow_type: pa.StructType) -> pa.ChunkedArray:
    """PNG bytes -> HF Image structs {bytes, path=None}; the bytes buffer is shared, not copied."""
    if not isinstance(blobs, BlobColumn):
        raise DatasetFormatError(f"image column '{key}' must hold PNG bytes, got {type(blobs).__name__}.")
    offsets, data = blobs.offsets, pa.py_buffer(blobs.data)
    fields = [arrow_type.field("bytes"), arrow_type.field("path")]
    chunks, start, n = [], 0, len(blobs)
    while start < n:
        # Rows [start, stop) whose bytes fit one int32-offset chunk (at least one row per chunk).
        stop = int(np.searchsorted(offsets, offsets[start] + _MAX_BINARY_CHUNK_BYTES, side="right")) - 1
        stop = min(max(stop, start + 1), n)
        rel = (offsets[start : stop + 1] - offsets[start]).astype(np.int32)
        values = pa.Array.from_buffers(
            pa.binary(), stop - start, [None, pa.py_buffer(rel), data.slice(int(offsets[start]))]
        )
        chunks.append(
            pa.StructArray.from_arrays([values, pa.nulls(stop - start, pa.string())], fields=fields)
        )
        start = stop
    return pa.chunked_array(chunks, type=arrow_type)


def build_hf_dataset(info: dict, columns: dict, num_rows: int) -> datasets.Dataset:
    """An in-memory `datasets.Dataset` over the loaded columns (row order kept), torch-formatted.

    Args:
        info: meta/info.json (its `features` give the column set, order and types).
        columns: {key: (num_rows, *shape) numpy array | BlobColumn}, as LeRobotDataset loads them; empty
            while nothing was loaded (a dataset being recorded before its first episode).
        num_rows: rows of the selection.
    """
    datasets = require_datasets()
    features = hf_features_from_info(info)
    schema = features.arrow_schema
    arrays = []
    for field in schema:
        key, ft = field.name, info["features"][field.name]
        if num_rows == 0:
            arrays.append(pa.array([], type=field.type))
        elif key not in columns:
            raise DatasetFormatError(f"column '{key}' declared in meta/info.json features was not loaded.")
        elif ft["dtype"] == "image":
            arrays.append(_image_column(key, columns[key], field.type))
        elif ft["dtype"] == "string" or columns[key].dtype == object:
            arrays.append(pa.array([str(v) for v in columns[key]], type=field.type))
        else:
            arrays.append(_numeric_column(key, columns[key], field.type, num_rows))
    table = pa.Table.from_arrays(arrays, schema=schema)
    # An explicit fingerprint: otherwise `datasets` hashes the whole table (a pickle of every frame).
    dataset = datasets.Dataset(
        table, info=datasets.DatasetInfo(features=features), fingerprint=secrets.token_hex(8)
    )
    dtypes = {key: ft["dtype"] for key, ft in info["features"].items() if ft["dtype"] != "video"}
    dataset.set_transform(functools.partial(hf_transform_to_torch, dtypes=dtypes))
    return dataset


def _pil_to_tensor(image) -> torch.Tensor:
    """PIL image -> (C, H, W) float32 in [0, 1], the same operations as LeRobotDataset._decode_images."""
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = arr[..., None]
    return torch.from_numpy(arr.copy()).permute(2, 0, 1).contiguous().float().div_(255)


def hf_transform_to_torch(items_dict: dict[str, list], dtypes: dict[str, str] | None = None) -> dict:
    """The reference's `hf_transform_to_torch` for `Dataset.set_transform`: a batch {column: [values]}
    with numbers -> tensors, PIL images -> (C, H, W) float32 in [0, 1], strings (and None) unchanged.

    With `dtypes` ({column: info.json dtype}) numbers keep their declared dtype, so values equal
    `LeRobotDataset.__getitem__`'s. Departure from the reference, which calls `torch.tensor(python value)`
    and so turns float64 features into float32 and int32/uint8 ones into int64 (identical for the usual
    float32/int64/bool features); without `dtypes` that reference behaviour is kept.
    """
    from PIL import Image

    dtypes = dtypes or {}
    for key, values in items_dict.items():
        if not values:
            continue
        first = values[0]
        if isinstance(first, Image.Image):
            items_dict[key] = [_pil_to_tensor(img) for img in values]
        elif first is None or isinstance(first, str):
            continue
        elif dtypes.get(key) not in (None, "image", "string"):
            dtype = np.dtype(dtypes[key])
            items_dict[key] = [torch.from_numpy(np.asarray(v, dtype=dtype)) for v in values]
        else:
            items_dict[key] = [v if isinstance(v, str) else torch.tensor(v) for v in values]
    return items_dict
