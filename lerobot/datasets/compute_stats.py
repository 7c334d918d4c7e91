"""Dataset statistics (docs/dataset_format.md).

Stats are a nested dict `{feature: {stat: np.ndarray}}` with stats `min`, `max`, `mean`, `std`, `count`
(and, in v3-era datasets, the quantiles `q01`, `q10`, `q50`, `q90`, `q99`). Vector features have arrays
of the feature's shape (`(N,)`, or `(1,)` for scalars); cameras have shape `(3, 1, 1)`; `count` is `(1,)`.

This file holds the aggregation (episode -> dataset, dataset -> several datasets). Per-episode
computation (done by the writer at `save_episode`) is appended below the marked section.
"""

import numpy as np

QUANTILE_KEYS = ("q01", "q10", "q50", "q90", "q99")
BASE_STAT_KEYS = ("min", "max", "mean", "std", "count")


def _check_stats_dict(stats: dict[str, np.ndarray], where: str) -> None:
    missing = [k for k in BASE_STAT_KEYS if k not in stats]
    if missing:
        raise ValueError(
            f"{where}: stats must contain {list(BASE_STAT_KEYS)}, missing {missing} (got {sorted(stats)})."
        )


def aggregate_feature_stats(stats_ft_list: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Aggregate one feature's stats over several episodes (or datasets), as docs/dataset_format.md says.

    min/max elementwise, count summed, mean count-weighted, std from the pooled variance
    `sum(count_i * (std_i^2 + (mean_i - mean)^2)) / sum(count_i)`. Quantiles, when every input has them,
    are count-weighted averages (as the reference v0.4.0; not an exact quantile of the union).
    """
    if not stats_ft_list:
        raise ValueError("aggregate_feature_stats needs at least one stats dict, got an empty list.")
    for i, s in enumerate(stats_ft_list):
        _check_stats_dict(s, f"stats #{i}")
    means = np.stack([np.asarray(s["mean"], dtype=np.float64) for s in stats_ft_list])
    stds = np.stack([np.asarray(s["std"], dtype=np.float64) for s in stats_ft_list])
    counts = np.stack([np.asarray(s["count"]).reshape(-1)[:1] for s in stats_ft_list]).reshape(-1)
    total_count = counts.sum()
    # Broadcast the per-input count over the feature's shape: (K,) -> (K, 1, ..., 1).
    w = counts.astype(np.float64).reshape((-1,) + (1,) * (means.ndim - 1))
    mean = (means * w).sum(axis=0) / total_count
    variance = ((stds**2 + (means - mean) ** 2) * w).sum(axis=0) / total_count
    out = {
        "min": np.min(np.stack([np.asarray(s["min"]) for s in stats_ft_list]), axis=0),
        "max": np.max(np.stack([np.asarray(s["max"]) for s in stats_ft_list]), axis=0),
        "mean": mean,
        "std": np.sqrt(variance),
        "count": np.array([total_count], dtype=np.int64),
    }
    for q in QUANTILE_KEYS:
        if all(q in s for s in stats_ft_list):
            qs = np.stack([np.asarray(s[q], dtype=np.float64) for s in stats_ft_list])
            out[q] = (qs * w).sum(axis=0) / total_count
    return out


def aggregate_stats(stats_list: list[dict[str, dict[str, np.ndarray]]]) -> dict[str, dict[str, np.ndarray]]:
    """Aggregate `{feature: {stat: array}}` dicts; a feature is aggregated over the inputs that have it."""
    if not stats_list:
        raise ValueError("aggregate_stats needs at least one stats dict, got an empty list.")
    keys: list[str] = []
    for stats in stats_list:
        for key in stats:
            if key not in keys:
                keys.append(key)
    return {key: aggregate_feature_stats([s[key] for s in stats_list if key in s]) for key in keys}


def cast_stats_to_numpy(stats: dict[str, dict]) -> dict[str, dict[str, np.ndarray]]:
    """JSON lists (as stored in stats.json / episodes_stats.jsonl) -> numpy arrays."""
    out: dict[str, dict[str, np.ndarray]] = {}
    for key, ft_stats in stats.items():
        if not isinstance(ft_stats, dict):
            raise ValueError(
                f"stats for '{key}' must be a dict of stat name -> list, got {type(ft_stats).__name__}."
            )
        out[key] = {name: np.asarray(value) for name, value in ft_stats.items()}
    return out


def serialize_stats(stats: dict[str, dict[str, np.ndarray]]) -> dict[str, dict[str, list]]:
    """numpy arrays -> nested lists, ready for `json.dump`."""
    return {k: {n: np.asarray(v).tolist() for n, v in s.items()} for k, s in stats.items()}


# ----------------------------------------------------------------------------------------------------
# Per-episode stats computation (write side) goes below this line.
# ----------------------------------------------------------------------------------------------------
#
# Per-episode stats (docs/dataset_format.md), computed by the writer at `save_episode()`. Departures from the reference,
# on purpose: camera `std` is accumulated in float64 (the 0.4.4 writer squares uint8 values and overflows,
# writing std = 0 for every camera: fixtures README pitfall 1), and vector stats are float64 (the
# reference's float32 E[x^2]-E[x]^2 differs in the 5th-6th digit). Quantiles come from a 5000-bin
# histogram between min and max per dimension, linearly interpolated inside the bin.
from collections.abc import Callable, Sequence  # noqa: E402

QUANTILES = (0.01, 0.10, 0.50, 0.90, 0.99)
HISTOGRAM_BINS = 5000
CAMERA_DTYPES = ("image", "video")


def sample_indices(length: int) -> list[int]:
    """Evenly spaced frame indices used for camera stats: `clamp(int(len ** 0.75), 100, 10000)` samples,
    or every frame for episodes shorter than 100 frames."""
    if length <= 0:
        raise ValueError(f"Cannot sample frames from an empty episode (length {length}).")
    num_samples = max(100, min(int(length**0.75), 10_000))
    if length < num_samples:
        return list(range(length))
    return np.round(np.linspace(0, length - 1, num_samples)).astype(int).tolist()


def auto_downsample(image_chw: np.ndarray, target: int = 150, threshold: int = 300) -> np.ndarray:
    """Strided downsampling of a CHW image whose longer side is >= `threshold` (factor longer // target)."""
    _, h, w = image_chw.shape
    if max(h, w) < threshold:
        return image_chw
    factor = int(max(h, w) / target)
    return image_chw[:, ::factor, ::factor]


def _histogram_quantiles(x: np.ndarray, minimum: np.ndarray, maximum: np.ndarray) -> dict[str, np.ndarray]:
    """Quantiles per column of `x` (N, D) from 5000-bin histograms, as the reference's running histograms:
    bin edges `linspace(min - 1e-10, max + 1e-10, 5001)`, the bin where the cumulative count reaches
    `q * N`, linear interpolation inside it (its left edge when it is the first bin)."""
    n, d = x.shape
    out = {k: np.empty(d, dtype=np.float64) for k in QUANTILE_KEYS}
    for j in range(d):
        if n < 2:
            for k in QUANTILE_KEYS:
                out[k][j] = float(np.mean(x[:, j]))
            continue
        edges = np.linspace(float(minimum[j]) - 1e-10, float(maximum[j]) + 1e-10, HISTOGRAM_BINS + 1)
        counts, _ = np.histogram(x[:, j], bins=edges)
        cumsum = np.cumsum(counts)
        for k, q in zip(QUANTILE_KEYS, QUANTILES, strict=True):
            target = q * n
            b = min(int(np.searchsorted(cumsum, target, side="left")), HISTOGRAM_BINS - 1)
            if b == 0 or counts[b] == 0:
                out[k][j] = edges[b]
                continue
            frac = (target - cumsum[b - 1]) / counts[b]
            out[k][j] = edges[b] + frac * (edges[b + 1] - edges[b])
    return out


def get_feature_stats(array: np.ndarray, axis: tuple[int, ...], keepdims: bool) -> dict[str, np.ndarray]:
    """min/max/mean/std/count/quantiles of `array` reduced over `axis` (float64 accumulation)."""
    values = np.asarray(array)
    as_float = values.astype(np.float64)
    stats = {
        "min": np.min(values, axis=axis, keepdims=keepdims),
        "max": np.max(values, axis=axis, keepdims=keepdims),
        "mean": np.mean(as_float, axis=axis, keepdims=keepdims),
        "std": np.std(as_float, axis=axis, keepdims=keepdims),
        "count": np.array([values.shape[0]], dtype=np.int64),
    }
    # Quantiles: move the kept axes last and flatten the reduced ones into rows.
    kept = [a for a in range(values.ndim) if a not in axis]
    moved = np.moveaxis(as_float, list(axis), list(range(len(axis))))
    rows = moved.reshape(-1, int(np.prod([values.shape[a] for a in kept])) if kept else 1)
    qs = _histogram_quantiles(rows, rows.min(axis=0), rows.max(axis=0))
    out_shape = stats["mean"].shape
    for k, v in qs.items():
        stats[k] = v.reshape(out_shape)
    return stats


def compute_episode_stats(
    episode_data: dict[str, np.ndarray | Sequence],
    features: dict[str, dict],
    load_image: Callable[[object], np.ndarray] | None = None,
) -> dict[str, dict[str, np.ndarray]]:
    """Stats of one episode for every non-string feature present in `episode_data`.

    `episode_data[key]` is an array `(T, *shape)` for vector features; for cameras either a uint8 array
    `(T, H, W, C)` or a list of T items (paths to PNGs, PIL images, HWC arrays) that `load_image` turns
    into uint8 HWC arrays. Camera stats are per channel, shape (3, 1, 1), divided by 255.
    """
    stats: dict[str, dict[str, np.ndarray]] = {}
    for key, data in episode_data.items():
        if key not in features:
            continue
        dtype = features[key]["dtype"]
        if dtype == "string":
            continue
        if dtype in CAMERA_DTYPES:
            indices = sample_indices(len(data))
            images = []
            for i in indices:
                item = data[i]
                img = load_image(item) if load_image is not None else np.asarray(item)
                if img.ndim != 3:
                    raise ValueError(f"Camera '{key}' frame {i} must be a 3-D image, got shape {img.shape}.")
                if img.shape[-1] in (1, 3, 4) and img.shape[0] not in (1, 3, 4):
                    img = np.transpose(img, (2, 0, 1))  # HWC -> CHW
                images.append(auto_downsample(img))
            stacked = np.stack(images).astype(np.float64)  # (N, C, H, W)
            feature_stats = get_feature_stats(stacked, axis=(0, 2, 3), keepdims=True)
            for k in list(feature_stats):
                if k != "count":
                    feature_stats[k] = feature_stats[k][0] / 255.0  # drop N -> (C, 1, 1)
            stats[key] = feature_stats
        else:
            array = np.asarray(data)
            if array.ndim == 1:
                array = array[:, None]
            stats[key] = get_feature_stats(array, axis=(0,), keepdims=False)
            if array.dtype == np.bool_ or np.issubdtype(array.dtype, np.integer):
                stats[key]["min"] = np.min(array, axis=0)
                stats[key]["max"] = np.max(array, axis=0)
    return stats
