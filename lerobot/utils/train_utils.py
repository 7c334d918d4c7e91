"""Training checkpoints in the layout of docs/checkpoints.md (The training-run folder).

    <output_dir>/checkpoints/<NNNNNN>/pretrained_model/   config.json, model.safetensors, processor files,
                                                          train_config.json
    <output_dir>/checkpoints/<NNNNNN>/training_state/     training_step.json, optimizer_state.safetensors,
                                                          optimizer_param_groups.json, scheduler_state.json,
                                                          rng_state.safetensors
    <output_dir>/checkpoints/last -> <NNNNNN>            (relative symlink)

`save_checkpoint(...)` writes one; `load_training_state(dir, optimizer, scheduler)` restores the optimizer,
the scheduler and the RNGs and returns the step. No pickle: tensors go to safetensors, the rest to JSON.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from lerobot.utils.constants import (
    CHECKPOINTS_DIR,
    LAST_CHECKPOINT_LINK,
    PRETRAINED_MODEL_DIR,
    TRAIN_CONFIG_NAME,
    TRAINING_STATE_DIR,
)
from lerobot.utils.random_utils import load_rng_state, save_rng_state

TRAINING_STEP_FILE = "training_step.json"
OPTIMIZER_STATE_FILE = "optimizer_state.safetensors"
OPTIMIZER_PARAM_GROUPS_FILE = "optimizer_param_groups.json"
SCHEDULER_STATE_FILE = "scheduler_state.json"


def get_step_identifier(step: int, total_steps: int) -> str:
    """Zero-padded checkpoint folder name: max(6, len(str(total_steps))) digits."""
    return f"{step:0{max(6, len(str(total_steps)))}d}"


def get_step_checkpoint_dir(output_dir: Path, total_steps: int, step: int) -> Path:
    return Path(output_dir) / CHECKPOINTS_DIR / get_step_identifier(step, total_steps)


def update_last_checkpoint(checkpoint_dir: Path) -> Path:
    """Point `checkpoints/last` at `checkpoint_dir` (relative symlink, replaced atomically)."""
    checkpoint_dir = Path(checkpoint_dir)
    link = checkpoint_dir.parent / LAST_CHECKPOINT_LINK
    tmp = checkpoint_dir.parent / f".{LAST_CHECKPOINT_LINK}.tmp"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(checkpoint_dir.name, tmp)
    os.replace(tmp, link)
    return link


def save_optimizer_state(optimizer: torch.optim.Optimizer, directory: Path) -> None:
    state = optimizer.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    extras: dict[str, dict[str, Any]] = {}
    for param_id, param_state in state["state"].items():
        for name, value in param_state.items():
            if isinstance(value, torch.Tensor):
                tensors[f"state.{param_id}.{name}"] = value.detach().cpu().contiguous()
            else:
                extras.setdefault(str(param_id), {})[name] = value
    save_file(tensors, str(Path(directory) / OPTIMIZER_STATE_FILE))
    groups = {"param_groups": state["param_groups"], "non_tensor_state": extras}
    (Path(directory) / OPTIMIZER_PARAM_GROUPS_FILE).write_text(json.dumps(groups, indent=2))


def load_optimizer_state(optimizer: torch.optim.Optimizer, directory: Path) -> None:
    tensors = load_file(str(Path(directory) / OPTIMIZER_STATE_FILE))
    groups = json.loads((Path(directory) / OPTIMIZER_PARAM_GROUPS_FILE).read_text())
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        _, param_id, name = key.split(".", 2)
        state.setdefault(int(param_id), {})[name] = value
    for param_id, values in groups.get("non_tensor_state", {}).items():
        state.setdefault(int(param_id), {}).update(values)
    current = optimizer.state_dict()["param_groups"]
    saved = groups["param_groups"]
    if [len(g["params"]) for g in current] != [len(g["params"]) for g in saved]:
        raise ValueError(
            f"{directory}: the saved optimizer has parameter groups of sizes "
            f"{[len(g['params']) for g in saved]}, this policy {[len(g['params']) for g in current]}; "
            "resume with the same policy config."
        )
    optimizer.load_state_dict({"state": state, "param_groups": saved})


def save_training_state(directory: Path, step: int, optimizer, scheduler=None) -> None:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / TRAINING_STEP_FILE).write_text(json.dumps({"step": step}))
    save_optimizer_state(optimizer, directory)
    if scheduler is not None:
        (directory / SCHEDULER_STATE_FILE).write_text(json.dumps(scheduler.state_dict(), indent=2))
    save_rng_state(directory)


def load_training_state(directory: Path, optimizer, scheduler=None) -> int:
    """Restore optimizer, scheduler and RNG states from a `training_state` folder; returns the step."""
    directory = Path(directory)
    step_file = directory / TRAINING_STEP_FILE
    if not step_file.is_file():
        raise FileNotFoundError(
            f"{step_file} not found: resume from a run's checkpoints/<step>/ folder (it holds "
            f"{TRAINING_STATE_DIR}/{TRAINING_STEP_FILE})."
        )
    step = int(json.loads(step_file.read_text())["step"])
    load_optimizer_state(optimizer, directory)
    if scheduler is not None:
        scheduler_file = directory / SCHEDULER_STATE_FILE
        if not scheduler_file.is_file():
            raise FileNotFoundError(f"{scheduler_file} not found, but this run uses an LR scheduler.")
        scheduler.load_state_dict(json.loads(scheduler_file.read_text()))
    load_rng_state(directory)
    return step


def save_checkpoint(checkpoint_dir: Path, step: int, cfg, policy, optimizer, scheduler=None) -> Path:
    """Write `pretrained_model/` (policy + train_config.json) and `training_state/` into `checkpoint_dir`."""
    checkpoint_dir = Path(checkpoint_dir)
    pretrained_dir = checkpoint_dir / PRETRAINED_MODEL_DIR
    policy.save_pretrained(pretrained_dir)
    (pretrained_dir / TRAIN_CONFIG_NAME).write_text(json.dumps(cfg.to_dict(), indent=4) + "\n")
    save_training_state(checkpoint_dir / TRAINING_STATE_DIR, step, optimizer, scheduler)
    return checkpoint_dir
