"""Upload a local dataset to the Hugging Face Hub (`LeRobotDataset.push_to_hub`, version tags).

Creates the dataset repo, uploads the folder (never the temporary `images/`, `.staging/`, `*.writing` or a writer's `.writer.lock`),
writes a dataset card (tags `LeRobot` + the user's, `task_categories: [robotics]`, the parquet `configs`
entry and `info.json` embedded, as the reference's v3 card), and tags the commit with the codebase
version (`v3.0`), deleting an older tag of that name first.
"""

from __future__ import annotations

import json
from pathlib import Path

from lerobot.datasets.formats.common import INFO_PATH

CARD_TEMPLATE = """---
{yaml}---

This dataset was created using [LeRobot](https://github.com/huggingface/lerobot).

## Dataset Description

{description}

- **License:** {license}

## Dataset Structure

[meta/info.json](meta/info.json):
```json
{info}
```
"""


def dataset_card(
    info: dict, tags: list[str] | None = None, license: str | None = "apache-2.0", **card_kwargs
) -> str:
    """The README.md of a pushed dataset (YAML metadata header + description + info.json)."""
    all_tags = ["LeRobot", *[t for t in (tags or []) if t != "LeRobot"]]
    lines = []
    if license:
        lines.append(f"license: {license}")
    lines.append("task_categories:\n- robotics")
    lines.append("tags:\n" + "".join(f"- {json.dumps(t)}\n" for t in all_tags).rstrip("\n"))
    lines.append("configs:\n- config_name: default\n  data_files: data/*/*.parquet")
    yaml = "\n".join(lines) + "\n"
    description = card_kwargs.get("dataset_description") or "More information needed"
    return CARD_TEMPLATE.format(
        yaml=yaml, description=description, license=license or "unknown", info=json.dumps(info, indent=4)
    )


def push_dataset_to_hub(
    root: Path | str,
    repo_id: str,
    branch: str | None = None,
    tags: list[str] | None = None,
    license: str | None = "apache-2.0",
    tag_version: bool = True,
    push_videos: bool = True,
    private: bool = False,
    allow_patterns: list[str] | str | None = None,
    upload_large_folder: bool = False,
    **card_kwargs,
) -> str:
    """Upload the dataset at `root` to the Hub dataset repo `repo_id`; returns the repo URL."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError, RevisionNotFoundError

    root = Path(root)
    info_path = root / INFO_PATH
    if not info_path.is_file():
        raise FileNotFoundError(f"Cannot push {root}: {info_path} does not exist (is it a dataset root?).")
    info = json.loads(info_path.read_text(encoding="utf-8"))
    staging = root / ".staging"
    # An empty .staging/ is harmless (a discarded streaming-encoded episode leaves one); one holding a save
    # or a recording means the dataset is not finished.
    if staging.is_dir() and any(staging.iterdir()):
        raise RuntimeError(
            f"Cannot push {root}: a save is in progress or was interrupted ({staging} is not empty: "
            f"{sorted(p.name for p in staging.iterdir())}); call finalize() or run "
            "lerobot.datasets.writing.writer.recover(root) first."
        )
    api = HfApi()
    repo_url = api.create_repo(repo_id, private=private, repo_type="dataset", exist_ok=True)
    if branch:
        api.create_branch(repo_id, branch=branch, repo_type="dataset", exist_ok=True)
    ignore = ["images/*", ".staging/*", "*.writing", ".writer.lock"] + ([] if push_videos else ["videos/*"])
    upload_kwargs = {
        "repo_id": repo_id,
        "folder_path": root,
        "repo_type": "dataset",
        "revision": branch,
        "allow_patterns": allow_patterns,
        "ignore_patterns": ignore,
    }
    if upload_large_folder:
        api.upload_large_folder(**upload_kwargs)
    else:
        api.upload_folder(**upload_kwargs, commit_message=f"Upload dataset ({info.get('codebase_version')})")
    card = dataset_card(info, tags=tags, license=license, **card_kwargs)
    api.upload_file(
        path_or_fileobj=card.encode("utf-8"),
        path_in_repo="README.md",
        repo_id=repo_id,
        repo_type="dataset",
        revision=branch,
        commit_message="Dataset card",
    )
    if tag_version:
        version = info["codebase_version"]
        try:
            api.delete_tag(repo_id, tag=version, repo_type="dataset")
        except RevisionNotFoundError:
            pass  # first push: nothing to replace
        except HfHubHTTPError as e:
            if e.response is None or e.response.status_code != 404:
                raise
        api.create_tag(repo_id, tag=version, revision=branch, repo_type="dataset")
    return str(repo_url)
