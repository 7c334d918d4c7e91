"""Tests of the package foundation: cheap import, shared types and feature mapping."""

import subprocess
import sys

import pytest

from lerobot.configs.types import FeatureType
from lerobot.datasets.utils import dataset_to_policy_features
from lerobot.utils.constants import hf_lerobot_home


def test_import_is_cheap():
    out = subprocess.run(
        [sys.executable, "-c", "import sys, lerobot; print('torch' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "False"


def test_dataset_to_policy_features():
    features = {
        "observation.images.top": {
            "dtype": "video",
            "shape": [480, 640, 3],
            "names": ["height", "width", "channels"],
        },
        "observation.state": {"dtype": "float32", "shape": [14], "names": None},
        "observation.environment_state": {"dtype": "float32", "shape": [16], "names": None},
        "action": {"dtype": "float32", "shape": [14], "names": None},
        "timestamp": {"dtype": "float32", "shape": [1], "names": None},
    }
    pf = dataset_to_policy_features(features)
    assert list(pf) == [
        "observation.images.top",
        "observation.state",
        "observation.environment_state",
        "action",
    ]
    assert pf["observation.images.top"].type is FeatureType.VISUAL
    assert pf["observation.images.top"].shape == (3, 480, 640)
    assert pf["observation.environment_state"].type is FeatureType.ENV
    assert pf["observation.state"].type is FeatureType.STATE
    assert pf["action"].type is FeatureType.ACTION


def test_legacy_lerobot_home_is_an_error(monkeypatch):
    monkeypatch.setenv("LEROBOT_HOME", "/tmp/x")
    with pytest.raises(ValueError, match="HF_LEROBOT_HOME"):
        hf_lerobot_home()
