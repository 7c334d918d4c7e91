"""One optimizer step of the training loop (`update_policy`).

`policy.train()` -> forward (autocast when `use_amp`) -> backward through a GradScaler -> clip the grad
norm to `grad_clip_norm` -> optimizer step -> zero grads -> scheduler step -> `policy.update()` if the
policy has it.
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from typing import Any

import torch


def update_policy(
    policy,
    model,
    batch: dict[str, Any],
    optimizer,
    grad_clip_norm: float,
    grad_scaler,
    lr_scheduler=None,
    use_amp=False,
) -> dict[str, Any]:
    """One training step; `model` is the policy itself or its DDP wrapper. Returns the step's metrics."""
    start = time.perf_counter()
    device_type = torch.device(policy.config.device).type
    policy.train()
    with torch.autocast(device_type=device_type) if use_amp else nullcontext():
        loss, info = model(batch)
    grad_scaler.scale(loss).backward()
    grad_scaler.unscale_(optimizer)
    grad_norm = torch.nn.utils.clip_grad_norm_(policy.parameters(), grad_clip_norm, error_if_nonfinite=False)
    grad_scaler.step(optimizer)
    grad_scaler.update()
    optimizer.zero_grad()
    if lr_scheduler is not None:
        lr_scheduler.step()
    if hasattr(policy, "update"):
        policy.update()
    metrics = {
        "loss": loss.item(),
        "grad_norm": float(grad_norm),
        "lr": optimizer.param_groups[0]["lr"],
        "update_s": time.perf_counter() - start,
    }
    metrics.update({k: v for k, v in (info or {}).items() if isinstance(v, (int, float))})
    return metrics
