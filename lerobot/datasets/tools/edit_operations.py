"""The operations of `lerobot-edit-dataset` as configs (`--operation.type=<name>` with its fields as
`--operation.<field>`) and `run(EditDatasetConfig)`, which calls the edits of `lerobot/datasets/tools/edits.py`
(in place: the new dataset is written beside the old one and swapped in by renames, the old one kept as
`<root>.backup-<time>` unless `keep_backup=False`), the checker (`check.py`) or the summary (`info.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import draccus


@dataclass
class OperationConfig(draccus.ChoiceRegistry):
    @property
    def type(self) -> str:
        return self.get_choice_name(self.__class__)


@OperationConfig.register_subclass("delete_episodes")
@dataclass
class DeleteEpisodesConfig(OperationConfig):
    # Episode indices to delete, e.g. '[0, 2]'.
    episode_indices: list[int] = field(default_factory=list)


@OperationConfig.register_subclass("split")
@dataclass
class SplitConfig(OperationConfig):
    # Split name -> fraction (all summing to 1) or episode list, e.g. '{train: 0.8, val: 0.2}'.
    splits: dict[str, Any] = field(default_factory=dict)


@OperationConfig.register_subclass("merge")
@dataclass
class MergeConfig(OperationConfig):
    # Datasets to merge (repo ids; each found under $HF_LEROBOT_HOME unless `roots` gives its folder).
    repo_ids: list[str] = field(default_factory=list)
    # Their folders, in the order of repo_ids (optional).
    roots: list[str] | None = None


@OperationConfig.register_subclass("remove_feature")
@dataclass
class RemoveFeatureConfig(OperationConfig):
    # Features to remove, e.g. '[observation.images.wrist]'.
    feature_names: list[str] = field(default_factory=list)


@OperationConfig.register_subclass("add_feature")
@dataclass
class AddFeatureConfig(OperationConfig):
    # Name of the new feature.
    feature_name: str = ""
    # A .npy file (one row per frame, in index order) or a parquet file.
    values_path: str = ""
    # Column of the parquet file (default: feature_name).
    column: str | None = None
    # dtype of the feature (float32, int64, bool, ...).
    dtype: str = "float32"
    # Shape of one frame's value.
    shape: list[int] = field(default_factory=lambda: [1])
    # Names of the dimensions (optional).
    names: list[str] | None = None


@OperationConfig.register_subclass("modify_tasks")
@dataclass
class ModifyTasksConfig(OperationConfig):
    # Task of every episode (optional).
    new_task: str | None = None
    # Episode index -> task, e.g. '{0: Pick the cube, 3: Place it}' (wins over new_task).
    episode_tasks: dict[int, str] | None = None


@OperationConfig.register_subclass("convert_image_to_video")
@dataclass
class ConvertImageToVideoConfig(OperationConfig):
    # Video codec, as the writer's (lerobot/datasets/video_encoding.py): libsvtav1, h264, hevc.
    vcodec: str = "libsvtav1"
    # Pixel format of the encoded frames.
    pix_fmt: str = "yuv420p"
    # Keyframe interval in frames (GOP size); a small value keeps seeking cheap.
    g: int | None = 2
    # Constant rate factor: lower is higher quality and larger files.
    crf: int | None = 30


@OperationConfig.register_subclass("reencode")
@dataclass
class ReencodeConfig(ConvertImageToVideoConfig):
    # Video features to re-encode (default: all).
    video_keys: list[str] | None = None


@OperationConfig.register_subclass("info")
@dataclass
class InfoConfig(OperationConfig):
    # Also list every feature with its dtype and shape.
    show_features: bool = False


@OperationConfig.register_subclass("check")
@dataclass
class CheckConfig(OperationConfig):
    # Repair what is safe to repair (totals, stats) through the crash-safe commit.
    fix: bool = False


@dataclass
class EditDatasetConfig:
    # The edit: --operation.type=delete_episodes|split|merge|remove_feature|add_feature|modify_tasks|
    # convert_image_to_video|reencode|info|check, with its fields as --operation.<field>.
    operation: OperationConfig
    # The dataset to edit (its folder is --root, or $HF_LEROBOT_HOME/<repo_id>).
    repo_id: str | None = None
    # The dataset folder (or a folder holding <repo_id>/).
    root: str | None = None
    # Write the result as this new dataset instead of editing in place.
    new_repo_id: str | None = None
    # Folder of the new dataset (default: $HF_LEROBOT_HOME/<new_repo_id>).
    new_root: str | None = None
    # Upload the result to the Hub as new_repo_id (or repo_id).
    push_to_hub: bool = False
    # In-place edits keep the old dataset as <root>.backup-<time>; false deletes it after the swap.
    keep_backup: bool = True


class DatasetProblemsError(Exception):
    """`--operation.type=check` found problems (exit code 1, as lerobot-dataset-check)."""


def _root(repo_id: str | None, root: str | None) -> Path:
    from lerobot.utils.constants import hf_lerobot_home
    from lerobot.utils.dataset_root import resolve_dataset_root

    if repo_id is None and root is None:
        raise ValueError(
            "give the dataset: --repo_id (found under $HF_LEROBOT_HOME) and/or --root (its folder)."
        )
    resolved = resolve_dataset_root(repo_id or "", root) if repo_id else Path(root)
    return resolved if resolved is not None else hf_lerobot_home() / repo_id


def _new_root(cfg: EditDatasetConfig) -> Path | None:
    from lerobot.utils.constants import hf_lerobot_home

    if cfg.new_root is not None:
        return Path(cfg.new_root)
    return hf_lerobot_home() / cfg.new_repo_id if cfg.new_repo_id else None


def run(cfg: EditDatasetConfig) -> list[Path]:
    """Run the operation; returns the dataset folders written."""
    from lerobot.datasets.tools import edits
    from lerobot.datasets.tools.info import dataset_summary
    from lerobot.datasets.video_encoding import VideoEncodingConfig

    op = cfg.operation
    new_root = _new_root(cfg)
    if isinstance(op, MergeConfig):
        if not op.repo_ids and not op.roots:
            raise ValueError("--operation.repo_ids (or --operation.roots) must list the datasets to merge.")
        roots = op.roots or [None] * len(op.repo_ids)
        ids = op.repo_ids or [None] * len(roots)
        if len(roots) != len(ids):
            raise ValueError(
                f"--operation.roots has {len(roots)} entries for {len(ids)} --operation.repo_ids."
            )
        outs = [edits.merge([_root(i, r) for i, r in zip(ids, roots, strict=True)], new_root)]
    else:
        root = _root(cfg.repo_id, cfg.root)
        keep = cfg.keep_backup
        if isinstance(op, InfoConfig):
            print(dataset_summary(root, op.show_features))
            return []
        if isinstance(op, CheckConfig):
            from lerobot.datasets.tools.check import check_dataset, fix_dataset

            problems = fix_dataset(root)[1] if op.fix else check_dataset(root)
            for p in problems:
                print(p)
            if problems:
                raise DatasetProblemsError(f"{len(problems)} problem(s) in {root} (listed above)")
            print(f"{root}: OK")
            return []
        if isinstance(op, DeleteEpisodesConfig):
            outs = [edits.delete_episodes(root, op.episode_indices, new_root, keep)]
        elif isinstance(op, SplitConfig):
            outs = list(edits.split(root, op.splits, new_root).values())
        elif isinstance(op, RemoveFeatureConfig):
            outs = [edits.remove_feature(root, op.feature_names, new_root, keep)]
        elif isinstance(op, AddFeatureConfig):
            spec = {"dtype": op.dtype, "shape": op.shape, "names": op.names}
            outs = [edits.add_feature(root, op.feature_name, op.values_path, spec, new_root, op.column, keep)]
        elif isinstance(op, ModifyTasksConfig):
            outs = [edits.modify_tasks(root, op.new_task, op.episode_tasks, new_root, keep)]
        elif isinstance(op, (ReencodeConfig, ConvertImageToVideoConfig)):
            video = VideoEncodingConfig(vcodec=op.vcodec, pix_fmt=op.pix_fmt, g=op.g, crf=op.crf)
            if isinstance(op, ReencodeConfig):
                outs = [edits.reencode(root, video, new_root, op.video_keys, keep)]
            else:
                outs = [edits.convert_image_to_video(root, new_root, video, keep)]
        else:
            raise ValueError(f"unknown --operation.type {op.type!r}")
    if cfg.push_to_hub:
        from lerobot.datasets.hub_upload import push_dataset_to_hub

        for out in outs:
            repo = cfg.new_repo_id or cfg.repo_id
            if repo is None:
                raise ValueError("--push_to_hub needs --new_repo_id (or --repo_id) to name the Hub repo.")
            if len(outs) > 1:
                repo = f"{repo}_{out.name.rsplit('_', 1)[-1]}"
            push_dataset_to_hub(out, repo)
    return outs
