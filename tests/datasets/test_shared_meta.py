"""Metadata built once: `LeRobotDataset(..., meta=...)` shares an already loaded metadata object, and
info.json is parsed once per metadata object."""

import pytest

import lerobot.datasets.metadata as metadata_module
from lerobot.datasets.lerobot_dataset import LeRobotDataset, LeRobotDatasetMetadata


@pytest.fixture
def info_parses(monkeypatch):
    calls = []
    real = metadata_module.load_json_dict

    def counting(path):
        if path.name == "info.json":
            calls.append(path)
        return real(path)

    monkeypatch.setattr(metadata_module, "load_json_dict", counting)
    return calls


@pytest.mark.parametrize("name", ["pusht_v21", "pusht_v30"])
def test_info_json_parsed_once_and_meta_shared(reference_fixtures, info_parses, name):
    root = reference_fixtures / "datasets" / name
    meta = LeRobotDatasetMetadata(f"local/{name}", root=root)
    assert len(info_parses) == 1
    ds = LeRobotDataset(f"local/{name}", root=root, meta=meta, delta_timestamps={"action": [0.0, 0.1]})
    assert len(info_parses) == 1 and ds.meta is meta
    plain = LeRobotDataset(f"local/{name}", root=root, delta_timestamps={"action": [0.0, 0.1]})
    assert len(info_parses) == 2  # its own metadata: parsed once more, not twice
    for i in (0, len(ds) - 1):
        assert ds[i]["action"].tolist() == plain[i]["action"].tolist()


def test_shared_meta_must_match(reference_fixtures, tmp_path):
    root = reference_fixtures / "datasets" / "pusht_v30"
    meta = LeRobotDatasetMetadata("local/pusht_v30", root=root)
    with pytest.raises(ValueError, match="root=.* differs from the shared meta's root"):
        LeRobotDataset("local/pusht_v30", root=tmp_path, meta=meta)
    with pytest.raises(ValueError, match="repo_id='other/x' differs"):
        LeRobotDataset("other/x", root=root, meta=meta)
    with pytest.raises(TypeError, match="LeRobotDatasetMetadata"):
        LeRobotDataset("local/pusht_v30", root=root, meta={"fps": 10})
