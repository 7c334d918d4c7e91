"""`push_to_hub` with the real `huggingface_hub` client against a local HTTP server speaking the upload
part of the Hub API (create repo, preupload, commit, tags): `tests/utils/upload_hub.py`."""

import pytest

from lerobot.datasets.hub.push import dataset_card, push_dataset_to_hub
from tests.datasets.factories import make_dataset
from tests.utils.upload_hub import UploadHub


@pytest.fixture
def upload_hub(tmp_path, monkeypatch):
    with UploadHub(tmp_path / "hub_storage") as hub:
        hub.use(monkeypatch)
        yield hub


def _local_files(root) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_push_to_hub_uploads_files_card_and_version_tag(tmp_path, upload_hub):
    root = make_dataset(
        tmp_path / "ds", n_episodes=2, episode_length=4, camera_shape=(32, 32, 3), vcodec="h264"
    )
    local = _local_files(root)
    # What a recording can leave next to a finished dataset is never uploaded: temporary frames, the
    # temp file of an interrupted atomic JSON write.
    (root / "images" / "observation.image" / "episode-000002").mkdir(parents=True)
    (root / "images" / "observation.image" / "episode-000002" / "frame-000000.png").write_bytes(b"x")
    (root / "meta" / "info.json.writing").write_text("{")
    push_dataset_to_hub(root, "user/my_dataset", tags=["so100"])
    files = upload_hub.files("user/my_dataset")
    assert sorted(f for f in files if f != "README.md") == local
    for rel in local:
        assert files[rel] == (root / rel).read_bytes(), rel
    card = files["README.md"].decode()
    assert "- robotics" in card and '- "LeRobot"' in card and '- "so100"' in card
    assert "data_files: data/*/*.parquet" in card and '"codebase_version": "v3.0"' in card
    assert upload_hub.validated_yaml == [card]  # the client checked the card's metadata header
    assert upload_hub.tags("user/my_dataset") == {"v3.0": upload_hub.head("user/my_dataset")}
    assert upload_hub.num_commits("user/my_dataset") == 2  # the files, then the card
    # pushing again moves the tag to the new commit (deleted, then re-created)
    push_dataset_to_hub(root, "user/my_dataset", push_videos=False)
    assert upload_hub.num_commits("user/my_dataset") == 4
    assert upload_hub.tags("user/my_dataset") == {"v3.0": upload_hub.head("user/my_dataset")}
    assert ("DELETE", "/api/datasets/user/my_dataset/tag/v3.0") in upload_hub.upload_requests()
    assert sorted(upload_hub.files("user/my_dataset")) == sorted([*local, "README.md"])


def test_push_refuses_an_interrupted_save(tmp_path, upload_hub):
    root = make_dataset(
        tmp_path / "ds", n_episodes=1, episode_length=2, camera_shape=(32, 32, 3), vcodec="h264"
    )
    (root / ".staging" / "episode-000001").mkdir(parents=True)  # a save that never reached its commit
    with pytest.raises(RuntimeError, match="episode-000001.*recover"):
        push_dataset_to_hub(root, "user/ds")
    assert upload_hub.repos == {} and upload_hub.upload_requests() == []


def test_push_after_a_discarded_streaming_episode(tmp_path, upload_hub):
    """Streaming encoding records into .staging/recording-XXXXXX/; discarding that episode (re-record, or
    frames left at finalize()) leaves an empty .staging/, which does not block the push."""
    import numpy as np

    from lerobot.datasets.lerobot_dataset import LeRobotDataset
    from lerobot.datasets.video_encoding import VideoEncodingConfig

    features = {
        "observation.state": {"dtype": "float32", "shape": [2], "names": ["a", "b"]},
        "action": {"dtype": "float32", "shape": [2], "names": ["a", "b"]},
        "observation.images.front": {
            "dtype": "video",
            "shape": [32, 32, 3],
            "names": ["height", "width", "channels"],
        },
    }
    root = tmp_path / "ds"
    dataset = LeRobotDataset.create(
        "user/stream", 10, features=features, root=root, streaming_encoding=True,
        video_config=VideoEncodingConfig(vcodec="h264"),
    )  # fmt: skip
    for episode_length in (3, 2):
        for i in range(episode_length):
            dataset.add_frame(
                {
                    "observation.state": np.full(2, i, np.float32),
                    "action": np.zeros(2, np.float32),
                    "observation.images.front": np.full((32, 32, 3), 40 * i, np.uint8),
                    "task": "t",
                }
            )
        if episode_length == 3:
            dataset.save_episode()
    dataset.finalize()  # discards the unsaved 2-frame episode
    assert not (root / ".staging").exists()  # the writer removes the emptied staging directory
    (root / ".staging").mkdir()  # an empty one (e.g. from an older writer) does not block the push either
    dataset.push_to_hub()
    assert sorted(upload_hub.files("user/stream")) == sorted([*_local_files(root), "README.md"])
    copy = LeRobotDataset("user/stream", root=tmp_path / "copy")
    assert copy.num_episodes == 1 and len(copy) == 3
    assert (copy[2]["observation.state"] == dataset[2]["observation.state"]).all()


def test_dataset_card_without_license():
    card = dataset_card({"codebase_version": "v3.0"}, tags=None, license=None)
    assert card.startswith("---\ntask_categories:") and "- **License:** unknown" in card


def test_lerobot_dataset_push_to_hub_then_download(tmp_path, upload_hub):
    """Round trip through the real client: what was pushed (private) loads back, frame for frame."""
    from huggingface_hub import HfApi

    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    root = make_dataset(
        tmp_path / "ds", n_episodes=1, episode_length=3, camera_shape=(32, 32, 3), vcodec="h264"
    )
    local = LeRobotDataset("user/pushed", root=root)
    local.push_to_hub(tags=["sim"], license=None, private=True)
    files = upload_hub.files("user/pushed")
    assert "meta/info.json" in files
    assert upload_hub.tags("user/pushed") == {"v3.0": upload_hub.head("user/pushed")}
    assert "license:" not in files["README.md"].decode().split("---")[1]
    assert HfApi().repo_info("user/pushed", repo_type="dataset").private is True

    copy = LeRobotDataset("user/pushed", root=tmp_path / "copy")
    assert _local_files(root) == sorted(
        f for f in _local_files(tmp_path / "copy") if not f.startswith(".cache/")
    )
    assert len(copy) == len(local) == 3
    for i in range(len(local)):
        a, b = local[i], copy[i]
        assert a.keys() == b.keys()
        for key in a:
            if hasattr(a[key], "shape"):
                assert (a[key] == b[key]).all(), key
            else:
                assert a[key] == b[key], key


def test_upload_hub_speaks_the_client_protocol(tmp_path, upload_hub, monkeypatch):
    """The test server itself: conflicts, private repos, branches, and injected failures."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

    api = HfApi()
    api.create_repo("user/r", repo_type="dataset", private=True)
    api.create_repo("user/r", repo_type="dataset", exist_ok=True)  # 409 from the server, accepted
    with pytest.raises(HfHubHTTPError) as err:
        api.create_repo("user/r", repo_type="dataset")
    assert err.value.response.status_code == 409
    api.upload_file(path_or_fileobj=b"a", path_in_repo="x/a.txt", repo_id="user/r", repo_type="dataset")
    api.create_branch("user/r", branch="dev", repo_type="dataset")
    api.upload_file(
        path_or_fileobj=b"b", path_in_repo="x/a.txt", repo_id="user/r", repo_type="dataset", revision="dev"
    )
    api.create_tag("user/r", tag="v1", revision="dev", repo_type="dataset")
    with pytest.raises(HfHubHTTPError):  # tags are not moved silently
        api.create_tag("user/r", tag="v1", repo_type="dataset")
    assert upload_hub.files("user/r") == {"x/a.txt": b"a"} and upload_hub.files("user/r", "v1") == {
        "x/a.txt": b"b"
    }
    api.delete_file("x/a.txt", repo_id="user/r", repo_type="dataset")
    assert upload_hub.files("user/r") == {} and upload_hub.files("user/r", "dev") == {"x/a.txt": b"b"}
    assert api.list_repo_files("user/r", repo_type="dataset", revision="v1") == ["x/a.txt"]
    monkeypatch.delenv("HF_TOKEN")
    monkeypatch.setenv("HF_HUB_DISABLE_IMPLICIT_TOKEN", "1")
    with pytest.raises(RepositoryNotFoundError):  # private: hidden from anonymous requests
        HfApi(token=False).list_repo_files("user/r", repo_type="dataset")
    monkeypatch.setenv("HF_TOKEN", "hf_test_token")
    upload_hub.fail("commit", 500)
    with pytest.raises(HfHubHTTPError) as err:
        api.upload_file(path_or_fileobj=b"c", path_in_repo="c", repo_id="user/r", repo_type="dataset")
    assert err.value.response.status_code == 500 and upload_hub.files("user/r") == {}
    upload_hub.fail("commit", None)
    upload_hub.fail("create", 401)
    with pytest.raises(HfHubHTTPError) as err:
        api.create_repo("user/other", repo_type="dataset", exist_ok=True)
    assert err.value.response.status_code == 401 and "user/other" not in upload_hub.repos
    api.create_repo("user/r", repo_type="dataset", exist_ok=True)  # 401 but it exists: the client accepts
    with pytest.raises(ValueError, match="unknown action"):
        upload_hub.fail("push", 500)
