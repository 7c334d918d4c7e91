"""A local Hub that takes uploads and serves them back: `HubServer` (tests/utils/hub_server.py, the download
side) plus the part of the Hub API that `huggingface_hub` uses to upload, so that a test can push with the
real client (`HfApi.create_repo`, `upload_folder`, `upload_file`, `create_tag`, `delete_tag`,
`create_branch`) and then download what was pushed with the real client too.

    with UploadHub(tmp_path / "hub") as hub:
        hub.use(monkeypatch)                       # point huggingface_hub at it, online, with a token
        LeRobotDataset("user/ds", root=root).push_to_hub(private=True)
        hub.files("user/ds")                       # {"meta/info.json": b"...", ...} on `main`
        hub.tags("user/ds")                        # {"v3.0": <commit sha>}
        LeRobotDataset("user/ds", root=tmp_path / "copy")   # downloads it back

Every commit is stored as a folder `<storage>/<repo_id>/commit-NNNNNN/` (the previous commit's files,
hard-linked, plus the commit's changes), so branches and tags are `HubRepo` refs to folders and the
download routes of `HubServer` serve any revision, each commit with its own sha. Uploads are always asked
in "regular" mode (file content inline, base64, in the commit), never LFS.

Upload endpoints (repo type `datasets`, `models` or `spaces`):

    POST   /api/validate-yaml                          README.md metadata check (recorded)
    POST   /api/repos/create                           409 when the repo exists (`exist_ok` handles it)
    POST   /api/{type}s/{repo_id}/preupload/{rev}      upload mode of each file: "regular"
    POST   /api/{type}s/{repo_id}/commit/{rev}         ndjson: header, file, deletedFile, deletedFolder
    POST   /api/{type}s/{repo_id}/tag/{rev}            409 when the tag exists
    POST   /api/{type}s/{repo_id}/branch/{name}        409 when the branch exists
    DELETE /api/{type}s/{repo_id}/tag/{tag}            404 RevisionNotFound when absent

`hub.fail(action, status)` makes every request of one action (`create`, `preupload`, `commit`, `tag`,
`delete_tag`, `branch`) answer `status` (e.g. 500, 401) until `hub.fail(action, None)`, to test what a
failed push leaves behind.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

from tests.utils.hub_server import REPO_TYPES, HubRepo, HubServer, _commit_sha, _files, _Handler

ERROR_MESSAGES = {401: "Invalid credentials in Authorization header", 403: "Forbidden", 500: "Internal Error"}


class UploadHandler(_Handler):
    """`_Handler` (downloads) plus the upload routes of the module docstring."""

    hub: UploadHub
    # (method, action in /api/{type}s/{repo_id}/{action}/{ref}) -> handler `_<name>`
    ROUTES = {
        ("POST", "preupload"): "preupload",
        ("POST", "commit"): "commit",
        ("POST", "tag"): "tag",
        ("POST", "branch"): "branch",
        ("DELETE", "tag"): "delete_tag",
    }
    ACTIONS = frozenset({"create", *ROUTES.values()})

    def do_DELETE(self):  # noqa: N802 (BaseHTTPRequestHandler API)
        self._read_body()
        self._upload_route("DELETE")

    def do_POST(self):  # noqa: N802 (BaseHTTPRequestHandler API)
        self._read_body()
        self._upload_route("POST")

    def _read_body(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._body = self.rfile.read(length) if length else b""

    def _upload_route(self, method: str) -> None:
        parts = [unquote(p) for p in urlsplit(self.path).path.split("/") if p]
        if method == "POST" and parts == ["api", "validate-yaml"]:
            self._log(method)
            with self.hub._lock:
                self.hub.validated_yaml.append(json.loads(self._body)["content"])
            return self._json({})
        if method == "POST" and parts == ["api", "repos", "create"]:
            self._log(method)
            if not self._failure("create"):
                self._create_repo(json.loads(self._body))
            return None
        if len(parts) >= 5 and parts[0] == "api" and parts[1].rstrip("s") in REPO_TYPES:
            found = self._split_repo(parts[2:])
            if found is not None and len(found[2]) == 2:
                repo_id, repo, (action, ref) = found
                name = self.ROUTES.get((method, action))
                if name is not None:
                    self._log(method)
                    if not self._failure(name):
                        getattr(self, f"_{name}")(repo_id, repo, ref)
                    return None
        if method == "POST":
            return self._route("POST")  # download-side POST routes (paths-info)
        self._log(method)
        return self._error(404, "NotFound", f"Unknown route {urlsplit(self.path).path}")

    def _log(self, method: str) -> None:
        with self.hub._lock:
            self.hub.requests.append((method, self.path))

    def _failure(self, action: str) -> bool:
        status = self.hub.failures.get(action)
        if status is None:
            return False
        self._error(status, "Error", ERROR_MESSAGES.get(status, f"HTTP {status}"))
        return True

    # --- repos, branches, tags ---
    def _create_repo(self, req: dict) -> None:
        repo_id = f"{req['organization']}/{req['name']}" if req.get("organization") else req["name"]
        repo_type = req.get("type") or "model"
        url = f"{self.hub.url}/{'' if repo_type == 'model' else repo_type + 's/'}{repo_id}"
        with self.hub._lock:
            if repo_id in self.hub.repos:  # the client reads the url of the existing repo from the body
                message = "You already created this repo"
                body = json.dumps({"error": message, "url": url}).encode()
                return self._send(409, body, {"X-Error-Message": message})
            initial = self.hub.storage / repo_id / "commit-000000"
            initial.mkdir(parents=True)
            self.hub.repos[repo_id] = HubRepo(
                initial, repo_type=repo_type, private=req.get("visibility") == "private"
            )
            self.hub._n_commits[repo_id] = 0
        return self._json({"url": url, "name": repo_id})

    def _tag(self, repo_id: str, repo: HubRepo, revision: str) -> None:
        self._create_ref(repo_id, repo, repo.tags, "Tag", json.loads(self._body)["tag"], revision)

    def _delete_tag(self, repo_id: str, repo: HubRepo, tag: str) -> None:
        with self.hub._lock:
            if repo.tags.pop(tag, None) is None:
                return self._error(404, "RevisionNotFound", f"Invalid rev id: {tag}")
        return self._json({})

    def _branch(self, repo_id: str, repo: HubRepo, name: str) -> None:
        start = json.loads(self._body or b"{}").get("startingPoint") or "main"
        self._create_ref(repo_id, repo, repo.branches, "Branch", name, start)

    def _create_ref(
        self, repo_id: str, repo: HubRepo, refs: dict, kind: str, name: str, revision: str
    ) -> None:
        """A new tag or branch `name` at `revision`: 404 for an unknown revision, 409 if it exists."""
        with self.hub._lock:
            resolved = self.hub.resolve(repo, repo_id, revision)
            if resolved is None:
                return self._error(404, "RevisionNotFound", f"Invalid rev id: {revision}")
            if name in refs:
                return self._error(409, "Conflict", f"{kind} {name} already exists")
            refs[name] = resolved[1]
        return self._json({})

    # --- files ---
    def _preupload(self, repo_id: str, repo: HubRepo, revision: str) -> None:
        files = json.loads(self._body)["files"]
        modes = [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False} for f in files]
        return self._json({"files": modes})

    def _commit(self, repo_id: str, repo: HubRepo, branch: str) -> None:
        items = [json.loads(line) for line in self._body.decode().splitlines() if line.strip()]
        header = next((i["value"] for i in items if i["key"] == "header"), {})
        ops = [i for i in items if i["key"] != "header"]
        for op in ops:
            path = op["value"].get("path", "")
            if op["key"] not in ("file", "deletedFile", "deletedFolder"):
                return self._error(
                    400, "BadRequest", f"this test hub takes regular uploads only, got {op['key']}"
                )
            if not path or path.startswith("/") or ".." in path.split("/"):
                return self._error(400, "BadRequest", f"invalid path in repo: {path!r}")
        with self.hub._lock:
            if branch not in repo.branches:
                return self._error(404, "RevisionNotFound", f"Invalid rev id: {branch}")
            parent = repo.branches[branch]
            if header.get("parentCommit") not in (None, _commit_sha(repo_id, parent)):
                return self._error(412, "PreconditionFailed", "parentCommit is not the head of the branch")
            n = self.hub._n_commits[repo_id] + 1
            folder = self.hub.storage / repo_id / f"commit-{n:06d}"
            # The parent's files, hard-linked: stored files are never modified in place (replaced below).
            shutil.copytree(parent, folder, copy_function=os.link)
            for op in ops:
                target = folder / op["value"]["path"]
                if op["key"] == "file":
                    target.unlink(missing_ok=True)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(base64.b64decode(op["value"]["content"]))
                elif op["key"] == "deletedFile":
                    target.unlink(missing_ok=True)
                else:
                    shutil.rmtree(target, ignore_errors=True)
            repo.branches[branch] = folder
            self.hub._n_commits[repo_id] = n
            oid = _commit_sha(repo_id, folder)
        url = f"{self.hub.url}/{'' if repo.repo_type == 'model' else repo.repo_type + 's/'}{repo_id}"
        return self._json({"commitUrl": f"{url}/commit/{oid}", "commitOid": oid, "pullRequestUrl": None})


class UploadHub(HubServer):
    """A `HubServer` that starts empty and takes uploads; files are stored under `storage`."""

    handler_class = UploadHandler

    def __init__(self, storage: Path | str):
        super().__init__({})
        self.storage = Path(storage)
        self.storage.mkdir(parents=True, exist_ok=True)
        self.validated_yaml: list[str] = []  # README.md contents the client asked to validate
        self.failures: dict[str, int] = {}  # action -> HTTP status it answers
        self._n_commits: dict[str, int] = {}

    def use(self, monkeypatch) -> None:
        """`HubServer.use` plus a token, which uploads (and reading private repos) need.

        The client retries a request answered 408/429/5xx up to 5 times, waiting 1, 2, 4, 8, 8 s; here the
        waits are 0 (the retries still happen), so that a test of a failing server takes no 23 s."""
        from huggingface_hub.utils import _http

        super().use(monkeypatch)
        monkeypatch.setenv("HF_TOKEN", "hf_test_token")
        if "base_wait_time" in (_http.http_backoff.__kwdefaults__ or {}):
            monkeypatch.setitem(_http.http_backoff.__kwdefaults__, "base_wait_time", 0)

    def fail(self, action: str, status: int | None) -> None:
        """Answer every `action` request with HTTP `status` from now on (None: succeed again)."""
        if action not in UploadHandler.ACTIONS:
            raise ValueError(f"unknown action {action!r}; one of {sorted(UploadHandler.ACTIONS)}")
        with self._lock:
            if status is None:
                self.failures.pop(action, None)
            else:
                self.failures[action] = status

    # --- what was pushed ---
    def head(self, repo_id: str, revision: str = "main") -> str:
        """Commit sha of a branch or tag."""
        return _commit_sha(repo_id, self.folder(repo_id, revision))

    def folder(self, repo_id: str, revision: str = "main") -> Path:
        """The stored commit a branch or tag points to."""
        repo = self.repos[repo_id]
        return {**repo.branches, **repo.tags}[revision]

    def files(self, repo_id: str, revision: str = "main") -> dict[str, bytes]:
        """Path in repo -> content, at a branch or tag."""
        folder = self.folder(repo_id, revision)
        return {rel: (folder / rel).read_bytes() for rel in _files(folder)}

    def tags(self, repo_id: str) -> dict[str, str]:
        """Tag name -> commit sha."""
        return {name: _commit_sha(repo_id, folder) for name, folder in self.repos[repo_id].tags.items()}

    def num_commits(self, repo_id: str) -> int:
        """Commits made by uploads (the empty initial commit of a new repo not counted)."""
        return self._n_commits[repo_id]

    def upload_requests(self) -> list[tuple[str, str]]:
        """(method, path) of the upload-side requests, in order."""
        with self._lock:
            return [(m, p) for m, p in self.requests if m in ("POST", "DELETE") and "/paths-info/" not in p]
