"""`ToyPolicy` ("toy"): predicts the current action from the current state with an MLP (MSE loss)."""

from __future__ import annotations

from typing import Any

import torch.nn.functional as F  # noqa: N812
from torch import Tensor, nn

from lerobot.policies.pretrained import PreTrainedPolicy
from lerobot.utils.constants import ACTION, OBS_STATE
from lerobot_policy_toy.configuration_toy import ToyConfig


class ToyPolicy(PreTrainedPolicy):
    config_class = ToyConfig
    name = "toy"

    def __init__(self, config: ToyConfig, dataset_stats: dict[str, dict[str, Any]] | None = None):
        super().__init__(config, dataset_stats)
        state_dim = config.robot_state_feature.shape[0]
        action_dim = config.action_feature.shape[0]
        self.mlp = nn.Sequential(
            nn.Linear(state_dim, config.hidden_dim), nn.ReLU(), nn.Linear(config.hidden_dim, action_dim)
        )

    # Batches hold (B, D) tensors: the config asks for no time window (delta indices None).
    def forward_normalized(self, batch: dict[str, Any]) -> tuple[Tensor, dict[str, Any]]:
        loss = F.mse_loss(self.mlp(batch[OBS_STATE]), batch[ACTION])
        return loss, {"mse": loss.item()}

    def select_action_normalized(self, batch: dict[str, Any]) -> Tensor:
        return self.mlp(batch[OBS_STATE])

    def predict_action_chunk_normalized(self, batch: dict[str, Any]) -> Tensor:
        return self.mlp(batch[OBS_STATE])[:, None]  # (B, T_act=1, A)
