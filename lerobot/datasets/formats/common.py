"""Helpers shared by the v2.x and v3.x readers: strict JSON/parquet loading and path templates.

Every error names the file (and key) at fault and what was expected, so that a broken dataset never
surfaces as a traceback from deep inside json or pyarrow.
"""

import json
import math
import re
import string
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

INFO_PATH = "meta/info.json"  # the same in every codebase version


class DatasetFormatError(ValueError):
    """A dataset file exists but its content does not follow the format (names file, key, expectation)."""


@dataclass
class LoadedMeta:
    """What a version reader extracts from `meta/` besides info.json."""

    tasks: list[str]
    """Task strings by task_index."""
    episodes: list[dict]
    """One row per episode, sorted by episode_index (v2: episodes.jsonl rows; v3: episodes table minus stats)."""
    from_index: np.ndarray
    """(E,) int64: first global `index` of each episode (same order as `episodes`)."""
    to_index: np.ndarray
    """(E,) int64: exclusive end."""
    episodes_stats: dict[int, dict[str, dict[str, np.ndarray]]]
    stats: dict[str, dict[str, np.ndarray]] | None
    """Global stats when stored on disk (v3 stats.json, v2.0 stats.json); None -> aggregate episodes_stats."""


def load_json(path: Path) -> object:
    if not path.is_file():
        raise FileNotFoundError(f"Dataset file not found: {path}")
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise DatasetFormatError(
            f"{path}: malformed JSON at line {e.lineno}, column {e.colno}: {e.msg}."
        ) from e
    except UnicodeDecodeError as e:
        raise DatasetFormatError(f"{path}: not UTF-8 text ({e}).") from e


def load_json_dict(path: Path) -> dict:
    data = load_json(path)
    if not isinstance(data, dict):
        raise DatasetFormatError(f"{path}: expected a JSON object at top level, got {type(data).__name__}.")
    return data


def load_jsonlines(path: Path) -> list[dict]:
    if not path.is_file():
        raise FileNotFoundError(f"Dataset file not found: {path}")
    rows = []
    try:
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as e:
                    raise DatasetFormatError(f"{path}: malformed JSON on line {lineno}: {e.msg}.") from e
                if not isinstance(row, dict):
                    raise DatasetFormatError(
                        f"{path}: line {lineno} must be a JSON object, got {type(row).__name__}."
                    )
                rows.append(row)
    except UnicodeDecodeError as e:
        raise DatasetFormatError(f"{path}: not UTF-8 text ({e}).") from e
    return rows


def require_keys(row: dict, keys: tuple[str, ...], where: str) -> None:
    missing = [k for k in keys if k not in row]
    if missing:
        raise DatasetFormatError(f"{where}: missing required key(s) {missing}; present: {sorted(row)}.")


def read_parquet(path: Path, columns: list[str] | None = None) -> pa.Table:
    if not path.is_file():
        raise FileNotFoundError(f"Dataset file not found: {path}")
    try:
        return pq.read_table(path, columns=columns)
    except (pa.ArrowInvalid, pa.ArrowIOError, OSError) as e:
        raise DatasetFormatError(
            f"{path}: cannot read parquet file ({type(e).__name__}: {e}). The file is corrupt or truncated; "
            "if the dataset is being recorded, its writer must call finalize() before it can be read."
        ) from e
    except KeyError as e:
        raise DatasetFormatError(f"{path}: missing column {e} (wanted {columns}).") from e


def check_relative_template(template: object, key: str, source: Path, example: dict) -> str:
    """Validate a path template from info.json: it formats with `example` and stays inside the root."""
    if not isinstance(template, str) or not template:
        raise DatasetFormatError(
            f"{source}: '{key}' must be a non-empty path template string, got {template!r}."
        )
    for _, field_name, spec, _ in string.Formatter().parse(template):
        width = re.match(r"^\D*?(\d+)", spec or "")
        if field_name is not None and width and int(width.group(1)) > MAX_TEMPLATE_WIDTH:
            raise DatasetFormatError(
                f"{source}: '{key}' = {template!r}: field '{field_name}' has width {int(width.group(1))} "
                f"(at most {MAX_TEMPLATE_WIDTH}; the reference uses 3 and 6)."
            )
    try:
        rel = template.format(**example)
    except (KeyError, IndexError, ValueError) as e:
        raise DatasetFormatError(
            f"{source}: '{key}' = {template!r} cannot be formatted with fields {sorted(example)} ({e!r})."
        ) from e
    p = Path(rel)
    if p.is_absolute() or ".." in p.parts:
        raise DatasetFormatError(
            f"{source}: '{key}' = {template!r} escapes the dataset root (gives {rel!r}); templates must be "
            "relative paths inside the root without '..'."
        )
    return template


class BlobColumn:
    """Variable-length binary values (e.g. PNG frames) held in two flat numpy arrays.

    Unlike an object array of `bytes`, reading a value touches no per-value Python object, so forked
    DataLoader workers do not duplicate the parent's memory page by page through reference counts.
    """

    def __init__(self, data: np.ndarray, offsets: np.ndarray):
        self.data = data  # (total_bytes,) uint8
        self.offsets = offsets  # (n + 1,) int64, value i = data[offsets[i]:offsets[i + 1]]

    @classmethod
    def from_arrow(cls, arr: pa.Array, where: str) -> "BlobColumn":
        if arr.null_count:
            raise DatasetFormatError(f"{where} has null image bytes.")
        if not (pa.types.is_binary(arr.type) or pa.types.is_large_binary(arr.type)):
            raise DatasetFormatError(f"{where}: image 'bytes' must be binary, got {arr.type}.")
        if len(arr) == 0:
            return cls(np.zeros(0, np.uint8), np.zeros(1, np.int64))
        offset_type = np.int64 if pa.types.is_large_binary(arr.type) else np.int32
        _, offsets_buf, data_buf = arr.buffers()
        offsets = np.frombuffer(offsets_buf, dtype=offset_type)[arr.offset : arr.offset + len(arr) + 1]
        offsets = offsets.astype(np.int64)
        data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
        start, end = int(offsets[0]), int(offsets[-1])
        return cls(data[start:end].copy(), offsets - start)

    @classmethod
    def concat(cls, parts: list["BlobColumn"]) -> "BlobColumn":
        sizes = np.cumsum([0] + [len(p.data) for p in parts[:-1]])
        offsets = [parts[0].offsets[:1]] + [
            p.offsets[1:] + base for p, base in zip(parts, sizes, strict=True)
        ]
        return cls(np.concatenate([p.data for p in parts]), np.concatenate(offsets))

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> bytes:
        return self.data[self.offsets[i] : self.offsets[i + 1]].tobytes()

    def values(self, rows) -> list[bytes]:
        return [self[int(i)] for i in np.atleast_1d(rows)]

    def take(self, rows: np.ndarray) -> "BlobColumn":
        values = self.values(rows)
        lengths = np.array([len(v) for v in values], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        return BlobColumn(np.frombuffer(b"".join(values), dtype=np.uint8).copy(), offsets)


def append_rows(
    buffers: dict, key: str, view: "np.ndarray | BlobColumn | None", new: "np.ndarray | BlobColumn"
) -> "np.ndarray | BlobColumn":
    """`view` followed by the rows of `new`, in amortized O(len(new)).

    `view` is a prefix of the capacity array `buffers[key]` (kept by the caller between calls); the
    capacity doubles when exceeded, so appending an episode does not copy the rows before it. Views
    handed out earlier stay valid (only rows past their end are written)."""
    if isinstance(new, BlobColumn):
        old = (
            view if isinstance(view, BlobColumn) else BlobColumn(np.zeros(0, np.uint8), np.zeros(1, np.int64))
        )
        data = append_rows(buffers, key + "/data", old.data, new.data)
        offsets = append_rows(buffers, key + "/offsets", old.offsets, new.offsets[1:] + len(old.data))
        return BlobColumn(data, offsets)
    n, k = (0 if view is None else len(view)), len(new)
    buf = buffers.get(key)
    if buf is None or view is None or view.base is not buf or len(buf) < n + k:
        template = new if n == 0 else view
        buf = np.empty((max(2 * (n + k), 64), *template.shape[1:]), dtype=template.dtype)
        if n:
            buf[:n] = view
        buffers[key] = buf
    buf[n : n + k] = new
    return buf[: n + k]


def concat_columns(parts: list) -> "np.ndarray | BlobColumn":
    """Concatenate per-file columns (numpy arrays or BlobColumns)."""
    if not parts:
        return np.empty((0,))
    if isinstance(parts[0], BlobColumn):
        return BlobColumn.concat(parts)
    return np.concatenate(parts)


def take_rows(column: "np.ndarray | BlobColumn", rows: np.ndarray) -> "np.ndarray | BlobColumn":
    return column.take(rows) if isinstance(column, BlobColumn) else column[rows]


def column_to_numpy(table: pa.Table, name: str, source: Path) -> "np.ndarray | BlobColumn":
    """One parquet column -> a numpy array of shape (rows, *feature_shape).

    Scalars -> (rows,); fixed-size lists and nested lists -> (rows, N, ...). Image structs become a
    BlobColumn of PNG bytes (decoded per item).
    """
    col = table.column(name).combine_chunks()
    typ = col.type
    if pa.types.is_struct(typ):
        if typ.get_field_index("bytes") < 0:
            raise DatasetFormatError(
                f"{source}: column '{name}' is a struct without 'bytes' (expected an image)."
            )
        return BlobColumn.from_arrow(col.field("bytes"), f"{source}: column '{name}'")
    if pa.types.is_fixed_size_list(typ) or pa.types.is_list(typ) or pa.types.is_large_list(typ):
        dims = []
        arr = col
        while (
            pa.types.is_fixed_size_list(arr.type)
            or pa.types.is_list(arr.type)
            or pa.types.is_large_list(arr.type)
        ):
            if arr.null_count:
                raise DatasetFormatError(f"{source}: column '{name}' has null entries.")
            n_outer = len(arr)
            arr = arr.flatten()
            dims.append(len(arr) // n_outer if n_outer else 0)
            if n_outer and len(arr) != n_outer * dims[-1]:
                raise DatasetFormatError(f"{source}: column '{name}' has rows of different lengths.")
        values = arr.to_numpy(zero_copy_only=False)
        return values.reshape((len(col), *dims))
    if col.null_count:
        raise DatasetFormatError(f"{source}: column '{name}' has null entries.")
    return col.to_numpy(zero_copy_only=False)


REQUIRED_INFO_KEYS = ("codebase_version", "fps", "features", "data_path", "total_episodes", "total_frames")
CAMERA_DTYPES = ("image", "video")


INDEX_FEATURES = ("index", "episode_index", "frame_index", "task_index")
MAX_TEMPLATE_WIDTH = 12  # the reference uses 3 (chunk/file) and 6 (episode) digits


def _known_dtype(dtype: str) -> bool:
    if dtype in CAMERA_DTYPES or dtype == "string":
        return True
    try:
        return np.dtype(dtype).kind in "biuf"
    except TypeError:
        return False


def validate_info(info: dict, source: Path) -> None:
    """Check the parts of meta/info.json every reader relies on (each error names the file and the key)."""
    require_keys(info, REQUIRED_INFO_KEYS, str(source))
    fps = info["fps"]
    if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not math.isfinite(fps) or fps <= 0:
        raise DatasetFormatError(f"{source}: 'fps' must be a finite number > 0, got {fps!r}.")
    for key in ("total_episodes", "total_frames"):
        if isinstance(info[key], bool) or not isinstance(info[key], int) or info[key] < 0:
            raise DatasetFormatError(f"{source}: '{key}' must be a non-negative integer, got {info[key]!r}.")
    if "chunks_size" in info:
        value = info["chunks_size"]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise DatasetFormatError(f"{source}: 'chunks_size' must be an integer >= 1, got {value!r}.")
    for key in ("data_files_size_in_mb", "video_files_size_in_mb"):
        value = info.get(key)
        if value is not None and (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
            or value <= 0
        ):
            raise DatasetFormatError(f"{source}: '{key}' must be a finite number of MB > 0, got {value!r}.")
    features = info["features"]
    if not isinstance(features, dict) or not features:
        raise DatasetFormatError(f"{source}: 'features' must be a non-empty object of feature key -> spec.")
    for key, ft in features.items():
        where = f"{source}: features['{key}']"
        if key in ("", ".", "..") or any(c in key for c in "/\\\0"):
            raise DatasetFormatError(
                f"{where}: a feature key must be usable as one path component (videos/<key>/...): no '/', "
                "'\\', NUL, and not '', '.' or '..'."
            )
        if not isinstance(ft, dict):
            raise DatasetFormatError(f"{where} must be an object with 'dtype' and 'shape', got {ft!r}.")
        require_keys(ft, ("dtype", "shape"), where)
        dtype = ft["dtype"]
        if not isinstance(dtype, str) or not _known_dtype(dtype):
            raise DatasetFormatError(
                f"{where}['dtype'] = {dtype!r} is not a known dtype (a numeric numpy dtype such as 'float32', "
                "'int64', 'bool', or 'image', 'video', 'string')."
            )
        if key in INDEX_FEATURES and (
            dtype in (*CAMERA_DTYPES, "string") or np.dtype(dtype).kind not in "iu"
        ):
            raise DatasetFormatError(
                f"{where}['dtype'] = {dtype!r}: an index column must be an integer dtype."
            )
        shape = ft["shape"]
        if not isinstance(shape, (list, tuple)) or not all(isinstance(d, int) and d > 0 for d in shape):
            raise DatasetFormatError(f"{where}['shape'] must be a list of positive integers, got {shape!r}.")
        if dtype in CAMERA_DTYPES and len(shape) != 3:
            raise DatasetFormatError(f"{where}: camera features need a 3-D shape [H, W, C], got {shape!r}.")
        video_info = ft.get("info") or {}
        if dtype == "video" and isinstance(video_info, dict):
            declared = [video_info.get(k) for k in ("video.height", "video.width", "video.channels")]
            if all(isinstance(d, int) for d in declared) and declared != list(shape):
                raise DatasetFormatError(
                    f"{where}: shape {list(shape)} but its 'info' declares video.height/width/channels {declared}."
                )
    video_keys = [k for k, ft in features.items() if ft["dtype"] == "video"]
    if video_keys and not info.get("video_path"):
        raise DatasetFormatError(
            f"{source}: features {video_keys} are videos but 'video_path' is {info.get('video_path')!r}."
        )


def check_column_dtype(values: "np.ndarray | BlobColumn", key: str, ft: dict, source: Path) -> None:
    """A data column holds the dtype meta/info.json declares for its feature."""
    dtype = ft["dtype"]
    if dtype in (*CAMERA_DTYPES, "string") or isinstance(values, BlobColumn):
        return
    if values.dtype != np.dtype(dtype):
        raise DatasetFormatError(
            f"{source}: column '{key}' holds {values.dtype} values, but meta/info.json declares dtype "
            f"{dtype!r} for features['{key}']."
        )


def check_stats_finite(stats: dict | None, source: str) -> None:
    """No NaN/inf in stats (they would poison normalization): names the feature and the stat."""
    for feature, by_stat in (stats or {}).items():
        for name, value in by_stat.items():
            arr = np.asarray(value)
            if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
                raise DatasetFormatError(
                    f"{source}: stats of feature '{feature}', stat '{name}' hold NaN or inf ({arr.tolist()}); "
                    "recompute the stats (e.g. re-convert or re-record the dataset)."
                )
