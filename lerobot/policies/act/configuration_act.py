"""`ACTConfig` (`type: act`), fields and defaults of lerobot 0.4.4 (POLICIES.md §2.1, REFERENCE.md §3.3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from lerobot.configs.policies import PreTrainedConfig
from lerobot.configs.types import NormalizationMode


@PreTrainedConfig.register_subclass("act")
@dataclass
class ACTConfig(PreTrainedConfig):
    # Observation frames per step; ACT uses the current frame only, so this must be 1.
    n_obs_steps: int = 1
    # Number of future actions predicted per model call (K).
    chunk_size: int = 100
    # Actions of each chunk executed before the model runs again (<= chunk_size).
    n_action_steps: int = 100
    # Feature type -> normalization mode (VISUAL, STATE, ENV, ACTION -> MEAN_STD, MIN_MAX, IDENTITY, ...).
    normalization_mapping: dict[str, NormalizationMode] = field(
        default_factory=lambda: {
            "VISUAL": NormalizationMode.MEAN_STD,
            "STATE": NormalizationMode.MEAN_STD,
            "ACTION": NormalizationMode.MEAN_STD,
        }
    )
    # ResNet trunk for the cameras ("resnet18", "resnet34", "resnet50", ...).
    vision_backbone: str = "resnet18"
    # ImageNet weights for the backbone: torchvision name, Hub repo id or local safetensors; null = random.
    pretrained_backbone_weights: str | None = "ResNet18_Weights.IMAGENET1K_V1"
    # Use dilation instead of stride in layer4 (Bottleneck ResNets only).
    replace_final_stride_with_dilation: int = False
    # Pre-LayerNorm transformer layers (adds encoder.norm) instead of post-norm.
    pre_norm: bool = False
    # Transformer width D.
    dim_model: int = 512
    # Attention heads (dim_model must be divisible by it).
    n_heads: int = 8
    # Feed-forward hidden width F.
    dim_feedforward: int = 3200
    # Feed-forward activation: "relu" or "gelu".
    feedforward_activation: str = "relu"
    # Layers of the main transformer encoder.
    n_encoder_layers: int = 4
    # Layers of the decoder (the original ACT code effectively used 1).
    n_decoder_layers: int = 1
    # Train with the CVAE objective (latent from a VAE encoder over the action chunk).
    use_vae: bool = True
    # Latent size L.
    latent_dim: int = 32
    # Layers of the VAE encoder.
    n_vae_encoder_layers: int = 4
    # Temporal ensembling coefficient (ACT paper: 0.01); needs n_action_steps == 1; null = off.
    temporal_ensemble_coeff: float | None = None
    # Dropout in the transformer layers.
    dropout: float = 0.1
    # Weight of the KL term of the VAE loss.
    kl_weight: float = 10.0
    # AdamW learning rate of everything but the backbone.
    optimizer_lr: float = 1e-5
    # AdamW (decoupled) weight decay.
    optimizer_weight_decay: float = 1e-4
    # AdamW learning rate of `model.backbone.*`.
    optimizer_lr_backbone: float = 1e-5

    # Numeric fields checked at construction (see `lerobot.configs.types.check_numbers`).
    positive_fields: ClassVar[tuple[str, ...]] = (
        "chunk_size",
        "n_action_steps",
        "dim_model",
        "n_heads",
        "dim_feedforward",
        "n_encoder_layers",
        "n_decoder_layers",
        "latent_dim",
        "n_vae_encoder_layers",
        "optimizer_lr",
    )
    non_negative_fields: ClassVar[tuple[str, ...]] = (
        "kl_weight",
        "optimizer_weight_decay",
        "optimizer_lr_backbone",
        "temporal_ensemble_coeff",
    )
    unit_interval_fields: ClassVar[tuple[str, ...]] = ("dropout",)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.vision_backbone.startswith("resnet"):
            raise ValueError(
                f"vision_backbone must be a ResNet ('resnet18', 'resnet34', 'resnet50', ...), "
                f"got '{self.vision_backbone}'."
            )
        if self.temporal_ensemble_coeff is not None and self.n_action_steps > 1:
            raise NotImplementedError(
                f"temporal_ensemble_coeff is set, so n_action_steps must be 1 (got {self.n_action_steps}): "
                "with temporal ensembling the policy runs at every step and returns one ensembled action."
            )
        if self.n_action_steps > self.chunk_size:
            raise ValueError(
                f"n_action_steps ({self.n_action_steps}) cannot exceed chunk_size ({self.chunk_size}): "
                "a chunk holds the actions executed before the next inference."
            )
        if self.n_action_steps < 1 or self.chunk_size < 1:
            raise ValueError(
                f"chunk_size ({self.chunk_size}) and n_action_steps ({self.n_action_steps}) must be >= 1."
            )
        if self.n_obs_steps != 1:
            raise ValueError(
                f"ACT uses the current observation only: n_obs_steps must be 1, got {self.n_obs_steps}."
            )
        if self.dim_model % self.n_heads != 0:
            raise ValueError(
                f"dim_model ({self.dim_model}) must be divisible by n_heads ({self.n_heads}): each head "
                "gets dim_model / n_heads channels."
            )
        if self.feedforward_activation not in ("relu", "gelu"):
            raise ValueError(
                f"feedforward_activation must be 'relu' or 'gelu', got '{self.feedforward_activation}'."
            )
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}.")

    def get_optimizer_preset(self):
        from lerobot.optim.optimizers import AdamWConfig

        return AdamWConfig(lr=self.optimizer_lr, weight_decay=self.optimizer_weight_decay)

    def get_scheduler_preset(self):
        return None

    def validate_features(self) -> None:
        super().validate_features()
        if not self.image_features and self.env_state_feature is None:
            raise ValueError(
                "ACT needs at least one camera (VISUAL input) or 'observation.environment_state' among its "
                f"input features; got {list(self.input_features)}."
            )

    @property
    def observation_delta_indices(self) -> None:
        return None

    @property
    def action_delta_indices(self) -> list[int]:
        return list(range(self.chunk_size))

    @property
    def reward_delta_indices(self) -> None:
        return None
