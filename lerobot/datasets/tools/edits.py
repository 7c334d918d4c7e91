"""Dataset edits as Python functions (the library behind `lerobot-edit-dataset`).

    from lerobot.datasets.tools import edits
    edits.delete_episodes("data/pusht", [0, 2], new_root="data/pusht_clean")   # a new dataset
    edits.delete_episodes("data/pusht", [0, 2])          # in place; the old one kept as data/pusht.backup-*
    edits.split("data/pusht", {"train": 0.8, "val": 0.2})  # data/pusht_train, data/pusht_val
    edits.merge(["data/day1", "data/day2"], new_root="data/all")
    edits.remove_feature(root, ["observation.images.wrist"], new_root=...)
    edits.add_feature(root, "reward", "reward.npy", {"dtype": "float32", "shape": [1], "names": None}, ...)
    edits.modify_tasks(root, new_task="Pick the cube", episode_tasks={3: "Place the cube"}, ...)
    edits.convert_image_to_video(root, new_root=...); edits.reencode(root, VideoEncodingConfig("h264"), ...)

Rules (every function): the sources are read only. `new_root=None` edits in place through
tools/swap.py (the old dataset is kept as a backup unless `keep_backup=False`). Every argument is checked
before anything is written; errors are `ValueError` / `FileNotFoundError` / `FileExistsError` naming the
argument, what was expected and how to fix it. Outputs are written by tools/rewrite.py.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import numpy as np

from lerobot.datasets.formats.common import INFO_PATH, load_json_dict, read_parquet
from lerobot.datasets.metadata import LeRobotDatasetMetadata
from lerobot.datasets.tools.rewrite import EpisodePlan, OutputSpec, SourceDataset, write_dataset
from lerobot.datasets.tools.swap import recover_edit, replace_in_place
from lerobot.datasets.utils import format_ranges
from lerobot.datasets.video_encoding import VideoEncodingConfig
from lerobot.datasets.writing.frames import STAGING_DIR

# Columns of every frame that an edit can never remove or add.
DEFAULT_FEATURES = ("timestamp", "frame_index", "episode_index", "index", "task_index")


class DatasetEditError(ValueError):
    """A user error in the arguments of an edit (nothing was written)."""


# ---------------------------------------------------------------- sources and outputs
def load_source(root: Path | str) -> SourceDataset:
    """Read (and check) the dataset at `root` for an edit: v3.0 only, no interrupted write or edit."""
    root = Path(root)
    if not (root / INFO_PATH).is_file():
        raise FileNotFoundError(
            f"{root / INFO_PATH} not found: --root must be a LeRobot dataset folder (the one holding meta/)."
        )
    recover_edit(root)
    info = load_json_dict(root / INFO_PATH)
    version = str(info.get("codebase_version", "?"))
    if version.startswith("v2"):
        raise DatasetEditError(
            f"{root} is a codebase {version} dataset; the dataset tools edit v3.0 datasets. Convert it first: "
            f"`python -m lerobot.datasets.convert --from v2.1 --to v3.0 {root} {root}_v30`, then edit {root}_v30."
        )
    if (root / STAGING_DIR).exists():
        raise DatasetEditError(
            f"{root} holds an interrupted recording ({STAGING_DIR}/): open it once with "
            "LeRobotDataset.resume(...) (which recovers it) and finalize() before editing."
        )
    meta = LeRobotDatasetMetadata(f"local/{root.name}", root=root)
    episodes = meta.episode_indices
    return SourceDataset(
        root=root,
        info=meta.info,
        tasks=list(meta.task_list),
        rows={e: meta.episode_row(e) for e in episodes},
        stats={e: meta.episodes_stats.get(e, {}) for e in episodes},
    )


def _spec(src: SourceDataset, features: dict | None = None, **kw) -> OutputSpec:
    info = src.info
    return OutputSpec(
        fps=info["fps"],
        features=features if features is not None else info["features"],
        robot_type=info.get("robot_type"),
        chunks_size=info["chunks_size"],
        data_files_size_in_mb=info["data_files_size_in_mb"],
        video_files_size_in_mb=info["video_files_size_in_mb"],
        **kw,
    )


def _check_new_root(new_root: Path, sources: list[Path]) -> None:
    new_root = Path(new_root).resolve()
    for s in sources:
        s = s.resolve()
        if new_root == s or s in new_root.parents or new_root in s.parents:
            raise DatasetEditError(
                f"new_root {new_root} overlaps the source dataset {s}: choose a folder outside it "
                "(or give no new_root to edit in place, keeping a backup)."
            )
    if new_root.exists() and any(new_root.iterdir()):
        raise FileExistsError(f"new_root {new_root} already exists and is not empty: choose another folder.")


def _write(src: SourceDataset, plans, spec, new_root, keep_backup: bool) -> Path:
    if not plans:
        raise DatasetEditError(f"The edit would leave no episode in {src.root}: refused.")
    if new_root is None or Path(new_root).resolve() == src.root.resolve():
        replace_in_place(
            src.root, lambda stage: write_dataset(src.root, plans, spec, stage=stage), keep_backup
        )
        return src.root
    _check_new_root(Path(new_root), [src.root])
    return write_dataset(new_root, plans, spec)


def _check_episodes(src: SourceDataset, indices, what: str) -> list[int]:
    if isinstance(indices, (int, np.integer)) or not all(
        isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in indices
    ):
        raise DatasetEditError(f"{what} must be a list of episode indices (ints), got {indices!r}.")
    unknown = sorted({int(i) for i in indices} - set(src.rows))
    if unknown:
        raise DatasetEditError(
            f"{what}: episode(s) {unknown} not in {src.root} (episodes: {format_ranges(sorted(src.rows))})."
        )
    return [int(i) for i in indices]


def _check_features(src: SourceDataset, names, what: str) -> list[str]:
    if isinstance(names, str) or not names:
        raise DatasetEditError(f"{what} must be a non-empty list of feature names, got {names!r}.")
    for n in names:
        if n not in src.info["features"]:
            close = difflib.get_close_matches(n, list(src.info["features"]), n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise DatasetEditError(
                f"{what}: feature '{n}' is not in {src.root} (features: {list(src.info['features'])}).{hint}"
            )
        if n in DEFAULT_FEATURES:
            raise DatasetEditError(f"{what}: '{n}' is a column every dataset needs; it cannot be removed.")
    return list(names)


# ---------------------------------------------------------------- operations
def delete_episodes(root, episode_indices, new_root=None, keep_backup: bool = True) -> Path:
    """A dataset without the episodes `episode_indices` (the others renumbered 0..N-1, in order)."""
    src = load_source(root)
    drop = set(_check_episodes(src, episode_indices, "episode_indices"))
    if not drop:
        raise DatasetEditError("episode_indices is empty: name at least one episode to delete.")
    plans = [EpisodePlan(src, e) for e in sorted(src.rows) if e not in drop]
    return _write(src, plans, _spec(src), new_root, keep_backup)


def split(root, splits: dict, output_dir=None) -> dict[str, Path]:
    """One new dataset per split: `splits` maps a name to a fraction (all fractions sum to 1; episodes are
    assigned in order) or to a list of episode indices. Written to `output_dir/<name>` (default: beside
    root as `<root name>_<name>`)."""
    src = load_source(root)
    if not isinstance(splits, dict) or not splits:
        raise DatasetEditError(
            f"splits must be a non-empty dict name -> fraction or episode list, got {splits!r}."
        )
    episodes = sorted(src.rows)
    assigned: dict[str, list[int]] = {}
    values = list(splits.values())
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        if any(v <= 0 for v in values) or abs(sum(values) - 1.0) > 1e-6:
            raise DatasetEditError(
                f"split fractions must be > 0 and sum to 1, got {splits} (sum {sum(values)})."
            )
        bounds = np.round(np.cumsum([0.0, *values]) * len(episodes)).astype(int)
        for (name, _), a, b in zip(splits.items(), bounds[:-1], bounds[1:], strict=True):
            assigned[name] = episodes[a:b]
    elif all(isinstance(v, (list, tuple)) for v in values):
        seen: dict[int, str] = {}
        for name, v in splits.items():
            assigned[name] = _check_episodes(src, v, f"splits['{name}']")
            for e in assigned[name]:
                if e in seen:
                    raise DatasetEditError(f"episode {e} is in both splits '{seen[e]}' and '{name}'.")
                seen[e] = name
    else:
        raise DatasetEditError(f"splits values must be all fractions or all episode lists, got {splits!r}.")
    for name, eps in assigned.items():
        if not eps:
            raise DatasetEditError(
                f"split '{name}' would hold no episode ({len(episodes)} episodes in {src.root}): "
                "give it a larger fraction or an episode list."
            )
    base = Path(output_dir) if output_dir is not None else None
    outs = {n: (base / n if base is not None else src.root.parent / f"{src.root.name}_{n}") for n in assigned}
    for out in outs.values():
        _check_new_root(out, [src.root])
    return {
        n: write_dataset(outs[n], [EpisodePlan(src, e) for e in eps], _spec(src))
        for n, eps in assigned.items()
    }


def _comparable(features: dict) -> dict:
    return {k: {f: v for f, v in ft.items() if f != "info"} for k, ft in features.items()}


def merge(roots: list, new_root) -> Path:
    """One dataset holding every episode of `roots`, in order (episodes and tasks renumbered). The datasets
    must have the same fps and features."""
    if not roots or len(roots) < 2:
        raise DatasetEditError(f"merge needs at least two datasets, got {roots!r}.")
    if new_root is None:
        raise DatasetEditError("merge writes a new dataset: give new_root (--new_root or --new_repo_id).")
    sources = [load_source(r) for r in roots]
    first = sources[0]
    for s in sources[1:]:
        if s.info["fps"] != first.info["fps"]:
            raise DatasetEditError(
                f"Cannot merge {s.root} (fps {s.info['fps']}) with {first.root} (fps {first.info['fps']}): "
                "every dataset must have the same fps."
            )
        a, b = _comparable(first.info["features"]), _comparable(s.info["features"])
        if a != b:
            diff = sorted(set(a) ^ set(b)) or [k for k in a if a[k] != b.get(k)]
            raise DatasetEditError(
                f"Cannot merge {s.root} with {first.root}: their features differ ({diff}); "
                "remove or add features first so they match."
            )
    _check_new_root(Path(new_root), [s.root for s in sources])
    plans = [EpisodePlan(s, e) for s in sources for e in sorted(s.rows)]
    return write_dataset(new_root, plans, _spec(first))


def remove_feature(root, feature_names, new_root=None, keep_backup: bool = True) -> Path:
    """A dataset without the features `feature_names` (cameras included: their videos are dropped)."""
    src = load_source(root)
    names = _check_features(src, feature_names, "feature_names")
    features = {k: ft for k, ft in src.info["features"].items() if k not in names}
    plans = [EpisodePlan(src, e) for e in sorted(src.rows)]
    return _write(src, plans, _spec(src, features), new_root, keep_backup)


def _load_values(values, column: str | None, name: str) -> np.ndarray:
    if isinstance(values, (str, Path)):
        path = Path(values)
        if not path.is_file():
            raise FileNotFoundError(f"values file {path} not found (give a .npy file or a parquet file).")
        if path.suffix == ".npy":
            return np.load(path, allow_pickle=False)
        if path.suffix == ".parquet":
            table = read_parquet(path)
            col = column or name
            if col not in table.column_names:
                raise DatasetEditError(f"{path} has no column '{col}' (columns: {table.column_names}).")
            arr = table.column(col).to_numpy(zero_copy_only=False)
            return np.stack(arr) if arr.dtype == object else arr
        raise DatasetEditError(f"values file {path} must be .npy or .parquet.")
    return np.asarray(values)


def add_feature(
    root, feature_name: str, values, feature: dict, new_root=None, column: str | None = None, keep_backup=True
) -> Path:
    """A dataset with a new per-frame feature: `values` (array, .npy or a parquet column) holds one value
    per frame in the dataset's `index` order; `feature` is its spec `{"dtype", "shape", "names"}`."""
    src = load_source(root)
    if not isinstance(feature_name, str) or not feature_name:
        raise DatasetEditError(f"feature_name must be a non-empty string, got {feature_name!r}.")
    if feature_name in src.info["features"]:
        raise DatasetEditError(f"feature '{feature_name}' already exists in {src.root}: remove it first.")
    if not isinstance(feature, dict) or "dtype" not in feature or "shape" not in feature:
        raise DatasetEditError(
            f"feature spec must be a dict with 'dtype' and 'shape' (and 'names'), got {feature!r}."
        )
    if feature["dtype"] in ("image", "video", "string"):
        raise DatasetEditError(
            f"add_feature adds numeric features; dtype {feature['dtype']!r} is not supported."
        )
    arr = _load_values(values, column, feature_name)
    total = int(src.info["total_frames"])
    shape = [int(d) for d in feature["shape"]]
    expect = (total, *shape) if shape != [1] else (total,)
    if arr.shape not in (expect, (total, *shape)):
        raise DatasetEditError(
            f"values for '{feature_name}' have shape {arr.shape}; expected {expect} "
            f"(one value of shape {shape} for each of the {total} frames)."
        )
    try:
        arr = arr.astype(np.dtype(feature["dtype"]), casting="same_kind")
    except TypeError as e:
        raise DatasetEditError(
            f"values for '{feature_name}' ({arr.dtype}) cannot be stored as {feature['dtype']}: {e}"
        ) from e
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise DatasetEditError(
            f"values for '{feature_name}' hold NaN or inf (frame {int(np.flatnonzero(~np.isfinite(arr.reshape(total, -1)).all(1))[0])})."
        )
    features = dict(src.info["features"])
    features[feature_name] = {"dtype": feature["dtype"], "shape": shape, "names": feature.get("names")}
    plans = []
    for e in sorted(src.rows):
        a, b = int(src.rows[e]["dataset_from_index"]), int(src.rows[e]["dataset_to_index"])
        plans.append(EpisodePlan(src, e, extra={feature_name: arr[a:b]}))
    return _write(src, plans, _spec(src, features), new_root, keep_backup)


def modify_tasks(
    root, new_task: str | None = None, episode_tasks: dict | None = None, new_root=None, keep_backup=True
) -> Path:
    """Set every frame's task to `new_task` and/or the task of given episodes (`episode_tasks`: episode
    index -> task string; it wins over `new_task`)."""
    src = load_source(root)
    episode_tasks = dict(episode_tasks or {})
    if new_task is None and not episode_tasks:
        raise DatasetEditError("modify_tasks needs new_task and/or episode_tasks.")
    for t in [new_task, *episode_tasks.values()]:
        if t is not None and (not isinstance(t, str) or not t.strip()):
            raise DatasetEditError(f"a task must be a non-empty string, got {t!r}.")
    eps = _check_episodes(src, [int(k) for k in episode_tasks], "episode_tasks") if episode_tasks else []
    episode_tasks = {int(k): v for k, v in episode_tasks.items()}
    plans = []
    for e in sorted(src.rows):
        task = episode_tasks.get(e) if e in eps else new_task
        plans.append(EpisodePlan(src, e, task_map=dict.fromkeys(src.tasks, task) if task else {}))
    return _write(src, plans, _spec(src), new_root, keep_backup)


def convert_image_to_video(
    root, new_root=None, video_config: VideoEncodingConfig | None = None, keep_backup=True
) -> Path:
    """Encode every image feature (PNG column) as a video feature (`video_config`: the writer's options)."""
    src = load_source(root)
    keys = [k for k, ft in src.info["features"].items() if ft["dtype"] == "image"]
    if not keys:
        raise DatasetEditError(
            f"{src.root} has no image feature to convert (its cameras are already videos)."
        )
    features = {k: ({**ft, "dtype": "video"} if k in keys else ft) for k, ft in src.info["features"].items()}
    spec = _spec(src, features, camera_from=dict.fromkeys(keys, "image_to_video"), video_config=video_config)
    plans = [EpisodePlan(src, e) for e in sorted(src.rows)]
    return _write(src, plans, spec, new_root, keep_backup)


def reencode(
    root, video_config: VideoEncodingConfig, new_root=None, video_keys=None, keep_backup=True
) -> Path:
    """Re-encode the videos (all, or `video_keys`) with `video_config` (another codec, crf, GOP...)."""
    src = load_source(root)
    all_keys = [k for k, ft in src.info["features"].items() if ft["dtype"] == "video"]
    keys = list(video_keys) if video_keys else all_keys
    if not all_keys:
        raise DatasetEditError(f"{src.root} has no video feature to re-encode.")
    for k in keys:
        if k not in all_keys:
            raise DatasetEditError(
                f"video_keys: '{k}' is not a video feature of {src.root} (videos: {all_keys})."
            )
    features = {
        k: ({f: v for f, v in ft.items() if f != "info"} if k in keys else ft)
        for k, ft in src.info["features"].items()
    }
    spec = _spec(src, features, camera_from=dict.fromkeys(keys, "reencode"), video_config=video_config)
    plans = [EpisodePlan(src, e) for e in sorted(src.rows)]
    return _write(src, plans, spec, new_root, keep_backup)
