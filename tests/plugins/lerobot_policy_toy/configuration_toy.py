"""`ToyConfig` ("toy"): a two-layer MLP from `observation.state` to `action`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from lerobot.configs.policies import PreTrainedConfig
from lerobot.configs.types import FeatureType, NormalizationMode, PolicyFeature


@PreTrainedConfig.register_subclass("toy")
@dataclass
class ToyConfig(PreTrainedConfig):
    # Feature type -> normalization mode (STATE and ACTION standardized with the dataset statistics).
    normalization_mapping: dict[str, NormalizationMode] = field(
        default_factory=lambda: {"STATE": NormalizationMode.MEAN_STD, "ACTION": NormalizationMode.MEAN_STD}
    )
    # Width of the hidden layer.
    hidden_dim: int = 16
    # Learning rate of the training preset (Adam).
    optimizer_lr: float = 1e-3

    positive_fields: ClassVar[tuple[str, ...]] = ("hidden_dim", "optimizer_lr")

    def get_optimizer_preset(self):
        from lerobot.optim.optimizers import AdamConfig

        return AdamConfig(lr=self.optimizer_lr)

    def unusable_input_features(self, features: dict[str, PolicyFeature]) -> list[str]:
        return [k for k, ft in features.items() if ft.type is not FeatureType.STATE]

    def validate_features(self) -> None:
        super().validate_features()
        if self.input_features and self.robot_state_feature is None:
            raise ValueError(
                f"The toy policy needs an 'observation.state' input; got {list(self.input_features)}."
            )
