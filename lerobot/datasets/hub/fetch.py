"""Hub access for datasets: codebase-version revision resolution and partial downloads.

    revision = get_safe_version("user/pusht", "v3.0")      # the tag to read, e.g. "v3.0" (or "v3.0" -> "v3.0")
    download("user/pusht", root, revision, allow_patterns=["meta/"])

Datasets on the Hub carry a git tag equal to the codebase version that wrote them (`v2.1`, `v3.0`).
`get_safe_version` picks the tag to load; `download` fetches files with `huggingface_hub.snapshot_download`
(into `root`, keeping the repo layout). Every failure becomes a `HubDownloadError` (an OSError) or a
compatibility error naming the repo id and the revision, never a raw HTTP traceback.

`huggingface_hub` reads `HF_ENDPOINT` and `HF_HUB_OFFLINE` when it is imported; tests point it at a local
server with `tests/utils/hub_server.py` (`HubServer.use(monkeypatch)`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path

from packaging.version import InvalidVersion, Version

from lerobot.datasets.backward_compat import BackwardCompatibilityError, ForwardCompatibilityError

logger = logging.getLogger(__name__)

_VERSION_TAG = re.compile(r"^v\d+\.\d+$")


class HubDownloadError(OSError):
    """The Hub could not give what was asked (repo or revision missing, offline, connection failure)."""


class VersionTagError(ValueError):
    """A dataset repo has no codebase-version tag (`v2.1`, `v3.0`, ...)."""


def _network_errors() -> tuple[type[BaseException], ...]:
    """Transport-level exception bases of whichever HTTP client `huggingface_hub` uses."""
    errors: list[type[BaseException]] = [OSError]
    for module, name in (("httpx2", "HTTPError"), ("httpx", "HTTPError"), ("requests", "RequestException")):
        try:
            errors.append(getattr(__import__(module), name))
        except (ImportError, AttributeError):
            continue
    return tuple(errors)


def _is_offline() -> bool:
    from huggingface_hub import constants

    return bool(constants.HF_HUB_OFFLINE)


def _explain(error: BaseException, repo_id: str, revision: str | None, action: str) -> HubDownloadError:
    from huggingface_hub import errors

    rev = f"revision {revision!r}" if revision else "the default branch"
    if isinstance(error, errors.RevisionNotFoundError):
        why = f"the dataset repo '{repo_id}' has no {rev} (branch, tag or commit)."
    elif isinstance(error, errors.RepositoryNotFoundError):
        why = (
            f"the dataset repo '{repo_id}' does not exist on the Hub, or it is private/gated and no valid token "
            "is set (`huggingface-cli login` or HF_TOKEN)."
        )
    elif isinstance(error, errors.OfflineModeIsEnabled):
        why = "offline mode is enabled (HF_HUB_OFFLINE=1); unset it, or put a complete copy of the dataset in root."
    else:
        why = f"{type(error).__name__}: {error}"
    return HubDownloadError(f"Cannot {action} for dataset '{repo_id}' at {rev}: {why}")


def _version_tags(repo_id: str) -> list[Version]:
    from huggingface_hub import HfApi

    if _is_offline():
        raise HubDownloadError(
            f"Cannot resolve the codebase-version revision of dataset '{repo_id}': offline mode is enabled "
            "(HF_HUB_OFFLINE=1). Pass revision=... explicitly, or provide a complete local copy in root."
        )
    try:
        refs = HfApi().list_repo_refs(repo_id, repo_type="dataset")
    except _network_errors() as e:
        raise _explain(e, repo_id, None, "list tags") from e
    versions = []
    for tag in refs.tags:
        if _VERSION_TAG.match(tag.name):
            try:
                versions.append(Version(tag.name[1:]))
            except InvalidVersion:
                continue
    return versions


def get_safe_version(repo_id: str, version: str, *, readable_versions: Sequence[str] = ()) -> str:
    """The revision (a tag like `"v3.0"`) to load `repo_id` with, for a library that reads `version`.

    - the tag `version` exists -> it;
    - else the highest tag with the same major and a minor <= requested (with a warning);
    - else, the highest tag listed in `readable_versions` (older layouts the caller can also read, e.g.
      `("v2.0", "v2.1")`; empty by default, as in the reference), with a warning;
    - only older majors -> `BackwardCompatibilityError` (convert the dataset);
    - only newer versions -> `ForwardCompatibilityError`;
    - no version tags -> `VersionTagError` explaining how to tag.
    """
    if not isinstance(version, str) or not _VERSION_TAG.match(version):
        raise ValueError(f"version must look like 'v3.0', got {version!r}")
    target = Version(version[1:])
    versions = _version_tags(repo_id)
    if not versions:
        raise VersionTagError(
            f"The dataset repo '{repo_id}' has no codebase-version tag (like 'v2.1' or 'v3.0'). Datasets are "
            "loaded from the tag matching the `codebase_version` in their meta/info.json. If that is "
            f"{version!r}, tag the repo with:\n    from huggingface_hub import HfApi\n    HfApi().create_tag("
            f"'{repo_id}', tag='{version}', repo_type='dataset')\nor pass revision='main' explicitly."
        )
    if target in versions:
        return version
    compatible = [v for v in versions if v.major == target.major and v.minor <= target.minor]
    if compatible:
        best = max(compatible)
        logger.warning(
            "Dataset '%s' has no tag %s; loading the closest compatible revision v%s (same major version). "
            "It may lack features of %s.",
            repo_id,
            version,
            best,
            version,
        )
        return f"v{best}"
    readable = [v for v in versions if f"v{v}" in readable_versions]
    if readable:
        best = max(readable)
        logger.warning(
            "Dataset '%s' has no %s tag; loading its older v%s revision (readable by this library).",
            repo_id,
            version,
            best,
        )
        return f"v{best}"
    older = [v for v in versions if v.major < target.major]
    if older:
        raise BackwardCompatibilityError(repo_id, f"v{max(older)}")
    newer = [v for v in versions if v > target]
    raise ForwardCompatibilityError(repo_id, f"v{min(newer)}")


def download(
    repo_id: str,
    root: Path,
    revision: str | None,
    allow_patterns: Sequence[str] | str | None = None,
    ignore_patterns: Sequence[str] | str | None = None,
) -> None:
    """Download files of dataset `repo_id` at `revision` (None: the default branch) into `root`.

    `allow_patterns`/`ignore_patterns` are glob patterns (a pattern ending in `/` means the whole folder,
    e.g. `"meta/"`), as in `huggingface_hub.snapshot_download`. Files already present and unchanged are not
    downloaded again. A progress bar shows the transfer (disable with HF_HUB_DISABLE_PROGRESS_BARS=1).
    """
    from huggingface_hub import snapshot_download

    root = Path(root)
    what = "download files" + (f" matching {list(allow_patterns)}" if allow_patterns is not None else "")
    if _is_offline():
        raise _explain(_offline_error(), repo_id, revision, what)
    root.mkdir(parents=True, exist_ok=True)
    try:
        snapshot_download(
            repo_id,
            repo_type="dataset",
            revision=revision,
            local_dir=root,
            allow_patterns=list(allow_patterns)
            if isinstance(allow_patterns, (list, tuple))
            else allow_patterns,
            ignore_patterns=list(ignore_patterns)
            if isinstance(ignore_patterns, (list, tuple))
            else ignore_patterns,
        )
    except _network_errors() as e:
        raise _explain(e, repo_id, revision, what) from e


def _offline_error() -> BaseException:
    from huggingface_hub import errors

    return errors.OfflineModeIsEnabled("HF_HUB_OFFLINE=1")
