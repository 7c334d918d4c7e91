"""Seeding and saving/restoring the random number generators (python, numpy, torch CPU and CUDA).

`get_rng_state()` returns a flat dict of tensors that `safetensors` can store (`rng_state.safetensors`
of a training checkpoint, docs/checkpoints.md); `set_rng_state(state)` restores it, so a resumed run draws the same
numbers as an uninterrupted one.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

RNG_STATE_FILE = "rng_state.safetensors"


def set_seed(seed: int | None) -> None:
    """Seed python `random`, numpy's global RNG and torch (CPU and every CUDA device); None = no-op."""
    if seed is None:
        return
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def get_rng_state() -> dict[str, torch.Tensor]:
    """Flat {name: tensor} snapshot of every global RNG (python, numpy, torch, cuda)."""
    py_version, py_state, py_gauss = random.getstate()
    np_name, np_keys, np_pos, np_has_gauss, np_gauss = np.random.get_state()
    state = {
        "py_rng_version": torch.tensor([py_version], dtype=torch.int64),
        "py_rng_state": torch.tensor(py_state, dtype=torch.int64),
        "py_rng_gauss": torch.tensor([np.nan if py_gauss is None else py_gauss], dtype=torch.float64),
        "np_rng_keys": torch.tensor(np.asarray(np_keys, dtype=np.int64)),
        "np_rng_pos_gauss": torch.tensor([np_pos, np_has_gauss], dtype=torch.int64),
        "np_rng_cached_gauss": torch.tensor([np_gauss], dtype=torch.float64),
        "torch_rng_state": torch.get_rng_state(),
    }
    assert np_name == "MT19937"
    if torch.cuda.is_available():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            state[f"torch_cuda_rng_state_{i}"] = s
    return state


def set_rng_state(state: dict[str, torch.Tensor]) -> None:
    """Restore a `get_rng_state()` snapshot."""
    gauss = float(state["py_rng_gauss"][0])
    random.setstate(
        (
            int(state["py_rng_version"][0]),
            tuple(int(x) for x in state["py_rng_state"].tolist()),
            None if np.isnan(gauss) else gauss,
        )
    )
    pos, has_gauss = (int(x) for x in state["np_rng_pos_gauss"].tolist())
    np.random.set_state(
        (
            "MT19937",
            state["np_rng_keys"].numpy().astype(np.uint32),
            pos,
            has_gauss,
            float(state["np_rng_cached_gauss"][0]),
        )
    )
    torch.set_rng_state(state["torch_rng_state"])
    cuda = [state[k] for k in sorted(state) if k.startswith("torch_cuda_rng_state_")]
    if cuda and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(cuda)


def save_rng_state(directory: Path) -> Path:
    path = Path(directory) / RNG_STATE_FILE
    save_file(get_rng_state(), str(path))
    return path


def load_rng_state(directory: Path) -> None:
    path = Path(directory) / RNG_STATE_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: a training_state folder holds {RNG_STATE_FILE}.")
    set_rng_state(load_file(str(path)))
