"""`lerobot-dataset-viz-html` (lerobot/scripts/visualize_dataset_html.py): the static export, the server run
as a real subprocess (`python lerobot/scripts/visualize_dataset_html.py`), a download from the (local) Hub
with --load-from-hf-hub 1, and the user errors: one line on stderr, exit status 2."""

import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.fixtures,
    pytest.mark.skipif(
        importlib.util.find_spec("flask") is None, reason="needs the `dataset-viz-html` extra"
    ),
]

from lerobot.scripts.visualize_dataset_html import run_cli  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "lerobot" / "scripts" / "visualize_dataset_html.py"


def fixture_root(reference_fixtures: Path, name: str) -> Path:
    return reference_fixtures / "datasets" / name


def user_error(capsys, args: list[str]) -> str:
    """Run the CLI expecting a user error; returns its one line of stderr."""
    with pytest.raises(SystemExit) as exc:
        run_cli(args)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("lerobot-dataset-viz-html: error: "), err
    return err


def test_static_export(reference_fixtures, tmp_path, capsys):
    root = fixture_root(reference_fixtures, "pusht_v21")
    out = tmp_path / "site"
    args = ["--repo-id", "local/pusht_v21", "--root", str(root), "--serve", "0", "--output-dir", str(out)]
    index = run_cli([*args, "--episodes", "4", "2"])
    assert index == out / "index.html" and index.is_file()
    assert f"Wrote {index}" in capsys.readouterr().out
    pages = sorted(p.name for p in (out / "local" / "pusht_v21").glob("episode_*.html"))
    assert pages == ["episode_2.html", "episode_4.html"]
    err = user_error(capsys, args)
    assert "--force-override 1" in err
    assert run_cli([*args, "--force-override", "1"]) == index
    assert len(list((out / "local" / "pusht_v21").glob("episode_*.html"))) == 5


def test_user_errors(reference_fixtures, tmp_path, capsys):
    root = fixture_root(reference_fixtures, "multicam_v30")
    base = ["--repo-id", "local/multicam_v30", "--root", str(root), "--serve", "0"]
    out = ["--output-dir", str(tmp_path / "out")]
    assert "'namespace/name'" in user_error(capsys, ["--repo-id", "pusht", "--root", str(root)])
    assert "--port 70000" in user_error(capsys, [*base, "--port", "70000"])
    assert "--tolerance-s" in user_error(capsys, [*base, "--tolerance-s", "-1"])
    assert "duplicates" in user_error(capsys, [*base, "--episodes", "1", "1"])
    err = user_error(capsys, [*base, *out, "--episodes", "2", "9"])
    assert "9" in err and "0-3" in err
    err = user_error(capsys, ["--repo-id", "local/nothing", "--root", str(tmp_path / "nothing"), *out])
    assert "No dataset at" in err and "--load-from-hf-hub 1" in err
    err = user_error(capsys, ["--repo-id", "someone/absent", *out])  # default root: $HF_LEROBOT_HOME/<repo>
    assert str(Path(os.environ["HF_LEROBOT_HOME"]) / "someone" / "absent") in err
    # A local copy lacking an episode's mp4: named, and nothing is downloaded without --load-from-hf-hub 1.
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)
    (copy / "videos" / "observation.images.wrist" / "chunk-000" / "file-001.mp4").unlink()
    err = user_error(capsys, ["--repo-id", "local/multicam_v30", "--root", str(copy), "--serve", "0", *out])
    assert "file-001.mp4 is missing (episode 3" in err and "--episodes" in err
    assert run_cli(
        ["--repo-id", "local/multicam_v30", "--root", str(copy), "--serve", "0", *out, "--episodes", "0"]
    )
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "a.txt").write_text("mine")
    err = user_error(capsys, [*base, "--output-dir", str(precious), "--force-override", "1"])
    assert "not written by this tool" in err and (precious / "a.txt").read_text() == "mine"
    with pytest.raises(SystemExit) as exc:  # argparse's own errors: status 2 as well
        run_cli([*base, "--serve", "2"])
    assert exc.value.code == 2


def test_load_from_hf_hub(reference_fixtures, tmp_path, monkeypatch, capsys):
    from tests.utils.hub_server import HubRepo, HubServer

    folder = fixture_root(reference_fixtures, "multicam_v30")
    root = tmp_path / "downloaded"
    args = [
        "--repo-id",
        "user/multicam",
        "--root",
        str(root),
        "--serve",
        "0",
        "--output-dir",
        str(tmp_path / "o"),
    ]
    with HubServer({"user/multicam": HubRepo(folder, tags_on_main=("v3.0",))}) as server:
        server.use(monkeypatch)
        assert "--load-from-hf-hub 1" in user_error(capsys, args)  # 0: local files only
        assert server.downloaded("user/multicam") == []
        index = run_cli([*args, "--load-from-hf-hub", "1", "--episodes", "3"])
        downloaded = server.downloaded("user/multicam")
    # Only what episode 3 needs: metadata, its data file and the two mp4 files holding it.
    assert "videos/observation.images.front/chunk-000/file-001.mp4" in downloaded
    assert "videos/observation.images.front/chunk-000/file-000.mp4" not in downloaded
    html = (index.parent / "user" / "multicam" / "episode_3.html").read_text()
    assert "videos/observation.images.wrist/chunk-000/file-001.mp4" in html


def test_server_subprocess_warns_off_localhost_and_serves(reference_fixtures, tmp_path):
    """The real script in a subprocess: --host 0.0.0.0 prints the network warning, the printed address
    answers (pages and range requests), Ctrl-C stops it cleanly."""
    root = fixture_root(reference_fixtures, "pusht_v30")
    cmd = [sys.executable, str(SCRIPT), "--repo-id", "local/pusht_v30", "--root", str(root)]
    proc = subprocess.Popen(
        [*cmd, "--host", "0.0.0.0", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        warning = proc.stderr.readline()
        assert warning.startswith("warning: --host 0.0.0.0: the dataset becomes visible on the network")
        line = proc.stdout.readline()
        match = re.search(r"http://0\.0\.0\.0:(\d+)/local/pusht_v30", line)
        assert match, line
        url = f"http://127.0.0.1:{match.group(1)}/local/pusht_v30"
        with urllib.request.urlopen(url, timeout=30) as response:  # redirected to the first episode
            assert response.url.endswith("/local/pusht_v30/episode_0")
            assert "Push the T-shaped block" in response.read().decode()
        request = urllib.request.Request(
            f"{url}/videos/observation.image/chunk-000/file-000.mp4", headers={"Range": "bytes=10-19"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 206
            video = root / "videos" / "observation.image" / "chunk-000" / "file-000.mp4"
            assert response.read() == video.read_bytes()[10:20]
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err


def test_misspelled_flag_and_busy_port(reference_fixtures, capsys):
    import socket

    err = user_error(capsys, ["--repo-id", "local/x", "--rot", "y"])
    assert "unknown flag --rot; did you mean --root?" in err
    root = fixture_root(reference_fixtures, "pusht_v21")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(SystemExit) as exc:
            run_cli(
                ["--repo-id", "local/pusht_v21", "--root", str(root), "--port", str(port), "--episodes", "0"]
            )
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"cannot listen on 127.0.0.1:{port}" in err and "--port" in err


def test_without_flask_it_says_what_to_install(monkeypatch, capsys):
    import lerobot.scripts.visualize_dataset_html as script

    real = importlib.util.find_spec
    monkeypatch.setattr(
        script.importlib.util, "find_spec", lambda name: None if name == "flask" else real(name)
    )
    err = user_error(capsys, ["--repo-id", "local/x"])
    assert "needs Flask" in err and ".[dataset-viz-html]" in err
