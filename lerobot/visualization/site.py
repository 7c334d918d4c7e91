"""The web visualizer of `lerobot-dataset-viz-html`: a Flask app, a static export and a server.

Pages (the same templates serve both; every link in them is relative, so that a page works under the
server and opened from disk):

    /                                   the datasets it can show: the given one(s) and those under
                                        $HF_LEROBOT_HOME (`<namespace>/<name>/meta/info.json`)
    /<ns>/<name>                        redirect to the first episode
    /<ns>/<name>/episode_<i>            every camera side by side (videos synchronized on one clock, PNG
                                        cameras following it), one plot of every state/action dimension
                                        (cursor follows the videos, a click seeks them), the task(s), the
                                        list of episodes with their lengths; keys: space, left/right arrows
    /<ns>/<name>/videos/...             the episode's mp4 files, with HTTP range requests (206) so that
                                        the browser can seek; only files of the shown episodes
    /<ns>/<name>/episode_<i>/images/<key>/<frame>.png   frames of `dtype: image` cameras
    /static/...                         the page's script and style, and the vendored plot library
                                        (static/vendor/, licences next to the files): nothing is fetched
                                        from the internet

Unknown datasets, episodes or files answer a 404 page that lists what exists.

`export_static_site` writes the same pages as files (`episode_<i>.html`, the mp4 files of the shown
episodes, the PNG frames, `static/`) into a folder that a browser opens from disk (file://).
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from lerobot.visualization.episode_data import DatasetView, EpisodeData, format_episode_ranges

logger = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
STATIC_DIR = PACKAGE_DIR / "static"
TEMPLATES_DIR = PACKAGE_DIR / "templates"
DYGRAPHS_DIR = "vendor/dygraphs-2.2.1"
SITE_MARKER = ".lerobot-dataset-viz-html"  # written into exported sites: --force-override replaces only those
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


class PageNotFoundError(Exception):
    """A 404 page: `message`, then `links` [(text, href)] to what exists (`status` 500: a dataset file
    that cannot be read, named in the message)."""

    def __init__(self, message: str, links: list[tuple[str, str]], status: int = 404):
        super().__init__(message)
        self.message, self.links, self.status = message, links, status


class ListenError(OSError):
    """The server cannot listen on the address (port busy, address not on this computer)."""


class DatasetRegistry:
    """The datasets the app shows: those given (repo_id -> DatasetView) and, when `home` is set, every
    dataset folder `<home>/<namespace>/<name>` with a meta/info.json (opened on first request; only its
    episodes whose files are all there are shown)."""

    def __init__(self, views: list[DatasetView], home: Path | None = None):
        self._views = {v.repo_id: v for v in views}
        self._given = list(self._views)
        self.home = Path(home) if home is not None else None
        self._errors: dict[str, str] = {}

    def repo_ids(self) -> list[str]:
        found = []
        if self.home is not None and self.home.is_dir():
            found = sorted(
                f"{p.parent.parent.parent.name}/{p.parent.parent.name}"
                for p in self.home.glob("*/*/meta/info.json")
            )
        return list(dict.fromkeys([*self._given, *found]))

    def get(self, repo_id: str) -> DatasetView | None:
        """The dataset's view; None if it is unknown or cannot be opened (see `error`)."""
        if repo_id in self._views:
            return self._views[repo_id]
        if repo_id not in self.repo_ids() or repo_id in self._errors:
            return None
        from lerobot.datasets.lerobot_dataset import LeRobotDatasetMetadata

        try:
            meta = LeRobotDatasetMetadata(repo_id, root=self.home / repo_id)
        except Exception as e:  # any unreadable folder: the page says why, the others work
            self._errors[repo_id] = f"{type(e).__name__}: {e}"
            logger.warning("Cannot open %s: %s", self.home / repo_id, self._errors[repo_id])
            return None
        view = DatasetView(meta)
        view.keep_local_episodes()  # the cache may hold only some episodes' files: show those
        self._views[repo_id] = view
        return view

    def error(self, repo_id: str) -> str | None:
        return self._errors.get(repo_id)


@dataclass(frozen=True)
class Links:
    """Relative links of the pages: under the server (`suffix=""`) or as files (`suffix=".html"`)."""

    suffix: str = ""

    def episode(self, episode_index: int) -> str:  # from a page of the same dataset
        return f"episode_{episode_index}{self.suffix}"

    def home(self) -> str:  # the index page, from an episode page
        return "../../index.html" if self.suffix else "../../"

    def dataset(self, view: DatasetView) -> str:  # from the index page
        first = view.episode_indices[0] if view.episode_indices else 0
        return f"{view.repo_id}/{self.episode(first)}" if self.suffix else view.repo_id


SERVER_LINKS = Links("")
FILE_LINKS = Links(".html")


def episode_payload(view: DatasetView, data: EpisodeData) -> dict:
    """What the page's script needs (embedded in the page: a page opened from disk cannot fetch)."""
    return {
        "repo_id": view.repo_id,
        "episode_index": data.index,
        "fps": data.fps,
        "length": data.length,
        "labels": data.labels,
        "rows": data.rows,
        "videos": [{"key": v.key, "url": v.path, "from_s": v.from_s, "to_s": v.to_s} for v in data.videos],
        "images": [
            {"key": key, "urls": [image_url(data.index, key, i) for i in range(data.length)]}
            for key in data.image_keys
        ],
    }


def image_url(episode_index: int, key: str, frame: int) -> str:
    return f"episode_{episode_index}/images/{key}/{frame}.png"


def episode_context(view: DatasetView, episode_index: int, links: Links) -> dict:
    data = view.episode(episode_index)
    return {
        "view": view,
        "meta": view.meta,
        "episode": data,
        "episodes": [(e, view.episode_length(e)) for e in view.episode_indices],
        "links": links,
        "static": "../../static",
        "dygraphs": f"../../static/{DYGRAPHS_DIR}",
        "payload": episode_payload(view, data),
    }


def create_app(registry: DatasetRegistry):
    """The Flask app serving `registry`'s datasets (see the module docstring for the routes)."""
    from flask import Flask, redirect, render_template, request, send_file

    app = Flask(
        __name__, static_folder=str(STATIC_DIR), static_url_path="/static", template_folder=str(TEMPLATES_DIR)
    )
    app.config["REGISTRY"] = registry

    @app.errorhandler(PageNotFoundError)
    def not_found(e: PageNotFoundError):
        title = "Not found" if e.status == 404 else "Cannot read the dataset"
        return render_template("not_found.html", title=title, message=e.message, links=e.links), e.status

    @app.errorhandler(404)
    def page_not_found(_error):
        links = [(r, f"/{r}") for r in registry.repo_ids()]
        return not_found(PageNotFoundError(f"Nothing at '{request.path}'. Datasets:", links))

    def lookup(namespace: str, name: str) -> DatasetView:
        repo_id = f"{namespace}/{name}"
        view = registry.get(repo_id)
        if view is None:
            why = registry.error(repo_id)
            message = f"Dataset '{repo_id}' " + (
                f"cannot be opened: {why}" if why else "is not here. Datasets:"
            )
            raise PageNotFoundError(message, [(r, f"/{r}") for r in registry.repo_ids()])
        return view

    def check_episode(view: DatasetView, episode_index: int) -> None:
        if not view.has_episode(episode_index):
            message = (
                f"Episode {episode_index} is not shown for '{view.repo_id}' (episodes: "
                f"{format_episode_ranges(view.episode_indices)})."
            )
            links = [
                (f"episode_{e} ({view.episode_length(e)} frames)", f"/{view.repo_id}/episode_{e}")
                for e in view.episode_indices
            ]
            raise PageNotFoundError(message, links)

    def read_episode(view: DatasetView, episode_index: int) -> EpisodeData:
        check_episode(view, episode_index)
        try:
            return view.episode(episode_index)
        except (OSError, ValueError) as e:  # e.g. a damaged parquet file: the page names it
            logger.warning("%s episode %d: %s", view.repo_id, episode_index, e)
            raise PageNotFoundError(f"{type(e).__name__}: {e}", [], status=500) from e

    @app.get("/")
    def index():
        views = [(r, registry.get(r), registry.error(r)) for r in registry.repo_ids()]
        return render_template("index.html", views=views, links=SERVER_LINKS, static="static")

    @app.get("/<namespace>/<name>")
    @app.get("/<namespace>/<name>/")
    def dataset(namespace: str, name: str):
        view = lookup(namespace, name)
        if not view.episode_indices:
            raise PageNotFoundError(f"Dataset '{view.repo_id}' has no episodes.", [])
        return redirect(f"/{view.repo_id}/episode_{view.episode_indices[0]}")

    @app.get("/<namespace>/<name>/episode_<int:episode_index>")
    def episode(namespace: str, name: str, episode_index: int):
        view = lookup(namespace, name)
        read_episode(view, episode_index)
        return render_template("episode.html", **episode_context(view, episode_index, SERVER_LINKS))

    @app.get("/<namespace>/<name>/episode_<int:episode_index>/images/<key>/<int:frame>.png")
    def image(namespace: str, name: str, episode_index: int, key: str, frame: int):
        data = read_episode(lookup(namespace, name), episode_index)
        if key not in data.image_keys or not 0 <= frame < data.length:
            message = (
                f"No frame {frame} of image camera '{key}' in episode {episode_index} "
                f"(image cameras: {data.image_keys}, frames 0-{data.length - 1})."
            )
            raise PageNotFoundError(message, [])
        response = app.response_class(data.image_png(key, frame), mimetype="image/png")
        response.cache_control.max_age = 3600
        return response

    @app.get("/<namespace>/<name>/<path:relpath>")
    def dataset_file(namespace: str, name: str, relpath: str):
        view = lookup(namespace, name)
        if relpath not in view.video_files():  # a whitelist: nothing else of the folder is handed out
            raise PageNotFoundError(
                f"'{relpath}' is not a video of the shown episodes of '{view.repo_id}'.", []
            )
        if not (view.root / relpath).is_file():
            raise PageNotFoundError(f"'{relpath}' of '{view.repo_id}' is not under {view.root}.", [])
        # conditional=True: werkzeug answers `Range: bytes=a-b` with 206 and exactly those bytes, and
        # If-None-Match / If-Modified-Since with 304.
        response = send_file((view.root / relpath).absolute(), mimetype="video/mp4", conditional=True)
        response.headers["Accept-Ranges"] = "bytes"
        return response

    return app


def export_static_site(
    views: list[DatasetView], output_dir: str | Path, force_override: bool = False
) -> Path:
    """Write the pages of `views` into `output_dir` (opens from disk: <output_dir>/index.html) and return
    the path of index.html.

    The site is written into a temporary sibling folder and moved into place at the end, so an
    interrupted export leaves nothing half-written. An existing `output_dir` is replaced only with
    `force_override`, and only if it is empty or a site written by this function (it holds SITE_MARKER):
    any other folder is left alone.
    """
    from flask import render_template

    output_dir = Path(output_dir)
    if output_dir.exists():
        if not output_dir.is_dir():
            raise FileExistsError(f"--output-dir {output_dir} is a file: choose a folder.")
        if any(output_dir.iterdir()):
            if not (output_dir / SITE_MARKER).is_file():
                raise FileExistsError(
                    f"--output-dir {output_dir} is not empty and was not written by this tool: choose an "
                    "empty or new folder (nothing there is deleted)."
                )
            if not force_override:
                raise FileExistsError(
                    f"--output-dir {output_dir} holds a site already: pass --force-override 1 to replace it."
                )
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.", dir=output_dir.parent))
    try:
        shutil.copytree(STATIC_DIR, tmp / "static")
        app = create_app(DatasetRegistry(views))
        with app.app_context():
            index = [(v.repo_id, v, None) for v in views]
            (tmp / "index.html").write_text(
                render_template("index.html", views=index, links=FILE_LINKS, static="static"),
                encoding="utf-8",
            )
            for view in views:
                _export_dataset(view, tmp / view.repo_id, render_template)
        (tmp / SITE_MARKER).write_text("written by lerobot-dataset-viz-html\n", encoding="utf-8")
        if output_dir.exists():
            shutil.rmtree(output_dir)
        os.replace(tmp, output_dir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return output_dir / "index.html"


def _export_dataset(view: DatasetView, folder: Path, render_template) -> None:
    folder.mkdir(parents=True)
    for rel in sorted(view.video_files()):
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(view.root / rel, folder / rel)
    for ep in view.episode_indices:
        context = episode_context(view, ep, FILE_LINKS)
        (folder / f"episode_{ep}.html").write_text(
            render_template("episode.html", **context), encoding="utf-8"
        )
        data = context["episode"]
        for key in data.image_keys:
            for frame in range(data.length):
                png = folder / image_url(ep, key, frame)
                png.parent.mkdir(parents=True, exist_ok=True)
                png.write_bytes(data.image_png(key, frame))
    if view.episode_indices:  # <ns>/<name>/index.html: the dataset's address redirects as on the server
        first = FILE_LINKS.episode(view.episode_indices[0])
        (folder / "index.html").write_text(
            f'<!doctype html><meta http-equiv="refresh" content="0; url={first}"><a href="{first}">{first}</a>\n',
            encoding="utf-8",
        )


def network_warning(host: str, port: int) -> str | None:
    if host in LOCAL_HOSTS:
        return None
    return (
        f"warning: --host {host}: the dataset becomes visible on the network to every computer that can "
        f"reach this one on port {port} (the default --host 127.0.0.1 keeps it on this computer)."
    )


def make_server(app, host: str, port: int):
    """A threaded werkzeug server for `app` (port 0: a free port, see `server.port`); ListenError
    when the address cannot be listened on."""
    import socket

    from werkzeug.serving import make_server as werkzeug_server
    from werkzeug.serving import select_address_family

    # Bind here rather than in werkzeug, which prints its own message and exits when the port is busy.
    try:
        sock = socket.create_server((host, port), family=select_address_family(host, port))
    except OSError as e:
        raise ListenError(
            f"cannot listen on {host}:{port} ({e.strerror or e}): choose another --port (0: any free port) "
            "or a --host of this computer"
        ) from e
    with sock:  # werkzeug duplicates the descriptor
        return werkzeug_server(host, port, app, threaded=True, fd=sock.fileno())


def serve(registry: DatasetRegistry, host: str = "127.0.0.1", port: int = 9090) -> None:
    """Serve the app until Ctrl-C (prints the address; warns on stderr when `host` is not local)."""
    server = make_server(create_app(registry), host, port)
    warning = network_warning(host, server.port)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    shown = f"[{host}]" if ":" in host else host
    first = registry.repo_ids()[0] if registry.repo_ids() else ""
    print(f"Serving on http://{shown}:{server.port}/{first}  (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
