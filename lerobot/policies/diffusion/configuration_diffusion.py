"""`DiffusionConfig` (`type: diffusion`): Diffusion Policy (Chi et al. 2023), docs/policies/diffusion.md.

Field set and defaults are those of the reference v0.4.4 (`crop_shape=None`, `resize_shape`, `crop_ratio`,
`compile_model`, `compile_mode`); a v0.3.2-era `config.json` (which spells out `crop_shape: [84, 84]`
and lacks the new fields) loads too and keeps cropping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from lerobot.configs.policies import PreTrainedConfig
from lerobot.configs.types import NormalizationMode
from lerobot.utils.constants import OBS_STATE

NOISE_SCHEDULERS = ("DDPM", "DDIM")
PREDICTION_TYPES = ("epsilon", "sample")


@PreTrainedConfig.register_subclass("diffusion")
@dataclass
class DiffusionConfig(PreTrainedConfig):
    """Diffusion Policy: ResNet + spatial-softmax image encoder, conditional 1-D U-Net, DDPM/DDIM.

    Inputs: `observation.state` (required), cameras and/or `observation.environment_state`.
    Output: `action`. Observations are the last `n_obs_steps` frames; the model denoises `horizon`
    actions starting at the first observation frame and executes `n_action_steps` of them.
    """

    # Observation frames the model sees per step (the current one included).
    n_obs_steps: int = 2
    # Length of the action trajectory the model denoises (frames -n_obs_steps+1 ... horizon-n_obs_steps).
    horizon: int = 16
    # Actions executed per model call (taken from index n_obs_steps-1 of the trajectory).
    n_action_steps: int = 8

    # Feature type -> normalization mode (VISUAL, STATE, ENV, ACTION -> MEAN_STD, MIN_MAX, IDENTITY, ...).
    normalization_mapping: dict[str, NormalizationMode] = field(
        default_factory=lambda: {
            "VISUAL": NormalizationMode.MEAN_STD,
            "STATE": NormalizationMode.MIN_MAX,
            "ACTION": NormalizationMode.MIN_MAX,
        }
    )

    # The original implementation does not sample frames for the last 7 steps (horizon - n_action_steps
    # - n_obs_steps + 1 = 7), so the training sampler drops that many frames at the end of each episode.
    drop_n_last_frames: int = 7

    # Vision backbone: a torchvision ResNet constructor name.
    vision_backbone: str = "resnet18"
    # (H, W) images are resized to before cropping; None = no resize.
    resize_shape: tuple[int, int] | None = None
    # With resize_shape set: crop_shape becomes resize_shape * crop_ratio (crop_ratio < 1) or None (== 1).
    crop_ratio: float = 1.0
    # (H, W) crop applied to the images (after any resize); None = no crop.
    crop_shape: tuple[int, int] | None = None
    # Random crop in training mode (center crop in eval mode); False = always center crop.
    crop_is_random: bool = True
    # Pretrained ResNet weights: None (random init) or a safetensors file / folder / Hub repo id.
    pretrained_backbone_weights: str | None = None
    # Replace every BatchNorm2d of the backbone by GroupNorm(channels // 16, channels).
    use_group_norm: bool = True
    # Number of keypoints of the spatial soft-argmax (image feature width = 2 * this).
    spatial_softmax_num_keypoints: int = 32
    # One RGB encoder per camera instead of one shared encoder.
    use_separate_rgb_encoder_per_camera: bool = False
    # U-Net channel widths per level (horizon must be divisible by 2**len(down_dims)).
    down_dims: tuple[int, ...] = (512, 1024, 2048)
    # Conv1d kernel size in the U-Net.
    kernel_size: int = 5
    # GroupNorm groups in the U-Net residual blocks.
    n_groups: int = 8
    # Width of the diffusion-step embedding.
    diffusion_step_embed_dim: int = 128
    # FiLM with scale and bias (True) or bias only (False).
    use_film_scale_modulation: bool = True

    # Noise scheduler ("DDPM" or "DDIM", diffusers schedulers).
    noise_scheduler_type: str = "DDPM"
    # Diffusion steps of the noise schedule during training.
    num_train_timesteps: int = 100
    # Noise schedule: squaredcos_cap_v2, linear or scaled_linear.
    beta_schedule: str = "squaredcos_cap_v2"
    # First beta of the noise schedule.
    beta_start: float = 0.0001
    # Last beta of the noise schedule.
    beta_end: float = 0.02
    # What the U-Net predicts: "epsilon" (the noise) or "sample" (the clean trajectory).
    prediction_type: str = "epsilon"
    # Clip the denoised sample to [-clip_sample_range, clip_sample_range] at each step.
    clip_sample: bool = True
    # Bound of the clipping (normalized action units).
    clip_sample_range: float = 1.0

    # Denoising steps at inference; None = num_train_timesteps.
    num_inference_steps: int | None = None

    # torch.compile the model (accepted for compatibility; the eager model is used here).
    compile_model: bool = False
    # torch.compile mode when compile_model is true.
    compile_mode: str = "reduce-overhead"

    # Loss computation: mask out padded actions (beyond the episode end) in the MSE.
    do_mask_loss_for_padding: bool = False

    # Learning rate of the training preset (Adam).
    optimizer_lr: float = 1e-4
    # Adam (beta1, beta2) of the training preset.
    optimizer_betas: tuple[float, float] = (0.95, 0.999)
    # Adam epsilon of the training preset.
    optimizer_eps: float = 1e-8
    # Weight decay of the training preset.
    optimizer_weight_decay: float = 1e-6
    # LR schedule of the training preset (a diffusers schedule name, e.g. cosine).
    scheduler_name: str = "cosine"
    # Warm-up steps of the preset LR schedule.
    scheduler_warmup_steps: int = 500

    # Numeric fields checked at construction (see `lerobot.configs.types.check_numbers`).
    positive_fields: ClassVar[tuple[str, ...]] = (
        "horizon",
        "n_action_steps",
        "spatial_softmax_num_keypoints",
        "down_dims",
        "kernel_size",
        "n_groups",
        "diffusion_step_embed_dim",
        "num_train_timesteps",
        "beta_start",
        "beta_end",
        "clip_sample_range",
        "num_inference_steps",
        "optimizer_lr",
        "optimizer_eps",
        "resize_shape",
        "crop_shape",
    )
    non_negative_fields: ClassVar[tuple[str, ...]] = (
        "drop_n_last_frames",
        "optimizer_weight_decay",
        "scheduler_warmup_steps",
    )
    unit_interval_fields: ClassVar[tuple[str, ...]] = ("optimizer_betas",)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.crop_shape is not None:
            self.crop_shape = self._pair(self.crop_shape, "crop_shape")
        if self.resize_shape is not None:
            self.resize_shape = self._pair(self.resize_shape, "resize_shape")
            if not 0.0 < self.crop_ratio <= 1.0:
                raise ValueError(f"crop_ratio must be in (0, 1], got {self.crop_ratio}.")
            # v0.4.4: with a resize, the crop is derived from it (the given crop_shape is overwritten).
            if self.crop_ratio < 1.0:
                h, w = self.resize_shape
                self.crop_shape = (int(h * self.crop_ratio), int(w * self.crop_ratio))
            else:
                self.crop_shape = None
        self.down_dims = tuple(int(d) for d in self.down_dims)
        self.optimizer_betas = tuple(self.optimizer_betas)
        if not self.vision_backbone.startswith("resnet"):
            raise ValueError(
                f"vision_backbone must be a ResNet variant (e.g. 'resnet18'), got '{self.vision_backbone}'."
            )
        if self.use_group_norm and self.pretrained_backbone_weights:
            raise ValueError(
                "use_group_norm=True cannot be combined with pretrained_backbone_weights "
                f"({self.pretrained_backbone_weights!r}): the pretrained BatchNorm layers would be replaced. "
                "Set use_group_norm=false or pretrained_backbone_weights=null."
            )
        if self.noise_scheduler_type not in NOISE_SCHEDULERS:
            raise ValueError(
                f"noise_scheduler_type must be one of {list(NOISE_SCHEDULERS)}, got "
                f"'{self.noise_scheduler_type}'."
            )
        if self.prediction_type not in PREDICTION_TYPES:
            raise ValueError(
                f"prediction_type must be one of {list(PREDICTION_TYPES)}, got '{self.prediction_type}'."
            )
        if not self.down_dims:
            raise ValueError("down_dims must list at least one U-Net level width, e.g. [512, 1024, 2048].")
        downsampling_factor = 2 ** len(self.down_dims)
        if self.horizon % downsampling_factor != 0:
            raise ValueError(
                f"horizon ({self.horizon}) must be divisible by 2**len(down_dims) = {downsampling_factor} "
                f"(down_dims={list(self.down_dims)}): the U-Net halves the trajectory length at each level."
            )
        if self.n_action_steps > self.horizon - self.n_obs_steps + 1:
            raise ValueError(
                f"n_action_steps ({self.n_action_steps}) cannot exceed horizon - n_obs_steps + 1 = "
                f"{self.horizon - self.n_obs_steps + 1}: the executed actions start at the current frame "
                f"(index n_obs_steps - 1 = {self.n_obs_steps - 1}) of the {self.horizon}-step trajectory."
            )
        if self.n_action_steps < 1:
            raise ValueError(f"n_action_steps must be >= 1, got {self.n_action_steps}.")
        if self.num_inference_steps is not None and not (
            1 <= self.num_inference_steps <= self.num_train_timesteps
        ):
            raise ValueError(
                f"num_inference_steps ({self.num_inference_steps}) must be between 1 and "
                f"num_train_timesteps ({self.num_train_timesteps}), or null."
            )
        for d in self.down_dims:
            if d % self.n_groups != 0 or d % 8 != 0:
                raise ValueError(
                    f"Every down_dims entry must be divisible by n_groups ({self.n_groups}) and by 8 (the "
                    f"final conv block's GroupNorm); got down_dims={list(self.down_dims)}."
                )
        if self.diffusion_step_embed_dim % 2 != 0 or self.diffusion_step_embed_dim < 4:
            raise ValueError(
                f"diffusion_step_embed_dim must be even and >= 4, got {self.diffusion_step_embed_dim}."
            )

    @staticmethod
    def _pair(value, name: str) -> tuple[int, int]:
        value = tuple(int(v) for v in value)
        if len(value) != 2 or min(value) < 1:
            raise ValueError(
                f"{name} must be a pair of positive integers (height, width), got {list(value)}."
            )
        return value

    # ----- time windows -------------------------------------------------------------------------------
    @property
    def observation_delta_indices(self) -> list[int]:
        return list(range(1 - self.n_obs_steps, 1))

    @property
    def action_delta_indices(self) -> list[int]:
        return list(range(1 - self.n_obs_steps, 1 - self.n_obs_steps + self.horizon))

    @property
    def reward_delta_indices(self) -> None:
        return None

    # ----- presets ------------------------------------------------------------------------------------
    def get_optimizer_preset(self):
        from lerobot.optim.optimizers import AdamConfig

        return AdamConfig(
            lr=self.optimizer_lr,
            betas=self.optimizer_betas,
            eps=self.optimizer_eps,
            weight_decay=self.optimizer_weight_decay,
        )

    def get_scheduler_preset(self):
        from lerobot.optim.schedulers import DiffuserSchedulerConfig

        return DiffuserSchedulerConfig(name=self.scheduler_name, num_warmup_steps=self.scheduler_warmup_steps)

    # ----- features -----------------------------------------------------------------------------------
    def validate_features(self) -> None:
        super().validate_features()
        if not self.input_features:
            return
        if self.robot_state_feature is None:
            raise ValueError(
                f"The diffusion policy needs a '{OBS_STATE}' input of type STATE (it conditions on the "
                f"robot state); got input features {list(self.input_features)}."
            )
        if not self.image_features and self.env_state_feature is None:
            raise ValueError(
                "The diffusion policy needs at least one camera (VISUAL input) or the environment state "
                f"(ENV input); got input features {list(self.input_features)}."
            )
        images = self.image_features
        for key, ft in images.items():
            if len(ft.shape) != 3:
                raise ValueError(f"Camera feature '{key}' must have shape (C, H, W), got {list(ft.shape)}.")
        if self.crop_shape is not None and self.resize_shape is None:
            for key, ft in images.items():
                if self.crop_shape[0] > ft.shape[1] or self.crop_shape[1] > ft.shape[2]:
                    raise ValueError(
                        f"crop_shape {list(self.crop_shape)} does not fit inside the image of '{key}' "
                        f"(C, H, W) = {list(ft.shape)}: choose a crop no larger than (H, W), or null."
                    )
        if len(images) > 1 and not self.use_separate_rgb_encoder_per_camera:
            first_key, first = next(iter(images.items()))
            for key, ft in images.items():
                if tuple(ft.shape) != tuple(first.shape):
                    raise ValueError(
                        f"Camera '{key}' has shape {list(ft.shape)} but '{first_key}' has "
                        f"{list(first.shape)}: a shared RGB encoder needs all cameras of one shape. Resize "
                        "them, or set use_separate_rgb_encoder_per_camera=true."
                    )

    @property
    def image_feature_dim(self) -> int:
        """Width of one camera's encoded features (2 * spatial_softmax_num_keypoints)."""
        return 2 * self.spatial_softmax_num_keypoints

    @property
    def global_cond_dim(self) -> int:
        """G = n_obs_steps * (S + N * 2K + E), the U-Net's observation-conditioning width."""
        per_step = self.robot_state_feature.shape[0] if self.robot_state_feature else 0
        per_step += len(self.image_features) * self.image_feature_dim
        if self.env_state_feature is not None:
            per_step += self.env_state_feature.shape[0]
        return per_step * self.n_obs_steps


__all__ = ["DiffusionConfig"]
