"""A small, real HTTP server speaking the part of the Hugging Face Hub API that `huggingface_hub` uses to
download: tests run the real client (`snapshot_download`, `hf_hub_download`, `HfApi().list_repo_refs`,
`list_repo_files`, `list_repo_tree`, `repo_info`/`dataset_info`/`model_info`, `get_paths_info`) against
local folders, offline.

    repos = {"user/pusht": HubRepo(dataset_dir, tags=["v3.0"])}
    with HubServer(repos) as server:
        server.use(monkeypatch)            # point huggingface_hub at the server, online mode
        snapshot_download("user/pusht", repo_type="dataset", local_dir=tmp)
        server.downloaded("user/pusht")    # -> ["meta/info.json", ...] files served by GET

Endpoints (repo type `datasets`, `models` or `spaces`; model repos have no prefix in resolve URLs):

    GET  /api/{type}s/{repo_id}[/revision/{rev}]      repo info (sha, siblings)
    GET  /api/{type}s/{repo_id}/refs                  branches and tags
    GET  /api/{type}s/{repo_id}/tree/{rev}[/{path}]   listing (?recursive=true)
    POST /api/{type}s/{repo_id}/paths-info/{rev}      info on given paths
    HEAD|GET /[{type}s/]{repo_id}/resolve/{rev}/{path}  file (ETag, X-Repo-Commit, Content-Length, Range)

Errors carry the `X-Error-Code` header the client maps to exceptions: `RepoNotFound` ->
RepositoryNotFoundError, `RevisionNotFound` -> RevisionNotFoundError, `EntryNotFound` ->
RemoteEntryNotFoundError.

Pointing the client at the server: `huggingface_hub` reads `HF_ENDPOINT` and `HF_HUB_OFFLINE` once, at
import, into `huggingface_hub.constants` (`ENDPOINT`, `HUGGINGFACE_CO_URL_TEMPLATE`, `HF_HUB_OFFLINE`), and
`HfApi()` copies `constants.ENDPOINT` when constructed. Setting the environment variables in a test is
therefore not enough: `HubServer.use(monkeypatch)` patches those constants (and the environment variables,
for subprocesses) for the duration of the test. It binds to 127.0.0.1 only.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

REPO_TYPES = ("model", "dataset", "space")


@dataclass
class HubRepo:
    """A repo served from local folders.

    `folder` is the `main` branch. `branches`/`tags` map more ref names to folders (a tag may point to the
    same folder as a branch, or to another one: e.g. `{"v2.1": old_dir, "v3.0": new_dir}`). With
    `tags_on_main=("v3.0",)` the tags point at `main`'s folder. A `private` repo is reported as such and,
    as on the Hub, hidden (404 RepoNotFound) from requests without an `Authorization` header.
    """

    folder: Path | None = None
    repo_type: str = "dataset"
    branches: dict[str, Path] = field(default_factory=dict)
    tags: dict[str, Path] = field(default_factory=dict)
    tags_on_main: tuple[str, ...] = ()
    private: bool = False

    def __post_init__(self):
        if self.repo_type not in REPO_TYPES:
            raise ValueError(f"repo_type must be one of {REPO_TYPES}, got {self.repo_type!r}")
        self.branches = {name: Path(p) for name, p in self.branches.items()}
        if self.folder is not None:
            self.branches.setdefault("main", Path(self.folder))
        self.tags = {name: Path(p) for name, p in self.tags.items()}
        for tag in self.tags_on_main:
            if "main" not in self.branches:
                raise ValueError(f"tags_on_main={self.tags_on_main} needs a `folder` (the main branch)")
            self.tags[tag] = self.branches["main"]
        for name, path in {**self.branches, **self.tags}.items():
            if not path.is_dir():
                raise ValueError(f"revision {name!r} points to {path}, which is not a folder")


def _commit_sha(repo_id: str, folder: Path) -> str:
    return hashlib.sha1(f"{repo_id}\0{folder.resolve()}".encode()).hexdigest()


def _files(folder: Path) -> list[str]:
    return sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and ".cache" not in p.relative_to(folder).parts
    )


class HubServer:
    """Serve `repos` (repo_id -> HubRepo or a folder, taken as a dataset repo) on 127.0.0.1:<free port>."""

    # A subclass of `_Handler` with more routes (tests/utils/upload_hub.py: uploads); None: `_Handler`.
    handler_class: type[BaseHTTPRequestHandler] | None = None

    def __init__(self, repos: dict[str, HubRepo | Path | str]):
        self.repos: dict[str, HubRepo] = {
            repo_id: repo if isinstance(repo, HubRepo) else HubRepo(Path(repo))
            for repo_id, repo in repos.items()
        }
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request, in order
        self._downloads: list[tuple[str, str, str]] = []  # (repo_id, revision, file) served by GET
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- life cycle ---
    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("HubServer is not started: use it as a context manager")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> HubServer:
        server = self

        class Handler(self.handler_class or _Handler):
            hub = server

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name="hub-server", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join(timeout=5)
            self._httpd = None

    def use(self, monkeypatch) -> None:
        """Point `huggingface_hub` at this server and enable online mode, undone at test teardown."""
        from huggingface_hub import constants

        monkeypatch.setenv("HF_ENDPOINT", self.url)
        monkeypatch.setenv("HF_HUB_OFFLINE", "0")
        monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
        monkeypatch.setattr(constants, "ENDPOINT", self.url)
        monkeypatch.setattr(
            constants, "HUGGINGFACE_CO_URL_TEMPLATE", self.url + "/{repo_id}/resolve/{revision}/{filename}"
        )
        monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
        monkeypatch.setattr(constants, "HF_HUB_DISABLE_TELEMETRY", True)

    # --- bookkeeping ---
    def downloaded(self, repo_id: str | None = None) -> list[str]:
        """Files served by GET (not HEAD), in order, optionally for one repo."""
        with self._lock:
            return [f for r, _, f in self._downloads if repo_id is None or r == repo_id]

    def clear_log(self) -> None:
        with self._lock:
            self.requests.clear()
            self._downloads.clear()

    # --- repo lookups ---
    def resolve(self, repo: HubRepo, repo_id: str, revision: str) -> tuple[str, Path] | None:
        """Revision (branch, tag, or commit sha) -> (commit sha, folder), or None."""
        for refs in (repo.branches, repo.tags):
            if revision in refs:
                return _commit_sha(repo_id, refs[revision]), refs[revision]
        for folder in {*repo.branches.values(), *repo.tags.values()}:
            if _commit_sha(repo_id, folder) == revision:
                return revision, folder
        return None


class _Handler(BaseHTTPRequestHandler):
    hub: HubServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # quiet
        pass

    # --- responses ---
    def _send(self, status: int, body: bytes = b"", headers: dict | None = None, head: bool = False) -> None:
        self.send_response(status)
        headers = {"Content-Type": "application/json", **(headers or {})}
        headers.setdefault("Content-Length", str(len(body)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if body and not head:
            self.wfile.write(body)

    def _json(self, data, status: int = 200) -> None:
        self._send(status, json.dumps(data).encode())

    def _error(self, status: int, code: str, message: str, extra: dict | None = None, head: bool = False):
        body = json.dumps({"error": message}).encode()
        self._send(
            status, body, {"X-Error-Code": code, "X-Error-Message": message, **(extra or {})}, head=head
        )

    # --- routing ---
    def _split_repo(self, parts: list[str]) -> tuple[str, HubRepo, list[str]] | None:
        for n in (2, 1):
            repo_id = "/".join(parts[:n])
            repo = self.hub.repos.get(repo_id)
            if repo is not None and not (repo.private and not self.headers.get("Authorization")):
                return repo_id, repo, parts[n:]
        return None

    def _route(self, method: str) -> None:
        url = urlsplit(self.path)
        parts = [unquote(p) for p in url.path.split("/") if p]
        query = parse_qs(url.query)
        with self.hub._lock:
            self.hub.requests.append((method, self.path))
        if len(parts) >= 2 and parts[0] == "api" and parts[1].rstrip("s") in REPO_TYPES:
            return self._api(method, parts[1].rstrip("s"), parts[2:], query)
        repo_type = "model"
        if parts and parts[0].rstrip("s") in ("dataset", "space"):
            repo_type, parts = parts[0].rstrip("s"), parts[1:]
        found = self._split_repo(parts)
        if found and len(found[2]) >= 2 and found[2][0] == "resolve" and found[1].repo_type == repo_type:
            repo_id, repo, rest = found
            return self._resolve(method, repo_id, repo, rest[1], "/".join(rest[2:]))
        self._error(404, "NotFound", f"Unknown route {url.path}", head=method == "HEAD")

    def do_GET(self):
        self._route("GET")

    def do_HEAD(self):
        self._route("HEAD")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self._body = self.rfile.read(length) if length else b""
        self._route("POST")

    # --- API ---
    def _api(self, method: str, repo_type: str, parts: list[str], query: dict) -> None:
        found = self._split_repo(parts)
        if found is None or found[1].repo_type != repo_type:
            return self._error(
                404, "RepoNotFound", f"Repository {'/'.join(parts[:2])} ({repo_type}) not found"
            )
        repo_id, repo, rest = found
        if not rest or rest[0] == "revision":
            revision = rest[1] if len(rest) > 1 else "main"
            return self._repo_info(repo_id, repo, revision, blobs="blobs" in query)
        if rest[0] == "refs":
            return self._json(self._refs(repo_id, repo))
        if rest[0] in ("tree", "paths-info") and len(rest) >= 2:
            resolved = self.hub.resolve(repo, repo_id, rest[1])
            if resolved is None:
                return self._error(404, "RevisionNotFound", f"Invalid rev id: {rest[1]}")
            _, folder = resolved
            if rest[0] == "tree":
                recursive = query.get("recursive", ["false"])[0].lower() in ("1", "true")
                return self._tree(folder, "/".join(rest[2:]), recursive)
            if method == "POST":
                return self._paths_info(folder)
        self._error(404, "NotFound", f"Unknown API route {'/'.join(rest)}")

    def _entry(self, folder: Path, rel: str) -> dict:
        path = folder / rel
        if path.is_dir():
            return {"type": "directory", "oid": hashlib.sha1(rel.encode()).hexdigest(), "path": rel}
        data = path.read_bytes()
        return {"type": "file", "oid": hashlib.sha1(data).hexdigest(), "size": len(data), "path": rel}

    def _repo_info(self, repo_id: str, repo: HubRepo, revision: str, blobs: bool) -> None:
        resolved = self.hub.resolve(repo, repo_id, revision)
        if resolved is None:
            return self._error(404, "RevisionNotFound", f"Invalid rev id: {revision}")
        sha, folder = resolved
        siblings = []
        for rel in _files(folder):
            sibling = {"rfilename": rel}
            if blobs:
                entry = self._entry(folder, rel)
                sibling.update(size=entry["size"], blobId=entry["oid"])
            siblings.append(sibling)
        now = formatdate(usegmt=True)
        self._json(
            {
                "_id": sha[:24],
                "id": repo_id,
                "author": repo_id.split("/")[0] if "/" in repo_id else None,
                "sha": sha,
                "lastModified": "2025-01-01T00:00:00.000Z",
                "createdAt": "2025-01-01T00:00:00.000Z",
                "private": repo.private,
                "gated": False,
                "disabled": False,
                "downloads": 0,
                "likes": 0,
                "tags": [],
                "siblings": siblings,
                "_served": now,
            }
        )

    def _refs(self, repo_id: str, repo: HubRepo) -> dict:
        def ref(kind: str, name: str, folder: Path) -> dict:
            return {"name": name, "ref": f"refs/{kind}/{name}", "targetCommit": _commit_sha(repo_id, folder)}

        return {
            "branches": [ref("heads", n, f) for n, f in repo.branches.items()],
            "tags": [ref("tags", n, f) for n, f in repo.tags.items()],
            "converts": [],
            "pullRequests": [],
        }

    def _tree(self, folder: Path, sub: str, recursive: bool) -> None:
        base = folder / sub if sub else folder
        if not base.is_dir():
            return self._error(404, "EntryNotFound", f"{sub} does not exist on this revision")
        paths = base.rglob("*") if recursive else base.iterdir()
        rels = sorted(p.relative_to(folder).as_posix() for p in paths)
        self._json([self._entry(folder, rel) for rel in rels if ".cache" not in rel.split("/")])

    def _paths_info(self, folder: Path) -> None:
        body = self._body.decode()
        if self.headers.get("Content-Type", "").startswith("application/json"):
            paths = json.loads(body).get("paths", [])
        else:
            paths = parse_qs(body).get("paths", [])
        self._json([self._entry(folder, p) for p in paths if (folder / p).exists()])

    # --- files ---
    def _resolve(self, method: str, repo_id: str, repo: HubRepo, revision: str, rel: str) -> None:
        head = method == "HEAD"
        resolved = self.hub.resolve(repo, repo_id, revision)
        if resolved is None:
            return self._error(404, "RevisionNotFound", f"Invalid rev id: {revision}", head=head)
        sha, folder = resolved
        path = folder / rel
        if not rel or ".." in rel.split("/") or not path.is_file():
            return self._error(
                404, "EntryNotFound", f"{rel} does not exist on {revision}", {"X-Repo-Commit": sha}, head=head
            )
        data = path.read_bytes()
        headers = {
            "Content-Type": "application/octet-stream",
            "ETag": f'"{hashlib.sha1(data).hexdigest()}"',
            "X-Repo-Commit": sha,
            "Accept-Ranges": "bytes",
        }
        status, body = 200, data
        range_header = self.headers.get("Range")
        if range_header and range_header.startswith("bytes="):
            start_s, _, end_s = range_header[len("bytes=") :].partition("-")
            start = int(start_s or 0)
            end = int(end_s) if end_s else len(data) - 1
            body = data[start : end + 1]
            status = 206
            headers["Content-Range"] = f"bytes {start}-{start + len(body) - 1}/{len(data)}"
        headers["Content-Length"] = str(len(body))
        if not head:
            with self.hub._lock:
                self.hub._downloads.append((repo_id, revision, rel))
        self._send(status, body, headers, head=head)
