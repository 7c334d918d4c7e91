"""Where a dataset lives given `--root` / `--dataset.root`: the one rule of every entry point.

`root` may be the dataset folder itself, or a folder holding `<repo_id>/` (the early README's
`--root ./my_local_data_dir` for `./my_local_data_dir/lerobot/pusht`):

    root is None                          -> None: the default, $HF_LEROBOT_HOME/<repo_id>
    root/meta/info.json exists            -> root
    root/<repo_id>/meta/info.json exists  -> root/<repo_id>
    neither (nothing local yet)           -> root, where the dataset is downloaded or created; with
                                             `several=True` (several datasets under one root, as
                                             MultiLeRobotDataset) root/<repo_id>

Used by lerobot-train (`--dataset.root`), lerobot-record `--resume=true` and lerobot-replay
(`--dataset.root`), MultiLeRobotDataset (`root`), lerobot-dataset-viz and lerobot-dataset-viz-html
(`--root`).
"""

from __future__ import annotations

from pathlib import Path

INFO = Path("meta") / "info.json"


def resolve_dataset_root(repo_id: str, root: str | Path | None, several: bool = False) -> Path | None:
    """The dataset folder for `repo_id` under the `--root` the user gave (see the module docstring)."""
    if root is None:
        return None
    root = Path(root).expanduser()
    if (root / INFO).is_file():
        return root
    nested = root / repo_id
    if (nested / INFO).is_file() or several:
        return nested
    return root


def require_local_dataset(repo_id: str, root: str | Path | None) -> Path:
    """The local folder of `repo_id` (`--local-files-only 1`), or FileNotFoundError saying where it looked."""
    from lerobot.utils.constants import hf_lerobot_home

    resolved = resolve_dataset_root(repo_id, root)
    folder = resolved if resolved is not None else hf_lerobot_home() / repo_id
    if not (folder / INFO).is_file():
        looked = [folder] if root is None or folder != Path(root) else [folder, folder / repo_id]
        raise FileNotFoundError(
            f"{repo_id} is not on this computer (no meta/info.json in {' or '.join(map(str, looked))}) and "
            "--local-files-only 1 forbids downloading it: pass --root <dataset folder, or a folder holding "
            f"{repo_id}/>, or drop --local-files-only."
        )
    return folder
