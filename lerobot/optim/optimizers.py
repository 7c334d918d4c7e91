"""Optimizer configs, registered by `type` (`--optimizer.type=adamw`), POLICIES.md §1.7.

`OptimizerConfig.build(params)` accepts an iterable of parameters or a list of param-group dicts (what
`PreTrainedPolicy.get_optim_params()` returns). Every config carries `grad_clip_norm` for the train loop.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import draccus


@dataclass
class OptimizerConfig(draccus.ChoiceRegistry):
    # Base learning rate.
    lr: float = 1e-3
    # Weight decay (L2 for Adam/SGD, decoupled for AdamW).
    weight_decay: float = 0.0
    # Max total gradient L2 norm before the optimizer step.
    grad_clip_norm: float = 10.0

    def __post_init__(self) -> None:
        if self.lr < 0:
            raise ValueError(f"lr must be >= 0, got {self.lr}.")
        if self.weight_decay < 0:
            raise ValueError(f"weight_decay must be >= 0, got {self.weight_decay}.")
        if self.grad_clip_norm <= 0:
            raise ValueError(f"grad_clip_norm must be > 0, got {self.grad_clip_norm}.")

    @property
    def type(self) -> str:
        return self.get_choice_name(self.__class__)

    def build(self, params: Iterable[Any]):
        raise NotImplementedError


@OptimizerConfig.register_subclass("adam")
@dataclass
class AdamConfig(OptimizerConfig):
    # Learning rate.
    lr: float = 1e-3
    # Adam's (beta1, beta2) moment decay rates.
    betas: tuple[float, float] = (0.9, 0.999)
    # Adam's denominator epsilon.
    eps: float = 1e-8
    # L2 weight decay.
    weight_decay: float = 0.0
    # Clip the gradient norm to this value before each step.
    grad_clip_norm: float = 10.0

    def build(self, params: Iterable[Any]):
        import torch

        return torch.optim.Adam(
            params, lr=self.lr, betas=tuple(self.betas), eps=self.eps, weight_decay=self.weight_decay
        )


@OptimizerConfig.register_subclass("adamw")
@dataclass
class AdamWConfig(OptimizerConfig):
    # Learning rate.
    lr: float = 1e-3
    # AdamW's (beta1, beta2) moment decay rates.
    betas: tuple[float, float] = (0.9, 0.999)
    # AdamW's denominator epsilon.
    eps: float = 1e-8
    # Decoupled weight decay.
    weight_decay: float = 1e-2
    # Clip the gradient norm to this value before each step.
    grad_clip_norm: float = 10.0

    def build(self, params: Iterable[Any]):
        import torch

        return torch.optim.AdamW(
            params, lr=self.lr, betas=tuple(self.betas), eps=self.eps, weight_decay=self.weight_decay
        )


@OptimizerConfig.register_subclass("sgd")
@dataclass
class SGDConfig(OptimizerConfig):
    # Learning rate.
    lr: float = 1e-3
    # Momentum factor (0: plain SGD).
    momentum: float = 0.0
    # Dampening of the momentum.
    dampening: float = 0.0
    # Use Nesterov momentum.
    nesterov: bool = False
    # L2 weight decay.
    weight_decay: float = 0.0
    # Clip the gradient norm to this value before each step.
    grad_clip_norm: float = 10.0

    def build(self, params: Iterable[Any]):
        import torch

        return torch.optim.SGD(
            params,
            lr=self.lr,
            momentum=self.momentum,
            dampening=self.dampening,
            nesterov=self.nesterov,
            weight_decay=self.weight_decay,
        )
