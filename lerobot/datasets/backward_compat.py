"""Codebase-version checks and the errors raised for datasets this library cannot read as they are.

Supported on-disk layouts: v2.0 and v2.1 (one parquet + one mp4 per episode) and v3.0 (many episodes per
file). v1.x datasets and versions newer than this library are refused with a message that says what to do.
"""

import re
import warnings

from packaging.version import InvalidVersion, Version

CODEBASE_VERSION = "v3.0"
"""The layout this library writes (and the newest one it reads)."""

SUPPORTED_READ_VERSIONS = ("v2.0", "v2.1", "v3.0")

_CONVERT_HINT = "python -m lerobot.datasets.convert --from v2.1 --to v3.0 SRC DST"


class BackwardCompatibilityError(Exception):
    """The dataset was written in a layout older than the ones this library reads."""

    def __init__(self, repo_id: str, version: str):
        self.repo_id = repo_id
        self.version = version
        if version.startswith("v1"):
            hint = (
                "v1.x datasets (meta_data/*.safetensors, VideoFrame columns) are not readable here. Load the "
                "v2.1 revision of this dataset from the Hub if it exists (revision='v2.1'), or convert it to "
                f"v2.1 with the reference's v1-to-v2 conversion, then to v3.0 with `{_CONVERT_HINT}`."
            )
        else:
            hint = f"Convert it with `{_CONVERT_HINT}`."
        super().__init__(
            f"Dataset '{repo_id}' is in codebase version {version}, older than the versions this library "
            f"reads ({', '.join(SUPPORTED_READ_VERSIONS)}). {hint}"
        )


class ForwardCompatibilityError(Exception):
    """The dataset was written by a newer codebase version than this library knows."""

    def __init__(self, repo_id: str, version: str):
        self.repo_id = repo_id
        self.version = version
        super().__init__(
            f"Dataset '{repo_id}' is in codebase version {version}, newer than this library reads "
            f"(newest: {CODEBASE_VERSION}). Upgrade lerobot, or load an older revision of the dataset "
            f"(e.g. revision='{CODEBASE_VERSION}')."
        )


_VERSION_RE = re.compile(r"^v\d+(\.\d+)?$")


def parse_codebase_version(version: object, source: str) -> Version:
    """`"v2.1"` -> `Version("2.1")`; a clear ValueError naming `source` (e.g. the info.json path) otherwise."""
    if not isinstance(version, str) or not _VERSION_RE.match(version):
        raise ValueError(
            f"{source}: 'codebase_version' must be a string like 'v2.1' or 'v3.0', got {version!r}."
        )
    try:
        return Version(version[1:])
    except InvalidVersion as e:  # pragma: no cover - the regex above already guards this
        raise ValueError(f"{source}: invalid 'codebase_version' {version!r}.") from e


def check_version_compatibility(repo_id: str, version: object, source: str) -> str:
    """Return the reader family (`"v2"` or `"v3"`) for a dataset's `codebase_version`, or raise.

    Majors older than 2 -> BackwardCompatibilityError; majors newer than 3 -> ForwardCompatibilityError;
    a newer minor of v3 is read with a warning.
    """
    v = parse_codebase_version(version, source)
    newest = Version(CODEBASE_VERSION[1:])
    if v.major < 2:
        raise BackwardCompatibilityError(repo_id, str(version))
    if v.major > newest.major:
        raise ForwardCompatibilityError(repo_id, str(version))
    if v.major == 2:
        if v.minor > 1:
            raise ForwardCompatibilityError(repo_id, str(version))
        return "v2"
    if v.minor > newest.minor:
        warnings.warn(
            f"Dataset '{repo_id}' is in codebase version {version}, newer than {CODEBASE_VERSION}; reading it "
            "as v3.0. Some fields may be ignored.",
            stacklevel=3,
        )
    return "v3"
