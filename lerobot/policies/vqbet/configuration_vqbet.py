"""Configuration of VQ-BeT (Lee et al. 2024, "Behavior Generation with Latent Actions"), spec POLICIES.md §5.1,
REFERENCE.md §3.6.

Time windows: observations at deltas 1-n_obs_steps..0; actions at 1-n_obs_steps..n_action_pred_token +
action_chunk_size - 2 (defaults: -4..6, 11 steps). Exactly one camera and `observation.state`.
Training has two phases: the residual VQ-VAE for `n_vqvae_training_steps` forward calls, then the GPT.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from lerobot.configs.policies import PreTrainedConfig
from lerobot.configs.types import FeatureType, NormalizationMode, PolicyFeature
from lerobot.utils.constants import OBS_STATE


@PreTrainedConfig.register_subclass("vqbet")
@dataclass
class VQBeTConfig(PreTrainedConfig):
    """VQ-BeT hyper-parameters; defaults are the reference's (PushT: 96x96 camera + 2-D state)."""

    # Observation steps given to the GPT (current one included).
    n_obs_steps: int = 5
    # Extra future action-query tokens appended after the observation steps.
    n_action_pred_token: int = 3
    # Actions per predicted chunk (the VQ-VAE's unit and the length of the action queue).
    action_chunk_size: int = 5

    # Feature type -> normalization mode (VISUAL, STATE, ENV, ACTION -> MEAN_STD, MIN_MAX, IDENTITY, ...).
    normalization_mapping: dict[str, NormalizationMode] = field(
        default_factory=lambda: {
            "VISUAL": NormalizationMode.IDENTITY,
            "STATE": NormalizationMode.MIN_MAX,
            "ACTION": NormalizationMode.MIN_MAX,
        }
    )

    # Vision backbone (torchvision ResNet name) and its image preprocessing.
    vision_backbone: str = "resnet18"
    # (H, W) crop applied before the backbone (center crop in eval, random crop in training); null = none.
    crop_shape: tuple[int, int] | None = (84, 84)
    # Random crop in training mode (one offset for the whole batch).
    crop_is_random: bool = True
    # Pretrained backbone weights source (None = random init).
    pretrained_backbone_weights: str | None = None
    # Replace the backbone's BatchNorm by GroupNorm(C/16, C) (incompatible with pretrained weights).
    use_group_norm: bool = True
    # Keypoints of the spatial soft-argmax (image feature width = 2 x this).
    spatial_softmax_num_keypoints: int = 32

    # Residual VQ-VAE.
    # Phase-1 (VQ-VAE) forward calls before the GPT phase starts.
    n_vqvae_training_steps: int = 20000
    # Codes per codebook (2 residual codebooks).
    vqvae_n_embed: int = 16
    # Width of the VQ-VAE latent / codes.
    vqvae_embedding_dim: int = 256
    # Hidden width of the VQ-VAE encoder/decoder MLPs.
    vqvae_enc_hidden_dim: int = 128

    # GPT.
    # Maximum number of tokens (size of the learned position table and causal mask).
    gpt_block_size: int = 500
    # Width of the input tokens (projected observations, action token).
    gpt_input_dim: int = 512
    # Width of the GPT output features fed to the heads.
    gpt_output_dim: int = 512
    # Transformer layers of the GPT.
    gpt_n_layer: int = 8
    # Attention heads per GPT layer.
    gpt_n_head: int = 8
    # Width of the GPT's hidden layers.
    gpt_hidden_dim: int = 512
    # Dropout of the GPT (embeddings, attention, residual, MLP).
    dropout: float = 0.1

    # Loss weights and sampling.
    offset_loss_weight: float = 10000.0
    # Weight of the first residual code's classification loss.
    primary_code_loss_weight: float = 5.0
    # Weight of the second residual code's classification loss.
    secondary_code_loss_weight: float = 0.5
    # Temperature of the code sampling softmax (the focal loss uses raw logits).
    bet_softmax_temperature: float = 0.1
    # Sample the secondary code conditioned on the primary one (two heads) instead of jointly.
    sequentially_select: bool = False

    # Optimizer / scheduler presets.
    optimizer_lr: float = 1e-4
    # Adam (beta1, beta2) of the training preset.
    optimizer_betas: tuple[float, float] = (0.95, 0.999)
    # Adam epsilon of the training preset.
    optimizer_eps: float = 1e-8
    # Weight decay of the training preset.
    optimizer_weight_decay: float = 1e-6
    # Learning rate of the VQ-VAE during its training phase.
    optimizer_vqvae_lr: float = 1e-3
    # Weight decay of the VQ-VAE during its training phase.
    optimizer_vqvae_weight_decay: float = 1e-4
    # Warm-up steps of the preset LR schedule.
    scheduler_warmup_steps: int = 500

    # Numeric fields checked at construction (see `lerobot.configs.types.check_numbers`).
    positive_fields: ClassVar[tuple[str, ...]] = (
        "n_action_pred_token",
        "action_chunk_size",
        "crop_shape",
        "spatial_softmax_num_keypoints",
        "vqvae_n_embed",
        "vqvae_embedding_dim",
        "vqvae_enc_hidden_dim",
        "gpt_block_size",
        "gpt_input_dim",
        "gpt_output_dim",
        "gpt_n_layer",
        "gpt_n_head",
        "gpt_hidden_dim",
        "bet_softmax_temperature",
        "optimizer_lr",
        "optimizer_eps",
        "optimizer_vqvae_lr",
    )
    non_negative_fields: ClassVar[tuple[str, ...]] = (
        "n_vqvae_training_steps",
        "offset_loss_weight",
        "primary_code_loss_weight",
        "secondary_code_loss_weight",
        "optimizer_weight_decay",
        "optimizer_vqvae_weight_decay",
        "scheduler_warmup_steps",
    )
    unit_interval_fields: ClassVar[tuple[str, ...]] = ("dropout", "optimizer_betas")

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.vision_backbone.startswith("resnet"):
            raise ValueError(
                f"vision_backbone must be a torchvision ResNet name (e.g. 'resnet18'), got "
                f"'{self.vision_backbone}'."
            )
        if self.crop_shape is not None:
            self.crop_shape = tuple(int(s) for s in self.crop_shape)
            if len(self.crop_shape) != 2:
                raise ValueError(f"crop_shape must be (H, W) or null, got {list(self.crop_shape)}.")
        self.optimizer_betas = tuple(self.optimizer_betas)
        for name in (
            "n_action_pred_token",
            "action_chunk_size",
            "vqvae_n_embed",
            "gpt_n_layer",
            "gpt_n_head",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}.")
        if self.n_vqvae_training_steps < 0:
            raise ValueError(
                f"n_vqvae_training_steps must be >= 0 (phase-1 VQ-VAE steps), got {self.n_vqvae_training_steps}."
            )
        if self.gpt_hidden_dim % self.gpt_n_head != 0:
            raise ValueError(
                f"gpt_hidden_dim ({self.gpt_hidden_dim}) must be divisible by gpt_n_head ({self.gpt_n_head}): "
                "each attention head gets gpt_hidden_dim / gpt_n_head channels."
            )
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}.")
        if self.bet_softmax_temperature <= 0:
            raise ValueError(f"bet_softmax_temperature must be > 0, got {self.bet_softmax_temperature}.")
        if self.device is not None and str(self.device).startswith("mps"):
            raise ValueError("VQ-BeT is not supported on 'mps' (as in the reference); use 'cuda' or 'cpu'.")

    @property
    def observation_delta_indices(self) -> list[int]:
        return list(range(1 - self.n_obs_steps, 1))

    @property
    def action_delta_indices(self) -> list[int]:
        return list(range(1 - self.n_obs_steps, self.n_action_pred_token + self.action_chunk_size - 1))

    @property
    def reward_delta_indices(self) -> None:
        return None

    @property
    def n_query_tokens(self) -> int:
        """Tq: GPT outputs fed to the action head (one per observation step + the extra query tokens)."""
        return self.n_obs_steps + self.n_action_pred_token - 1

    def get_optimizer_preset(self):
        from lerobot.optim.optimizers import AdamConfig

        return AdamConfig(
            lr=self.optimizer_lr,
            betas=self.optimizer_betas,
            eps=self.optimizer_eps,
            weight_decay=self.optimizer_weight_decay,
        )

    def get_scheduler_preset(self):
        from lerobot.optim.schedulers import VQBeTSchedulerConfig

        return VQBeTSchedulerConfig(
            num_warmup_steps=self.scheduler_warmup_steps,
            num_vqvae_training_steps=self.n_vqvae_training_steps,
        )

    def unusable_input_features(self, features: dict[str, PolicyFeature]) -> list[str]:
        """Everything but the cameras and 'observation.state' (e.g. PushT's keypoints in
        'observation.environment_state'): the token layout has no slot for them."""
        return [k for k, ft in features.items() if k != OBS_STATE and ft.type is not FeatureType.VISUAL]

    def validate_features(self) -> None:
        super().validate_features()
        if not self.input_features:
            return
        images = self.image_features
        if len(images) != 1:
            raise ValueError(
                f"VQ-BeT needs exactly one camera (its token layout assumes one image + the state per step); "
                f"got {len(images)}: {list(images)}."
            )
        if self.robot_state_feature is None:
            raise ValueError(
                f"VQ-BeT needs a '{OBS_STATE}' input of type STATE; got input features "
                f"{list(self.input_features)}."
            )
        extra = [k for k in self.input_features if k != OBS_STATE and k not in images]
        if extra:
            raise ValueError(
                f"VQ-BeT's token layout takes exactly one camera and '{OBS_STATE}'; remove {extra} from "
                "input_features."
            )
        ((key, ft),) = images.items()
        if len(ft.shape) != 3:
            raise ValueError(f"Camera feature '{key}' must have shape (C, H, W), got {list(ft.shape)}.")
        if self.crop_shape is not None and (
            self.crop_shape[0] > ft.shape[1] or self.crop_shape[1] > ft.shape[2]
        ):
            raise ValueError(
                f"crop_shape {list(self.crop_shape)} does not fit inside the image of '{key}' (C, H, W) = "
                f"{list(ft.shape)}: choose a crop no larger than (H, W), or null."
            )
        n_tokens = self.n_obs_steps * (len(self.input_features) + 1) + self.n_action_pred_token - 1
        if n_tokens > self.gpt_block_size:
            raise ValueError(
                f"The GPT sees {n_tokens} tokens (n_obs_steps x (inputs + 1) + n_action_pred_token - 1) but "
                f"gpt_block_size is {self.gpt_block_size}: raise gpt_block_size or lower n_obs_steps."
            )
