"""The episode page in a real headless Chromium (the Debian `chromium` package, driven over the DevTools
protocol by tests/utils/cdp.py) against the running server, on the reference multicam v3.0 dataset:
both videos decode, play, stay synchronized and inside the episode's segment of their mp4 (episode 2 starts
at 0 s in one camera's file and at 4.53 s in the other's), the plot is drawn and its cursor follows, a click
on the plot and the arrow keys seek, and the static export plays from disk (file://). A screenshot is saved.

Without chromium the tests skip with the reason in a user's clone, and fail under CI (`.ci/run` installs it).
"""

import importlib.util
import os
import shutil
import threading
import time
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.fixtures,
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("flask") is None, reason="needs the `dataset-viz-html` extra"
    ),
]

from lerobot.visualization.episode_data import open_dataset_view  # noqa: E402
from lerobot.visualization.site import DatasetRegistry, create_app, export_static_site, make_server  # noqa: E402
from tests.utils.cdp import Chromium, find_chromium  # noqa: E402

EPISODE = 2
SEGMENT_SLACK = 1e-3  # seconds: currentTime is compared with the segment bounds of meta/episodes
VIDEOS_JS = "Array.from(document.querySelectorAll('video.camera'))"


def require_chromium() -> str:
    binary = find_chromium()
    if binary is None or importlib.util.find_spec("websocket") is None:
        msg = (
            "needs a headless chromium (Debian: apt-get install chromium) and websocket-client (the `test` "
            "extra); .ci/run installs both"
        )
        if os.environ.get("LEROBOT_REQUIRE_FIXTURES") == "1" or os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    return binary


@pytest.fixture(scope="module")
def view(reference_fixtures):
    return open_dataset_view("local/multicam_v30", reference_fixtures / "datasets" / "multicam_v30")


@pytest.fixture(scope="module")
def server_url(view):
    server = make_server(create_app(DatasetRegistry([view])), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.port}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    with Chromium(require_chromium()) as chromium:
        yield chromium


def video_states(browser) -> list[dict]:
    return browser.evaluate(
        f"{VIDEOS_JS}.map(v => ({{t: v.currentTime, paused: v.paused, w: v.videoWidth, h: v.videoHeight, "
        "ready: v.readyState, error: v.error && v.error.message}))"
    )


def load_episode(browser, url: str) -> None:
    browser.navigate(url)
    browser.wait_for(
        f"!!window.lerobotViz && {VIDEOS_JS}.length > 0 && {VIDEOS_JS}.every(v => v.readyState >= 2)",
        timeout_s=30,
        what=f"the videos of {url} to load (AV1 decoding)",
    )


def assert_in_segments(states, segments, what: str) -> None:
    for state, seg in zip(states, segments, strict=True):
        assert seg.from_s - SEGMENT_SLACK <= state["t"] <= seg.to_s + SEGMENT_SLACK, (
            what,
            seg.key,
            state,
            seg,
        )


def episode_times(states, segments) -> list[float]:
    return [state["t"] - seg.from_s for state, seg in zip(states, segments, strict=True)]


def record_extremes(browser) -> None:
    """From now on, the page records each video's lowest and highest currentTime at every animation frame
    and every `timeupdate` (window.__lows / window.__highs)."""
    browser.evaluate(
        f"(() => {{ const vs = {VIDEOS_JS}; window.__lows = vs.map(v => v.currentTime);"
        " window.__highs = window.__lows.slice();"
        " const note = () => vs.forEach((v, i) => { window.__lows[i] = Math.min(window.__lows[i], v.currentTime);"
        " window.__highs[i] = Math.max(window.__highs[i], v.currentTime); });"
        " vs.forEach(v => v.addEventListener('timeupdate', note));"
        " const loop = () => { note(); requestAnimationFrame(loop); }; loop(); })()"
    )


def plot_pixels(browser) -> int:
    """Non-transparent pixels drawn on the plot's canvases."""
    return browser.evaluate(
        "Array.from(document.querySelectorAll('#plot canvas')).reduce((n, c) => {"
        " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }, 0)"
    )


def click(browser, x: float, y: float) -> None:
    for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
        browser.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)


def press(browser, key: str, code: str, key_code: int) -> None:
    for kind in ("keyDown", "keyUp"):
        browser.send("Input.dispatchKeyEvent", type=kind, key=key, code=code, windowsVirtualKeyCode=key_code)


def test_episode_page_plays_both_cameras_in_sync_within_the_segment(browser, server_url, view, tmp_path):
    segments = view.episode(EPISODE).videos
    fps, length = view.fps, view.episode(EPISODE).length
    assert [s.key for s in segments] == ["observation.images.front", "observation.images.wrist"]
    assert segments[0].from_s != segments[1].from_s  # different offsets in different files
    load_episode(browser, f"{server_url}/local/multicam_v30/episode_{EPISODE}")

    states = video_states(browser)
    assert [(s["w"], s["h"]) for s in states] == [(64, 48), (32, 32)], states  # both decoded
    assert all(s["paused"] and s["error"] is None for s in states)
    assert_in_segments(states, segments, "before play")
    assert max(episode_times(states, segments)) < 1.0 / fps  # both at the episode's first frame
    assert plot_pixels(browser) > 2000, "the plot is drawn"
    assert browser.evaluate("document.querySelector('#task').textContent").count("Pick up the red cube.") == 1
    assert browser.evaluate("lerobotViz.graph.numRows()") == length
    assert browser.evaluate("lerobotViz.graph.getLabels().slice(1, 3)") == ["state/joint_0", "state/joint_1"]

    record_extremes(browser)
    browser.evaluate("lerobotViz.play()")
    time.sleep(0.8)
    playing = video_states(browser)
    assert not any(s["paused"] for s in playing), playing
    assert_in_segments(playing, segments, "while playing")
    times = episode_times(playing, segments)
    assert min(times) > 0.2, f"currentTime advanced after play: {times}"
    assert abs(times[0] - times[1]) < 0.2, f"the cameras are synchronized: {times}"
    # The plot's cursor follows the clock.
    cursor_x = browser.evaluate("parseFloat(document.getElementById('cursor').style.left) + 1")
    now_x = browser.evaluate("lerobotViz.graph.toDomXCoord(lerobotViz.now())")
    assert abs(cursor_x - now_x) < 20, (cursor_x, now_x)

    # Played to the end: it stops on the episode's last frame, never into the next episode of the file.
    browser.wait_for("!lerobotViz.isPlaying()", timeout_s=10, what="the episode to end")
    ended = video_states(browser)
    lows, highs = browser.evaluate("[window.__lows, window.__highs]")
    for low, high, seg in zip(lows, highs, segments, strict=True):  # at every animation frame of the play
        assert seg.from_s - SEGMENT_SLACK <= low and high <= seg.to_s + SEGMENT_SLACK, (seg, low, high)
    assert_in_segments(ended, segments, "after the end")
    assert all(t > (length - 2) / fps for t in episode_times(ended, segments)), ended
    assert browser.evaluate("lerobotViz.frameAt(lerobotViz.now())") == length - 1

    # A click on the plot at t = 1.0 s seeks every camera there.
    x, y = browser.evaluate(
        "(() => { const g = lerobotViz.graph, r = document.getElementById('plot').getBoundingClientRect(),"
        " a = g.getArea(); return [r.left + g.toDomXCoord(1.0), r.top + a.y + a.h / 2]; })()"
    )
    click(browser, x, y)
    browser.wait_for("Math.abs(lerobotViz.now() - 1.0) < 0.1", timeout_s=5, what="the click to seek")
    seeked = video_states(browser)
    for t in episode_times(seeked, segments):
        assert abs(t - 1.0) < 0.1, seeked
    # Arrows: one frame forward / back; space: play.
    frame = browser.evaluate("lerobotViz.frameAt(lerobotViz.now())")
    press(browser, "ArrowRight", "ArrowRight", 39)
    browser.wait_for(
        f"lerobotViz.frameAt(lerobotViz.now()) === {frame + 1}", timeout_s=5, what="one frame on"
    )
    press(browser, "ArrowLeft", "ArrowLeft", 37)
    press(browser, "ArrowLeft", "ArrowLeft", 37)
    browser.wait_for(f"lerobotViz.frameAt(lerobotViz.now()) === {frame - 1}", timeout_s=5, what="two back")
    press(browser, " ", "Space", 32)
    browser.wait_for("lerobotViz.isPlaying()", timeout_s=5, what="space to play")
    press(browser, " ", "Space", 32)
    browser.wait_for("!lerobotViz.isPlaying()", timeout_s=5, what="space to pause")
    assert_in_segments(video_states(browser), segments, "after seeking")

    browser.evaluate("lerobotViz.seek(1.4)")
    time.sleep(0.3)
    shot = browser.screenshot(tmp_path / "visualize_dataset_html.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    target = os.environ.get("LEROBOT_SCREENSHOT")  # e.g. docs/images/visualize_dataset_html.png
    if target:
        shutil.copyfile(shot, target)
    assert not [m for m in browser.console if m.startswith("exception")], browser.console


def test_static_export_plays_from_disk(browser, view, tmp_path):
    index = export_static_site([view], tmp_path / "site")
    page = index.parent / "local" / "multicam_v30" / f"episode_{EPISODE}.html"
    load_episode(browser, page.resolve().as_uri())
    segments = view.episode(EPISODE).videos
    assert plot_pixels(browser) > 2000
    browser.evaluate("lerobotViz.play()")
    time.sleep(0.6)
    states = video_states(browser)
    assert_in_segments(states, segments, "from disk")
    assert min(episode_times(states, segments)) > 0.1, states
    browser.evaluate("lerobotViz.pause()")
    # The PNG camera follows from disk too.
    frame = browser.evaluate("lerobotViz.frameAt(lerobotViz.now())")
    assert frame > 0
    src = browser.wait_for(
        f"(() => {{ const img = document.querySelector('img.image-camera');"
        f" return img.complete && img.naturalWidth === 40 && img.src.endsWith('/{frame}.png') && img.src; }})()",
        timeout_s=5,
        what=f"the PNG camera to show frame {frame}",
    )
    assert src.startswith("file://") and Path(src.removeprefix("file://")).is_file()


def test_image_only_dataset_plays_on_the_wall_clock(browser, tmp_path):
    """A dataset written by this library with PNG cameras only: no video to follow, so the page's own
    clock plays the frames, and stops on the last one."""
    from tests.datasets.factories import make_dataset

    root = make_dataset(
        tmp_path / "images",
        n_episodes=2,
        episode_length=[12, 9],
        fps=10,
        use_videos=False,
        camera_shape=(16, 16, 3),
        state_dim=2,
    )
    view = open_dataset_view("local/images", root)
    server = make_server(create_app(DatasetRegistry([view])), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        browser.navigate(f"http://127.0.0.1:{server.port}/local/images/episode_1")
        browser.wait_for("!!window.lerobotViz", what="the page script")
        assert browser.evaluate("document.querySelectorAll('video').length") == 0
        assert plot_pixels(browser) > 500
        browser.evaluate("lerobotViz.play()")
        browser.wait_for("lerobotViz.frameAt(lerobotViz.now()) >= 3", timeout_s=5, what="the clock to run")
        browser.wait_for("!lerobotViz.isPlaying()", timeout_s=5, what="the episode to end")
        assert browser.evaluate("lerobotViz.frameAt(lerobotViz.now())") == 8
        src = browser.wait_for(
            "(() => { const img = document.querySelector('img.image-camera');"
            " return img.complete && img.naturalWidth === 16 && img.src; })()",
            timeout_s=5,
            what="the PNG camera's last frame",
        )
        assert src.endswith("/local/images/episode_1/images/observation.image/8.png"), src
    finally:
        server.shutdown()
        server.server_close()
