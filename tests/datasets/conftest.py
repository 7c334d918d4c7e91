"""Fixtures for dataset tests: the reference fixture datasets and damaged copies of them."""

import json
import shutil
from pathlib import Path

import pytest
from safetensors.torch import load_file

FIXTURE_DATASETS = ("pusht_v21", "pusht_v30", "multicam_v30")


@pytest.fixture
def fixture_dataset_root(reference_fixtures):
    """`name -> Path` of a reference fixture dataset (read-only; copy it before damaging)."""

    def get(name: str) -> Path:
        return reference_fixtures / "datasets" / name

    return get


@pytest.fixture
def dataset_copy(reference_fixtures, tmp_path):
    """`name -> Path` of a fresh, writable copy of a fixture dataset under tmp_path."""

    def copy(name: str) -> Path:
        dst = tmp_path / name
        shutil.copytree(reference_fixtures / "datasets" / name, dst)
        return dst

    return copy


def load_expected(reference_fixtures: Path, name: str) -> tuple[dict, dict]:
    """(`<name>_items.json` as a dict, `<name>_items.safetensors` as tensors)."""
    exp_dir = reference_fixtures / "datasets" / "expected"
    with open(exp_dir / f"{name}_items.json") as f:
        meta = json.load(f)
    return meta, load_file(exp_dir / f"{name}_items.safetensors")
