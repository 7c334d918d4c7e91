"""Helpers shared by the reference-fixture tests of the policies (test_act, test_diffusion, test_tdmpc,
test_vqbet): loading a recorded case, feature dicts from the fixtures' JSON, seeding, state-dict keys."""

import json
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file

from lerobot.configs.types import FeatureType, PolicyFeature


def load_reference_case(reference_fixtures: Path, name: str) -> dict:
    """`policies/<name>`: its checkpoint folder, recorded tensors and recorded metadata."""
    root = reference_fixtures / "policies" / name
    return {
        "name": name,
        "dir": root / "pretrained_model",
        "expected": load_file(root / "expected.safetensors"),
        "meta": json.loads((root / "expected.json").read_text()),
    }


def load_state_dict_keys(reference_fixtures: Path, name: str) -> dict:
    """`state_dict_keys/<name>.json`: the reference's features, config overrides and ordered keys."""
    return json.loads((reference_fixtures / "state_dict_keys" / f"{name}.json").read_text())


def features_from_json(d: dict) -> dict[str, PolicyFeature]:
    return {k: PolicyFeature(FeatureType(v["type"]), tuple(v["shape"])) for k, v in d.items()}


def seed_all(seed: int = 0):
    np.random.seed(seed)
    torch.manual_seed(seed)


def assert_state_dict_matches_reference_keys(policy: torch.nn.Module, ref: dict) -> None:
    """Same ordered keys, shapes and dtypes as the reference, and the same parameter count."""
    got = [(k, list(v.shape), str(v.dtype).removeprefix("torch.")) for k, v in policy.state_dict().items()]
    assert got == [(k["key"], k["shape"], k["dtype"]) for k in ref["keys"]]
    assert sum(p.numel() for p in policy.parameters()) == ref["num_parameters"]
