"""Helpers in lerobot.datasets.utils."""

import json
from types import SimpleNamespace

import pytest

from lerobot.datasets.lerobot_dataset import LeRobotDatasetMetadata
from lerobot.datasets.utils import format_ranges, resolve_delta_timestamps

# The windows the reference used for the fixture policies' training batches (fixtures README).
POLICY_WINDOWS = {
    "diffusion": SimpleNamespace(
        observation_delta_indices=[-1, 0], action_delta_indices=list(range(-1, 15)), reward_delta_indices=None
    ),
    "tdmpc": SimpleNamespace(
        observation_delta_indices=[0, 1, 2, 3], action_delta_indices=[0, 1, 2], reward_delta_indices=[0, 1, 2]
    ),
    "act": SimpleNamespace(
        observation_delta_indices=None, action_delta_indices=list(range(10)), reward_delta_indices=None
    ),
}


@pytest.mark.parametrize("policy", sorted(POLICY_WINDOWS))
def test_resolve_delta_timestamps_matches_reference(reference_fixtures, policy):
    meta = LeRobotDatasetMetadata("local/pusht_v30", root=reference_fixtures / "datasets" / "pusht_v30")
    expected = json.loads((reference_fixtures / "policies" / policy / "expected.json").read_text())
    assert resolve_delta_timestamps(POLICY_WINDOWS[policy], meta) == expected["training"]["delta_timestamps"]


def test_resolve_delta_timestamps_none_when_no_window():
    cfg = SimpleNamespace(
        observation_delta_indices=None, action_delta_indices=None, reward_delta_indices=None
    )
    meta = SimpleNamespace(fps=10, features={"action": {}, "observation.state": {}})
    assert resolve_delta_timestamps(cfg, meta) is None


def test_format_ranges():
    assert format_ranges([0, 1, 2, 3]) == "0..3"
    assert format_ranges([1, 3]) == "[1, 3]"
    assert format_ranges([]) == "none"


def test_with_imagenet_stats_matches_fixture_normalizer(reference_fixtures):
    """The reference's ACT checkpoint was normalised with the dataset stats + ImageNet camera mean/std."""
    import numpy as np
    from safetensors.numpy import load_file

    from lerobot.datasets.utils import with_imagenet_stats

    meta = LeRobotDatasetMetadata("local/pusht_v30", root=reference_fixtures / "datasets" / "pusht_v30")
    stats = with_imagenet_stats(meta.stats, meta.camera_keys)
    assert meta.stats["observation.image"]["mean"].shape == (3, 1, 1)
    assert not np.allclose(
        meta.stats["observation.image"]["std"], stats["observation.image"]["std"]
    )  # a copy
    saved = load_file(
        reference_fixtures
        / "policies/act/pretrained_model/policy_preprocessor_step_3_normalizer_processor.safetensors"
    )
    for name, value in saved.items():
        key, stat = name.rsplit(".", 1)
        np.testing.assert_array_equal(np.asarray(stats[key][stat], dtype=np.float32), value, err_msg=name)
