"""LR scheduler configs, registered by `type` (`--scheduler.type=diffuser`), POLICIES.md §1.7.

Each `build(optimizer, num_training_steps)` returns a `torch.optim.lr_scheduler.LambdaLR` whose factor at
optimizer step k (0-based, stepped after every optimizer step) is given by `lr_lambda(k)`.

- `diffuser` (Diffusion preset): diffusers' named schedules, computed here with the same formulas:
  `cosine` (W warm-up steps, T total): k < W: k / max(1, W); else p = (k - W) / max(1, T - W),
  max(0, 0.5 (1 + cos(pi * 2 * num_cycles * p))) with num_cycles 0.5; also `constant`,
  `constant_with_warmup`, `linear`.
- `vqbet` (VQ-BeT preset): 1 during the V VQ-VAE steps, then the cosine above shifted by V (T not reduced).
- `cosine_decay_with_warmup`: linear warm-up from `peak_lr / (W + 1)` to `peak_lr`, cosine decay to `decay_lr`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import draccus


@dataclass
class LRSchedulerConfig(draccus.ChoiceRegistry):
    # Number of warm-up optimizer steps.
    num_warmup_steps: int = 0

    def __post_init__(self) -> None:
        if self.num_warmup_steps < 0:
            raise ValueError(f"num_warmup_steps must be >= 0, got {self.num_warmup_steps}.")

    @property
    def type(self) -> str:
        return self.get_choice_name(self.__class__)

    def lr_lambda(self, step: int, num_training_steps: int) -> float:
        raise NotImplementedError

    def build(self, optimizer, num_training_steps: int):
        from torch.optim.lr_scheduler import LambdaLR

        return LambdaLR(optimizer, lambda k: self.lr_lambda(k, num_training_steps))


def _cosine(step: int, warmup: int, total: int, num_cycles: float) -> float:
    if step < warmup:
        return step / max(1, warmup)
    progress = (step - warmup) / max(1, total - warmup)
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * 2.0 * num_cycles * progress)))


@LRSchedulerConfig.register_subclass("diffuser")
@dataclass
class DiffuserSchedulerConfig(LRSchedulerConfig):
    # diffusers schedule name: "cosine", "constant", "constant_with_warmup" or "linear".
    name: str = "cosine"
    # Steps of linear learning-rate warm-up.
    num_warmup_steps: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        allowed = ("cosine", "constant", "constant_with_warmup", "linear")
        if self.name not in allowed:
            raise ValueError(f"Unknown diffusers schedule name '{self.name}'; expected one of {allowed}.")

    def lr_lambda(self, step: int, num_training_steps: int) -> float:
        w = self.num_warmup_steps
        if self.name == "cosine":
            return _cosine(step, w, num_training_steps, 0.5)
        if self.name == "constant":
            return 1.0
        if step < w:
            return step / max(1, w)
        if self.name == "constant_with_warmup":
            return 1.0
        return max(0.0, (num_training_steps - step) / max(1, num_training_steps - w))


@LRSchedulerConfig.register_subclass("vqbet")
@dataclass
class VQBeTSchedulerConfig(LRSchedulerConfig):
    # Steps of linear learning-rate warm-up (after the VQ-VAE phase).
    num_warmup_steps: int = 500
    # Steps of phase 1 (VQ-VAE training) during which the factor stays 1.
    num_vqvae_training_steps: int = 20000
    # Number of cosine half-periods over the training (0.5: one decay to 0).
    num_cycles: float = 0.5

    def lr_lambda(self, step: int, num_training_steps: int) -> float:
        if step < self.num_vqvae_training_steps:
            return 1.0
        return _cosine(
            step - self.num_vqvae_training_steps, self.num_warmup_steps, num_training_steps, self.num_cycles
        )


@LRSchedulerConfig.register_subclass("cosine_decay_with_warmup")
@dataclass
class CosineDecayWithWarmupSchedulerConfig(LRSchedulerConfig):
    # Steps of linear warm-up to peak_lr.
    num_warmup_steps: int = 1000
    # Steps of cosine decay from peak_lr to decay_lr.
    num_decay_steps: int = 30000
    # Learning rate at the end of the warm-up.
    peak_lr: float = 2.5e-5
    # Learning rate at the end of the decay.
    decay_lr: float = 2.5e-6

    def lr_lambda(self, step: int, num_training_steps: int) -> float:
        if step < self.num_warmup_steps:
            if step <= 0:
                return 1 / (self.num_warmup_steps + 1)
            frac = 1 - step / self.num_warmup_steps
            return (1 / (self.num_warmup_steps + 1) - 1) * frac + 1
        s = min(step, self.num_decay_steps)
        cosine = 0.5 * (1 + math.cos(math.pi * s / self.num_decay_steps))
        alpha = self.decay_lr / self.peak_lr
        return (1 - alpha) * cosine + alpha
