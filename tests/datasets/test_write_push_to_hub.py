"""`push_to_hub` with the real `huggingface_hub` client against a local HTTP server speaking the upload
part of the Hub API (create repo, preupload, commit, tags)."""

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

import pytest

from lerobot.datasets.hub_upload import dataset_card, push_dataset_to_hub
from tests.datasets.factories import make_dataset


class UploadHub:
    """Records repos, committed files and tags; every file is uploaded inline ("regular" mode)."""

    def __init__(self):
        self.repos: dict[str, dict] = {}
        self.requests: list[str] = []
        self.validated_yaml: list[str] = []
        self.lock = threading.Lock()

    def handler(self):
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self, status, payload=None, headers=None):
                body = json.dumps(payload if payload is not None else {}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def _base(self) -> str:
                return f"http://127.0.0.1:{self.server.server_address[1]}"

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length", 0)))

            def do_POST(self):
                path = unquote(urlsplit(self.path).path)
                body = self._body()
                with hub.lock:
                    hub.requests.append(f"POST {path}")
                    if path == "/api/validate-yaml":  # the client checks a README.md's YAML header
                        hub.validated_yaml.append(json.loads(body)["content"])
                        return self._reply(200, {})
                    if path == "/api/repos/create":
                        req = json.loads(body)
                        repo_id = (
                            f"{req['organization']}/{req['name']}" if req.get("organization") else req["name"]
                        )
                        hub.repos.setdefault(
                            repo_id, {"files": {}, "tags": {}, "commits": 0, "type": req.get("type")}
                        )
                        return self._reply(
                            200, {"url": f"{self._base()}/datasets/{repo_id}", "name": repo_id}
                        )
                    parts = path.split("/")
                    # /api/datasets/{org}/{name}/{action}/{rev...}
                    if len(parts) >= 6 and parts[1:3] == ["api", "datasets"]:
                        repo_id, action = f"{parts[3]}/{parts[4]}", parts[5]
                        repo = hub.repos.get(repo_id)
                        if repo is None:
                            return self._reply(
                                404, {"error": "Repository not found"}, {"X-Error-Code": "RepoNotFound"}
                            )
                        if action == "preupload":
                            files = json.loads(body)["files"]
                            return self._reply(
                                200,
                                {
                                    "files": [
                                        {"path": f["path"], "uploadMode": "regular", "shouldIgnore": False}
                                        for f in files
                                    ]
                                },
                            )
                        if action == "commit":
                            for line in body.decode().splitlines():
                                item = json.loads(line)
                                if item["key"] == "file":
                                    value = item["value"]
                                    repo["files"][value["path"]] = base64.b64decode(value["content"])
                            repo["commits"] += 1
                            oid = f"{repo['commits']:040x}"
                            return self._reply(
                                200,
                                {
                                    "commitUrl": f"{self._base()}/datasets/{repo_id}/commit/{oid}",
                                    "commitOid": oid,
                                },
                            )
                        if action == "tag":
                            repo["tags"][json.loads(body)["tag"]] = repo["commits"]
                            return self._reply(200, {})
                    return self._reply(404, {"error": f"unknown route {path}"})

            def do_DELETE(self):
                path = unquote(urlsplit(self.path).path)
                with hub.lock:
                    hub.requests.append(f"DELETE {path}")
                    parts = path.split("/")
                    if len(parts) == 7 and parts[5] == "tag":
                        repo = hub.repos.get(f"{parts[3]}/{parts[4]}")
                        if repo is not None and parts[6] in repo["tags"]:
                            del repo["tags"][parts[6]]
                            return self._reply(200, {})
                        return self._reply(
                            404, {"error": "tag not found"}, {"X-Error-Code": "RevisionNotFound"}
                        )
                    return self._reply(404, {"error": f"unknown route {path}"})

            def do_GET(self):
                path = unquote(urlsplit(self.path).path)
                with hub.lock:
                    hub.requests.append(f"GET {path}")
                return self._reply(404, {"error": f"unknown route {path}"})

        return Handler


@pytest.fixture
def upload_hub(monkeypatch):
    import huggingface_hub.constants as constants

    hub = UploadHub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), hub.handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setenv("HF_TOKEN", "hf_test_token")
    monkeypatch.setattr(constants, "ENDPOINT", url)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(
        constants, "HUGGINGFACE_CO_URL_TEMPLATE", url + "/{repo_id}/resolve/{revision}/{filename}"
    )
    yield hub
    server.shutdown()
    server.server_close()


def test_push_to_hub_uploads_files_card_and_version_tag(tmp_path, upload_hub):
    root = make_dataset(
        tmp_path / "ds", n_episodes=2, episode_length=4, camera_shape=(32, 32, 3), vcodec="h264"
    )
    (root / "images").mkdir()
    (root / "images" / "leftover.png").write_bytes(b"x")  # temporary frames are never uploaded
    push_dataset_to_hub(root, "user/my_dataset", tags=["so100"])
    repo = upload_hub.repos["user/my_dataset"]
    local = sorted(
        p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and "images" not in p.parts
    )
    assert sorted(f for f in repo["files"] if f != "README.md") == local
    for rel in local:
        assert repo["files"][rel] == (root / rel).read_bytes(), rel
    card = repo["files"]["README.md"].decode()
    assert "- robotics" in card and '- "LeRobot"' in card and '- "so100"' in card
    assert "data_files: data/*/*.parquet" in card and '"codebase_version": "v3.0"' in card
    assert repo["tags"] == {"v3.0": repo["commits"]}
    # pushing again moves the tag to the new commit (deleted, then re-created)
    push_dataset_to_hub(root, "user/my_dataset", push_videos=False)
    assert repo["tags"] == {"v3.0": repo["commits"]}
    assert any(r.startswith("DELETE /api/datasets/user/my_dataset/tag/v3.0") for r in upload_hub.requests)


def test_push_refuses_an_interrupted_save(tmp_path, upload_hub):
    root = make_dataset(
        tmp_path / "ds", n_episodes=1, episode_length=2, camera_shape=(32, 32, 3), vcodec="h264"
    )
    (root / ".staging").mkdir()
    with pytest.raises(RuntimeError, match="recover"):
        push_dataset_to_hub(root, "user/ds")
    assert upload_hub.repos == {}


def test_dataset_card_without_license():
    card = dataset_card({"codebase_version": "v3.0"}, tags=None, license=None)
    assert card.startswith("---\ntask_categories:") and "- **License:** unknown" in card


def test_lerobot_dataset_push_to_hub(tmp_path, upload_hub):
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    root = make_dataset(
        tmp_path / "ds", n_episodes=1, episode_length=3, camera_shape=(32, 32, 3), vcodec="h264"
    )
    LeRobotDataset("user/pushed", root=root).push_to_hub(tags=["sim"], license=None)
    repo = upload_hub.repos["user/pushed"]
    assert "meta/info.json" in repo["files"] and repo["tags"] == {"v3.0": repo["commits"]}
    assert "license:" not in repo["files"]["README.md"].decode().split("---")[1]
