"""Dataset statistics (spec §1.4).

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
    """Aggregate one feature's stats over several episodes (or datasets), as spec §1.4.

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
