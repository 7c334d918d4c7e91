"""End to end: the policies' time windows -> LeRobotDataset (fixture `pusht_v30`) -> collated batch -> loss.

The reference built the fixtures' training batches the same way (`resolve_delta_timestamps`: every
`observation.*` key of the dataset gets `observation_delta_indices / fps`), so the batch and the loss must
match the recorded ones.
"""

import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from torch.utils.data import default_collate

from lerobot.datasets.lerobot_dataset import LeRobotDataset
from lerobot.policies.pretrained import PreTrainedPolicy

RUN = {"tdmpc": "eval", "vqbet": "eval_phase2"}


def _delta_timestamps(config, features, fps) -> dict[str, list[float]]:
    out = {
        k: [i / fps for i in config.observation_delta_indices]
        for k in features
        if k.startswith("observation.")
    }
    out["action"] = [i / fps for i in config.action_delta_indices]
    if config.reward_delta_indices is not None:
        out["next.reward"] = [i / fps for i in config.reward_delta_indices]
    return out


@pytest.mark.parametrize("policy_type", ["tdmpc", "vqbet"])
def test_dataset_batch_and_loss_match_reference(reference_fixtures, policy_type):
    fixture_dir = reference_fixtures / "policies" / policy_type
    ref = json.loads((fixture_dir / "expected.json").read_text())["training"]
    expected = load_file(fixture_dir / "expected.safetensors")
    policy = PreTrainedPolicy.from_pretrained(fixture_dir / "pretrained_model")
    root = reference_fixtures / "datasets" / "pusht_v30"

    meta = LeRobotDataset("local/pusht_v30", root=root).meta
    delta_timestamps = _delta_timestamps(policy.config, meta.features, meta.fps)
    assert set(delta_timestamps) == set(ref["delta_timestamps"])
    for key, values in ref["delta_timestamps"].items():
        np.testing.assert_allclose(delta_timestamps[key], values, rtol=0, atol=1e-12)

    dataset = LeRobotDataset("local/pusht_v30", root=root, delta_timestamps=delta_timestamps)
    batch = default_collate([dataset[i] for i in ref["dataset_indices"]])
    for name, value in expected.items():
        if name.startswith("train/batch/"):
            torch.testing.assert_close(batch[name.removeprefix("train/batch/")], value, rtol=0, atol=0)

    np.random.seed(0)
    torch.manual_seed(0)
    loss, _ = policy.forward(batch)
    torch.testing.assert_close(loss, expected[f"train/{RUN[policy_type]}/loss"], rtol=1e-4, atol=0)
