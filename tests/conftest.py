"""Shared pytest fixtures.

Reference fixtures (data made by the reference LeRobot) live outside the repository, in
`../shared/fixtures/reference` next to the clone, or wherever `LEROBOT_REFERENCE_FIXTURES` points.
In a user's clone they are absent and the tests that need them skip with the reason; CI sets
`LEROBOT_REQUIRE_FIXTURES=1` (see .ci/run) so that their absence fails instead.
"""

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def reference_fixtures_dir() -> Path:
    env = os.environ.get("LEROBOT_REFERENCE_FIXTURES")
    if env:
        return Path(env)
    return REPO_ROOT.parent / "shared" / "fixtures" / "reference"


@pytest.fixture(scope="session")
def reference_fixtures() -> Path:
    """Path to the reference fixtures; skips (or fails under CI's LEROBOT_REQUIRE_FIXTURES=1) if absent."""
    path = reference_fixtures_dir()
    if not (path / "README.md").is_file():
        msg = (
            f"reference fixtures not found at {path}: clone next to a `shared/` checkout or set "
            "LEROBOT_REFERENCE_FIXTURES to the folder holding datasets/, policies/, state_dict_keys/"
        )
        if os.environ.get("LEROBOT_REQUIRE_FIXTURES") == "1":
            pytest.fail(msg)
        pytest.skip(msg)
    return path


@pytest.fixture(autouse=True)
def _isolated_lerobot_home(tmp_path_factory, monkeypatch):
    """Never read or write the user's real cache from tests."""
    home = tmp_path_factory.getbasetemp() / "hf_lerobot_home"
    monkeypatch.setenv("HF_LEROBOT_HOME", str(home))
    monkeypatch.setenv("HF_HUB_OFFLINE", os.environ.get("HF_HUB_OFFLINE", "1"))
    monkeypatch.delenv("LEROBOT_HOME", raising=False)
