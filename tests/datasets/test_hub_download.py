"""Hub revision resolution and partial downloads, with the real `huggingface_hub` client against a local
HTTP server (tests/utils/hub_server.py) serving the reference fixture datasets."""

import json
import logging
from pathlib import Path

import pytest
import torch
from huggingface_hub import HfApi, hf_hub_download, snapshot_download
from safetensors.torch import load_file

from lerobot.datasets.backward_compat import BackwardCompatibilityError, ForwardCompatibilityError
from lerobot.datasets.hub import HubDownloadError, VersionTagError, download, get_safe_version
from tests.utils.hub_server import HubRepo, HubServer


@pytest.fixture
def datasets_dir(reference_fixtures):
    return reference_fixtures / "datasets"


@pytest.fixture
def hub(datasets_dir, reference_fixtures, monkeypatch):
    repos = {
        "user/pusht": HubRepo(datasets_dir / "pusht_v30", tags_on_main=("v3.0",)),
        "user/multicam": HubRepo(datasets_dir / "multicam_v30", tags_on_main=("v3.0",)),
        # main and v3.0 at the new layout, v2.1 at the old one (as a converted Hub dataset looks)
        "user/pusht_both": HubRepo(
            datasets_dir / "pusht_v30",
            tags={"v2.1": datasets_dir / "pusht_v21", "v3.0": datasets_dir / "pusht_v30"},
        ),
        "user/untagged": HubRepo(datasets_dir / "pusht_v30"),
        "user/act": HubRepo(
            reference_fixtures / "policies" / "act_v032" / "pretrained_model", repo_type="model"
        ),
    }
    with HubServer(repos) as server:
        server.use(monkeypatch)
        yield server


def _with_tags(datasets_dir, *tags: str) -> HubRepo:
    return HubRepo(datasets_dir / "pusht_v30", tags=dict.fromkeys(tags, datasets_dir / "pusht_v30"))


# --- the server, through the real client ------------------------------------------------------------


def test_server_speaks_the_client_protocol(hub, datasets_dir, reference_fixtures, tmp_path):
    api = HfApi()
    refs = api.list_repo_refs("user/pusht_both", repo_type="dataset")
    assert {t.name for t in refs.tags} == {"v2.1", "v3.0"} and [b.name for b in refs.branches] == ["main"]
    files = api.list_repo_files("user/pusht_both", repo_type="dataset", revision="v2.1")
    assert "meta/episodes.jsonl" in files and "meta/tasks.parquet" not in files
    tags = {t.name: t.target_commit for t in refs.tags}
    assert api.repo_info("user/pusht_both", repo_type="dataset").sha == refs.branches[0].target_commit
    assert tags["v3.0"] == refs.branches[0].target_commit != tags["v2.1"]
    # model repos: resolve URLs without a type prefix, cache-dir layout
    model_dir = reference_fixtures / "policies" / "act_v032" / "pretrained_model"
    config = hf_hub_download("user/act", "config.json", cache_dir=tmp_path / "cache")
    assert json.loads(Path(config).read_text()) == json.loads((model_dir / "config.json").read_text())
    snapshot = snapshot_download("user/act", local_dir=tmp_path / "act")
    assert sorted(p.name for p in (tmp_path / "act").iterdir() if p.is_file()) == sorted(
        p.name for p in model_dir.iterdir()
    )
    assert str(tmp_path / "act") in snapshot


# --- revision resolution ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tags", "requested", "expected"),
    [
        (("v3.0",), "v3.0", "v3.0"),
        (("v2.1", "v3.0"), "v3.0", "v3.0"),
        (("v2.1", "v3.0", "main-backup", "v4"), "v3.0", "v3.0"),  # non-version tags are ignored
        (("v3.0",), "v3.2", "v3.0"),  # same major, lower minor: warning
        (("v3.0", "v3.1", "v3.5"), "v3.2", "v3.1"),
        (("v2.0", "v2.1"), "v2.1", "v2.1"),
    ],
)
def test_get_safe_version_picks_compatible_tag(hub, datasets_dir, tags, requested, expected, caplog):
    hub.repos["user/tagged"] = _with_tags(datasets_dir, *tags)
    with caplog.at_level(logging.WARNING, logger="lerobot.datasets.hub"):
        assert get_safe_version("user/tagged", requested) == expected
    assert ("closest compatible" in caplog.text) == (expected != requested)


def test_older_major_only_asks_to_convert(hub, datasets_dir):
    hub.repos["user/old"] = _with_tags(datasets_dir, "v2.0", "v2.1")
    with pytest.raises(BackwardCompatibilityError, match=r"user/old.*v2\.1"):
        get_safe_version("user/old", "v3.0")
    # ... unless the caller reads that layout too
    assert get_safe_version("user/old", "v3.0", readable_versions=("v2.0", "v2.1")) == "v2.1"


def test_newer_only_is_forward_incompatible(hub, datasets_dir):
    hub.repos["user/new"] = _with_tags(datasets_dir, "v3.5", "v4.0")
    with pytest.raises(ForwardCompatibilityError, match=r"user/new.*v3\.5"):
        get_safe_version("user/new", "v3.0")


def test_no_version_tag_explains_how_to_tag(hub):
    with pytest.raises(VersionTagError, match=r"(?s)user/untagged.*create_tag\('user/untagged', tag='v3.0'"):
        get_safe_version("user/untagged", "v3.0")


def test_unknown_repo_names_it(hub):
    with pytest.raises(HubDownloadError, match="'user/nope' does not exist"):
        get_safe_version("user/nope", "v3.0")


def test_offline_mode_is_explained(hub, monkeypatch, tmp_path):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(HubDownloadError, match="user/pusht.*offline"):
        get_safe_version("user/pusht", "v3.0")
    with pytest.raises(HubDownloadError, match=r"user/pusht.*'v3.0'.*HF_HUB_OFFLINE"):
        download("user/pusht", tmp_path, "v3.0")
    assert not hub.requests


# --- downloads --------------------------------------------------------------------------------------


def test_metadata_first_then_only_the_files_of_requested_episodes(hub, datasets_dir, tmp_path):
    root = tmp_path / "multicam"
    download("user/multicam", root, "v3.0", allow_patterns=["meta/"])
    assert all(f.startswith("meta/") for f in hub.downloaded())
    assert (root / "meta" / "info.json").read_bytes() == (
        datasets_dir / "multicam_v30/meta/info.json"
    ).read_bytes()
    # Episode 3 lives in data file-001 and video file-001 of each camera (see the episodes table).
    info = json.loads((root / "meta" / "info.json").read_text())
    needed = [info["data_path"].format(chunk_index=0, file_index=1)] + [
        info["video_path"].format(video_key=key, chunk_index=0, file_index=1)
        for key in ("observation.images.front", "observation.images.wrist")
    ]
    hub.clear_log()
    download("user/multicam", root, "v3.0", allow_patterns=needed)
    assert sorted(hub.downloaded()) == sorted(needed)
    for rel in needed:
        assert (root / rel).read_bytes() == (datasets_dir / "multicam_v30" / rel).read_bytes()
    assert not list(root.glob("**/file-000.mp4")) and not (root / "data/chunk-000/file-000.parquet").exists()
    # Files already there are not fetched again.
    hub.clear_log()
    download("user/multicam", root, "v3.0", allow_patterns=needed)
    assert hub.downloaded() == []


def test_download_without_videos(hub, tmp_path):
    download("user/pusht", tmp_path / "pusht", "v3.0", ignore_patterns=["videos/"])
    assert hub.downloaded() and not any(f.startswith("videos/") for f in hub.downloaded())
    assert (tmp_path / "pusht" / "data/chunk-000/file-000.parquet").is_file()


def test_download_follows_the_revision(hub, tmp_path):
    download("user/pusht_both", tmp_path / "old", "v2.1", allow_patterns=["meta/"])
    assert json.loads((tmp_path / "old/meta/info.json").read_text())["codebase_version"] == "v2.1"
    download("user/pusht_both", tmp_path / "new", None, allow_patterns=["meta/"])
    assert json.loads((tmp_path / "new/meta/info.json").read_text())["codebase_version"] == "v3.0"


@pytest.mark.parametrize(
    ("repo_id", "revision", "match"),
    [
        ("user/nope", "v3.0", r"'user/nope' at revision 'v3.0'.*does not exist"),
        ("user/pusht", "v9.9", r"'user/pusht' at revision 'v9.9'.*has no revision 'v9.9'"),
    ],
)
def test_download_errors_name_repo_and_revision(hub, tmp_path, repo_id, revision, match):
    with pytest.raises(HubDownloadError, match=match):
        download(repo_id, tmp_path / "x", revision, allow_patterns=["meta/"])


def test_unreachable_hub(hub, tmp_path, monkeypatch):
    from huggingface_hub import constants

    url = hub.url
    hub.__exit__(None, None, None)  # nothing listens there any more
    monkeypatch.setattr(constants, "ENDPOINT", url)
    with pytest.raises(HubDownloadError, match="user/pusht"):
        get_safe_version("user/pusht", "v3.0")
    with pytest.raises(HubDownloadError, match="user/pusht"):
        download("user/pusht", tmp_path / "x", "v3.0", allow_patterns=["meta/"])


# --- LeRobotDataset downloads through these functions -----------------------------------------------


def test_lerobot_dataset_downloads_only_requested_episodes(hub, reference_fixtures, tmp_path):
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    expected = load_file(reference_fixtures / "datasets/expected/multicam_v30_items.safetensors")
    dataset = LeRobotDataset("user/multicam", root=tmp_path / "mc", episodes=[3])
    files = hub.downloaded("user/multicam")
    assert not [f for f in files if f.endswith("file-000.mp4") or f == "data/chunk-000/file-000.parquet"]
    assert "data/chunk-000/file-001.parquet" in files
    assert "videos/observation.images.front/chunk-000/file-001.mp4" in files
    item = dataset[dataset_position(dataset, 119)]
    for key in ("observation.images.front", "observation.images.wrist", "observation.state", "action"):
        assert torch.equal(item[key], expected[f"idx119/{key}"]), key


def dataset_position(dataset, global_index: int) -> int:
    for i in range(len(dataset)):
        if int(dataset[i]["index"]) == global_index:
            return i
    raise AssertionError(f"index {global_index} not in the dataset")


def test_lerobot_dataset_without_videos_and_revision(hub, datasets_dir, tmp_path):
    from lerobot.datasets.lerobot_dataset import LeRobotDataset, LeRobotDatasetMetadata

    meta = LeRobotDatasetMetadata("user/pusht_both", root=tmp_path / "meta_only")
    assert meta.info["codebase_version"] == "v3.0" and all(f.startswith("meta/") for f in hub.downloaded())
    hub.clear_log()
    LeRobotDataset("user/pusht", root=tmp_path / "novideo", episodes=[1], download_videos=False)
    assert hub.downloaded() and not any(f.startswith("videos/") for f in hub.downloaded())
    old = LeRobotDatasetMetadata("user/pusht_both", root=tmp_path / "old", revision="v2.1")
    assert old.info["codebase_version"] == "v2.1"
