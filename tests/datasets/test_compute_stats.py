"""Stats aggregation (docs/dataset_format.md): pooled std, count-weighted mean and quantiles, min/max envelopes."""

import numpy as np
import pytest

from lerobot.datasets.compute_stats import aggregate_feature_stats, aggregate_stats


def _stats(x: np.ndarray) -> dict[str, np.ndarray]:
    return {
        "min": x.min(0),
        "max": x.max(0),
        "mean": x.mean(0),
        "std": x.std(0),
        "count": np.array([len(x)]),
        "q01": np.quantile(x, 0.01, axis=0),
        "q99": np.quantile(x, 0.99, axis=0),
    }


@pytest.mark.parametrize("shape", [(3,), (1,), (3, 1, 1)])
def test_aggregate_equals_stats_of_concatenation(shape):
    rng = np.random.default_rng(0)
    parts = [rng.normal(i, 1 + i, size=(n, *shape)) for i, n in enumerate([5, 17, 40])]
    agg = aggregate_feature_stats([_stats(p) for p in parts])
    allx = np.concatenate(parts)
    np.testing.assert_allclose(agg["mean"], allx.mean(0), rtol=1e-12)
    np.testing.assert_allclose(agg["std"], allx.std(0), rtol=1e-12)
    np.testing.assert_array_equal(agg["min"], allx.min(0))
    np.testing.assert_array_equal(agg["max"], allx.max(0))
    assert agg["count"].tolist() == [62]
    assert agg["mean"].shape == shape and agg["std"].shape == shape
    # quantiles: count-weighted average of the inputs' quantiles (reference v0.4.0), not exact quantiles
    expected_q01 = sum(len(p) * np.quantile(p, 0.01, axis=0) for p in parts) / 62
    np.testing.assert_allclose(agg["q01"], expected_q01, rtol=1e-12)


def test_quantiles_only_when_every_input_has_them():
    a, b = _stats(np.arange(4.0)[:, None]), _stats(np.arange(6.0)[:, None])
    del b["q99"]
    agg = aggregate_feature_stats([a, b])
    assert "q01" in agg and "q99" not in agg


def test_aggregate_stats_over_features_present_in_some():
    x, y = np.ones((3, 2)), np.zeros((5, 2))
    agg = aggregate_stats([{"a": _stats(x), "b": _stats(x)}, {"a": _stats(y)}])
    assert agg["a"]["count"].tolist() == [8]
    assert agg["b"]["count"].tolist() == [3]
    np.testing.assert_allclose(agg["a"]["mean"], [3 / 8, 3 / 8])


def test_errors():
    with pytest.raises(ValueError, match="at least one"):
        aggregate_stats([])
    with pytest.raises(ValueError, match=r"stats #0: stats must contain .* missing \['std'\]"):
        aggregate_feature_stats([{"min": 0, "max": 1, "mean": 0, "count": [1]}])
