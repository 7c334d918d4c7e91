"""`lerobot-dataset-viz-html` pages through Flask's test client, on the reference v2.1 and v3.0 datasets:
routes, redirects, 404 pages that list what exists, the episode's data against the dataset, HTTP range
requests on the mp4 files, the datasets found under $HF_LEROBOT_HOME and the static export."""

import importlib.util
import io
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import numpy as np
import pytest
from PIL import Image

pytestmark = [
    pytest.mark.fixtures,
    pytest.mark.skipif(
        importlib.util.find_spec("flask") is None, reason="needs the `dataset-viz-html` extra"
    ),
]

from lerobot.visualization.episode_data import format_episode_ranges, open_dataset_view  # noqa: E402
from lerobot.visualization.site import (  # noqa: E402
    SITE_MARKER,
    DatasetRegistry,
    create_app,
    export_static_site,
    network_warning,
)

V21, V30, MULTICAM = "pusht_v21", "pusht_v30", "multicam_v30"


def fixture_root(reference_fixtures: Path, name: str) -> Path:
    return reference_fixtures / "datasets" / name


def open_view(reference_fixtures, name, episodes=None):
    return open_dataset_view(f"local/{name}", fixture_root(reference_fixtures, name), episodes)


def client_for(*views, home=None):
    return create_app(DatasetRegistry(list(views), home=home)).test_client()


def page_payload(html: str) -> dict:
    match = re.search(r"window\.LEROBOT_EPISODE = (.*?);</script>", html)
    assert match, "the episode page embeds its data"
    return json.loads(match.group(1))


class Refs(HTMLParser):
    """Every href / src of a page."""

    def __init__(self):
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.refs += [value for name, value in attrs if name in ("href", "src") and value]


def refs_of(html: str) -> list[str]:
    parser = Refs()
    parser.feed(html)
    return parser.refs


def expected_episodes(reference_fixtures, name) -> dict:
    return json.loads((reference_fixtures / "datasets" / "expected" / f"{name}_items.json").read_text())


def test_format_episode_ranges():
    assert format_episode_ranges([7, 0, 1, 2, 5, 8]) == "0-2, 5, 7-8"
    assert format_episode_ranges([]) == "none"


def test_index_redirect_and_v21_episode_page(reference_fixtures):
    view = open_view(reference_fixtures, V21)
    client = client_for(view)
    index = client.get("/").get_data(as_text=True)
    assert 'href="local/pusht_v21"' in index and "v2.1" in index
    response = client.get("/local/pusht_v21")
    assert response.status_code == 302 and response.headers["Location"] == "/local/pusht_v21/episode_0"

    response = client.get("/local/pusht_v21/episode_1")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Push the T block to the green goal area." in html  # the task of episode 1
    # The list of episodes with their lengths.
    lengths = [row["length"] for row in expected_episodes(reference_fixtures, V21)["episodes_table"]]
    for i, length in enumerate(lengths):
        assert f'href="episode_{i}">episode_{i}</a> <span class="length">{length} frames</span>' in html
    payload = page_payload(html)
    # v2.1: one mp4 per episode, played from its start.
    assert payload["videos"] == [
        {
            "key": "observation.image",
            "url": "videos/chunk-000/observation.image/episode_000001.mp4",
            "from_s": 0.0,
            "to_s": pytest.approx(lengths[1] / 10),
        }
    ]
    assert payload["labels"][:3] == ["time", "state/motor_0", "state/motor_1"]
    assert "action/motor_0" in payload["labels"]
    assert len(payload["rows"]) == lengths[1]
    # Every script and style of the page is served by the app itself (nothing from the internet).
    for ref in refs_of(html):
        assert not ref.startswith(("http:", "https:", "//")), ref
        if ref.endswith((".js", ".css")):
            assert client.get(urljoin("/local/pusht_v21/episode_1", ref)).status_code == 200, ref


def test_v30_multicam_page_data_matches_the_dataset(reference_fixtures):
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    view = open_view(reference_fixtures, MULTICAM)
    client = client_for(view)
    html = client.get("/local/multicam_v30/episode_2").get_data(as_text=True)
    payload = page_payload(html)
    table = {
        row["episode_index"]: row for row in expected_episodes(reference_fixtures, MULTICAM)["episodes_table"]
    }
    row = table[2]
    # Both video cameras, each with its own file and segment (v3.0: several episodes per mp4).
    assert [v["key"] for v in payload["videos"]] == ["observation.images.front", "observation.images.wrist"]
    for video in payload["videos"]:
        key = video["key"]
        assert video["url"] == (
            f"videos/{key}/chunk-{row[f'videos/{key}/chunk_index']:03d}/"
            f"file-{row[f'videos/{key}/file_index']:03d}.mp4"
        )
        assert video["from_s"] == row[f"videos/{key}/from_timestamp"]
        assert video["to_s"] == row[f"videos/{key}/to_timestamp"]
        assert f'src="{video["url"]}"' in html
    assert payload["videos"][0]["from_s"] != payload["videos"][1]["from_s"]  # the page must sync both
    # The PNG camera, frame by frame.
    assert [image["key"] for image in payload["images"]] == ["observation.images.top"]
    ds = LeRobotDataset("local/multicam_v30", root=fixture_root(reference_fixtures, MULTICAM), episodes=[2])
    assert len(payload["rows"]) == ds.num_frames == 32
    # The plot: time, then every state and action dimension named after the features' names.
    names = [f"joint_{i}" for i in range(6)]
    assert payload["labels"] == ["time"] + [f"state/{n}" for n in names] + [f"action/{n}" for n in names]
    rows = np.asarray(payload["rows"])
    frames = ds.hf_dataset
    state = np.stack([frames[i]["observation.state"].numpy() for i in range(ds.num_frames)])
    action = np.stack([frames[i]["action"].numpy() for i in range(ds.num_frames)])
    timestamps = np.asarray([float(frames[i]["timestamp"]) for i in range(ds.num_frames)])
    np.testing.assert_allclose(rows[:, 0], timestamps, rtol=1e-6)
    np.testing.assert_allclose(rows[:, 1:7], state, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(rows[:, 7:], action, rtol=1e-6, atol=1e-7)

    for frame in (0, 31):
        response = client.get(f"/local/multicam_v30/{payload['images'][0]['urls'][frame]}")
        assert response.status_code == 200 and response.mimetype == "image/png"
        decoded = np.asarray(Image.open(io.BytesIO(response.data)))
        ds.return_uint8 = True
        item = ds[frame]
        assert np.array_equal(decoded, item["observation.images.top"].permute(1, 2, 0).numpy())
    assert client.get("/local/multicam_v30/episode_2/images/observation.images.top/32.png").status_code == 404


def test_unknown_dataset_episode_and_files_are_404_pages_that_say_what_exists(reference_fixtures):
    view = open_view(reference_fixtures, MULTICAM, episodes=[1, 3])
    client = client_for(view)
    response = client.get("/local/multicam_v30/episode_0")  # in the dataset, not among --episodes
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Episode 0 is not shown for &#39;local/multicam_v30&#39; (episodes: 1, 3)" in html
    assert 'href="/local/multicam_v30/episode_1">episode_1 (33 frames)' in html
    assert client.get("/local/multicam_v30/episode_99").status_code == 404
    assert client.get("/local/multicam_v30").headers["Location"] == "/local/multicam_v30/episode_1"

    response = client.get("/someone/else/episode_0")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Dataset &#39;someone/else&#39; is not here" in html and 'href="/local/multicam_v30"' in html
    assert client.get("/a/b/c/d").status_code == 404
    # Only the mp4 files of the shown episodes are handed out: not the metadata, not other files.
    for path in (
        "meta/info.json",
        "data/chunk-000/file-000.parquet",
        "videos/observation.images.front/chunk-000/file-002.mp4",
        "videos/../meta/info.json",
    ):
        assert client.get(f"/local/multicam_v30/{path}").status_code == 404, path
    # Episode 3 plays file-001 of both cameras; episode 1 file-000: both served, nothing else.
    assert view.video_files() == {
        f"videos/observation.images.{cam}/chunk-000/file-00{i}.mp4"
        for cam in ("front", "wrist")
        for i in (0, 1)
    }
    only_ep2 = open_view(reference_fixtures, MULTICAM, episodes=[2])  # front file-001, wrist file-000
    assert only_ep2.video_files() == {
        "videos/observation.images.front/chunk-000/file-001.mp4",
        "videos/observation.images.wrist/chunk-000/file-000.mp4",
    }
    other = client_for(only_ep2).get(
        "/local/multicam_v30/videos/observation.images.front/chunk-000/file-000.mp4"
    )
    assert other.status_code == 404


def test_video_range_requests(reference_fixtures):
    view = open_view(reference_fixtures, V30)
    client = client_for(view)
    rel = "videos/observation.image/chunk-000/file-000.mp4"
    data = (fixture_root(reference_fixtures, V30) / rel).read_bytes()
    url = f"/local/pusht_v30/{rel}"
    full = client.get(url)
    assert full.status_code == 200 and full.data == data and full.headers["Accept-Ranges"] == "bytes"
    assert full.mimetype == "video/mp4"
    n = len(data)
    for header, (start, stop) in {
        "bytes=0-0": (0, 1),
        "bytes=100-4195": (100, 4196),
        f"bytes={n - 1000}-": (n - 1000, n),
        "bytes=-77": (n - 77, n),
        f"bytes=50000-{n + 500}": (50000, n),
    }.items():
        response = client.get(url, headers={"Range": header})
        assert response.status_code == 206, header
        assert response.headers["Content-Range"] == f"bytes {start}-{stop - 1}/{n}", header
        assert response.data == data[start:stop], header
        assert int(response.headers["Content-Length"]) == stop - start
    assert client.get(url, headers={"Range": f"bytes={n + 10}-"}).status_code == 416


def test_datasets_under_hf_lerobot_home_are_listed_and_shown(reference_fixtures, tmp_path):
    view = open_view(reference_fixtures, MULTICAM)
    home = tmp_path / "home"
    shutil.copytree(fixture_root(reference_fixtures, V21), home / "someone" / "pusht")
    # A partly downloaded cache: episode 0's mp4 is not there, so episode 0 is not shown.
    (
        home / "someone" / "pusht" / "videos" / "chunk-000" / "observation.image" / "episode_000000.mp4"
    ).unlink()
    (home / "broken" / "ds" / "meta").mkdir(parents=True)
    (home / "broken" / "ds" / "meta" / "info.json").write_text("{not json")
    (home / "stray_file_tree" / "x").mkdir(parents=True)  # no meta/info.json: not a dataset
    client = client_for(view, home=home)
    index = client.get("/").get_data(as_text=True)
    assert index.index("local/multicam_v30") < index.index("broken/ds") < index.index("someone/pusht")
    assert "stray_file_tree" not in index
    assert 'href="someone/pusht"' in index
    assert "<td>4 of 5</td>" in index
    assert client.get("/someone/pusht").headers["Location"] == "/someone/pusht/episode_1"
    assert client.get("/someone/pusht/episode_0").status_code == 404
    html = client.get("/someone/pusht/episode_4").get_data(as_text=True)
    assert "episode_000004.mp4" in html
    rel = "videos/chunk-000/observation.image/episode_000004.mp4"
    assert client.get(f"/someone/pusht/{rel}", headers={"Range": "bytes=0-9"}).status_code == 206
    response = client.get("/broken/ds/episode_0")
    assert response.status_code == 404
    assert "Dataset &#39;broken/ds&#39; cannot be opened" in response.get_data(as_text=True)
    assert "broken/ds" in client.get("/").get_data(as_text=True)  # still listed, with the reason
    # A damaged data file: that episode's page says which file, the others still work.
    (home / "someone" / "pusht" / "data" / "chunk-000" / "episode_000002.parquet").write_bytes(b"PAR1 broken")
    response = client.get("/someone/pusht/episode_2")
    assert response.status_code == 500 and "episode_000002.parquet" in response.get_data(as_text=True)
    assert client.get("/someone/pusht/episode_3").status_code == 200


def test_static_export_opens_from_disk(reference_fixtures, tmp_path):
    view = open_view(reference_fixtures, MULTICAM, episodes=[3, 1])
    out = tmp_path / "site"
    index = export_static_site([view], out)
    assert index == out / "index.html"
    base = out / "local" / "multicam_v30"
    assert sorted(p.name for p in base.glob("episode_*.html")) == ["episode_1.html", "episode_3.html"]
    assert (out / "static" / "vendor" / "dygraphs-2.2.1" / "LICENSE.txt").is_file()
    # Every link of every page points at a file of the site (relative links: no server needed).
    pages = [index, base / "index.html", *base.glob("episode_*.html")]
    for page in pages:
        for ref in refs_of(page.read_text()):
            target = (page.parent / ref.split("#")[0]).resolve()
            assert target.is_file(), f"{page.name}: {ref}"
    html = (base / "episode_3.html").read_text()
    payload = page_payload(html)
    for video in payload["videos"]:
        copied = base / video["url"]
        assert copied.read_bytes() == (fixture_root(reference_fixtures, MULTICAM) / video["url"]).read_bytes()
    for url in payload["images"][0]["urls"]:
        assert (base / url).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (base / "episode_0.html").exists()

    # A second export replaces the site only when asked to; a folder it did not write is never touched.
    with pytest.raises(FileExistsError, match="--force-override 1"):
        export_static_site([view], out)
    (base / "episode_1.html").unlink()
    export_static_site([view], out, force_override=True)
    assert (base / "episode_1.html").is_file() and (out / SITE_MARKER).is_file()
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="not written by this tool"):
        export_static_site([view], precious, force_override=True)
    assert (precious / "notes.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["precious", "site"]  # no temporary folder left


def test_network_warning():
    assert network_warning("127.0.0.1", 9090) is None
    warning = network_warning("0.0.0.0", 8000)
    assert "visible on the network" in warning and "8000" in warning


def test_root_may_hold_the_repo_id_folder(reference_fixtures, tmp_path):
    """`--root` follows the rule of every entry point (lerobot/utils/dataset_root.py): the dataset folder
    itself, or a folder holding `<repo_id>/`."""
    shutil.copytree(fixture_root(reference_fixtures, "pusht_v30"), tmp_path / "local" / "pusht_v30")
    nested = open_dataset_view("local/pusht_v30", tmp_path)
    direct = open_view(reference_fixtures, "pusht_v30")
    assert nested.meta.root == tmp_path / "local" / "pusht_v30"
    assert nested.episode_indices == direct.episode_indices
    with pytest.raises(FileNotFoundError, match="meta/info.json is missing"):
        open_dataset_view("local/other", tmp_path)
