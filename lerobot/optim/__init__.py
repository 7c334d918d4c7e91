"""Optimizer and LR-scheduler configs (draccus choice registries) used by the policies' training presets."""

from lerobot.optim.optimizers import AdamConfig, AdamWConfig, OptimizerConfig, SGDConfig
from lerobot.optim.schedulers import (
    CosineDecayWithWarmupSchedulerConfig,
    DiffuserSchedulerConfig,
    LRSchedulerConfig,
    VQBeTSchedulerConfig,
)

__all__ = [
    "AdamConfig",
    "AdamWConfig",
    "CosineDecayWithWarmupSchedulerConfig",
    "DiffuserSchedulerConfig",
    "LRSchedulerConfig",
    "OptimizerConfig",
    "SGDConfig",
    "VQBeTSchedulerConfig",
]
