"""Diffusion Policy (Chi et al. 2023, "Diffusion Policy: Visuomotor Policy Learning via Action Diffusion").

docs/policies/diffusion.md. `DiffusionPolicy` (state-dict prefix `diffusion.`) wraps `DiffusionModel`, which holds
`rgb_encoder` (shared `SpatialSoftmaxRgbEncoder`, or a ModuleList of one per camera), `unet`
(`DiffusionConditionalUnet1d`) and a diffusers noise scheduler (no state-dict entries).

The public `select_action` / `predict_action_chunk` / `forward` (from `PreTrainedPolicy`) take raw
observations and return env-space actions; the `*_normalized` hooks implemented here are what the
reference 0.4.4 methods do (normalized in, normalized out; queues hold normalized tensors).

Batch shapes (B batch, T_obs = n_obs_steps, T = horizon, A action dim, S state dim, E env-state dim,
N cameras):
- `select_action[_normalized]`: `observation.state` (B, S), cameras (B, C, H, W), `observation.environment_state`
  (B, E) -> action (B, A).
- `forward[_normalized]` (training): `observation.state` (B, T_obs, S), cameras (B, T_obs, C, H, W) (or (B, C, H, W)
  when T_obs = 1), env (B, T_obs, E), `action` (B, T, A), optional `action_is_pad` (B, T) -> scalar loss.
"""

from __future__ import annotations

import logging
from collections import deque

import torch
import torch.nn.functional as F
from diffusers.schedulers.scheduling_ddim import DDIMScheduler
from diffusers.schedulers.scheduling_ddpm import DDPMScheduler
from torch import Tensor, nn

from lerobot.policies.diffusion.configuration_diffusion import DiffusionConfig
from lerobot.policies.diffusion.unet_diffusion import DiffusionConditionalUnet1d
from lerobot.policies.pretrained import PreTrainedPolicy
from lerobot.policies.utils import populate_queues, require_keys
from lerobot.policies.vision import SpatialSoftmaxRgbEncoder
from lerobot.utils.constants import ACTION, OBS_STATE

logger = logging.getLogger(__name__)


def make_noise_scheduler(name: str, **kwargs) -> DDPMScheduler | DDIMScheduler:
    """diffusers scheduler by name ("DDPM" | "DDIM"); other arguments keep the diffusers defaults."""
    if name == "DDPM":
        return DDPMScheduler(**kwargs)
    if name == "DDIM":
        return DDIMScheduler(**kwargs)
    raise ValueError(f"Unsupported noise scheduler type '{name}': expected 'DDPM' or 'DDIM'.")


class DiffusionModel(nn.Module):
    """Observation encoder + conditional U-Net + noise scheduler (no normalization, no queues)."""

    def __init__(self, config: DiffusionConfig):
        super().__init__()
        self.config = config
        if config.robot_state_feature is None:
            raise ValueError(f"The diffusion policy needs the '{OBS_STATE}' input feature.")
        if config.action_feature is None:
            raise ValueError(f"The diffusion policy needs the '{ACTION}' output feature.")
        self.image_keys = list(config.image_features)
        self.env_state_key = config.env_state_key

        if self.image_keys:

            def make_encoder(image_shape) -> SpatialSoftmaxRgbEncoder:
                return SpatialSoftmaxRgbEncoder(
                    image_shape=tuple(image_shape),
                    vision_backbone=config.vision_backbone,
                    pretrained_backbone_weights=config.pretrained_backbone_weights,
                    use_group_norm=config.use_group_norm,
                    num_keypoints=config.spatial_softmax_num_keypoints,
                    crop_shape=config.crop_shape,
                    crop_is_random=config.crop_is_random,
                    resize_shape=config.resize_shape,
                )

            if config.use_separate_rgb_encoder_per_camera:
                self.rgb_encoder = nn.ModuleList(
                    [make_encoder(ft.shape) for ft in config.image_features.values()]
                )
            else:
                self.rgb_encoder = make_encoder(next(iter(config.image_features.values())).shape)

        self.unet = DiffusionConditionalUnet1d(
            action_dim=config.action_feature.shape[0],
            global_cond_dim=config.global_cond_dim,
            down_dims=config.down_dims,
            kernel_size=config.kernel_size,
            n_groups=config.n_groups,
            diffusion_step_embed_dim=config.diffusion_step_embed_dim,
            use_film_scale_modulation=config.use_film_scale_modulation,
        )
        self.noise_scheduler = make_noise_scheduler(
            config.noise_scheduler_type,
            num_train_timesteps=config.num_train_timesteps,
            beta_start=config.beta_start,
            beta_end=config.beta_end,
            beta_schedule=config.beta_schedule,
            clip_sample=config.clip_sample,
            clip_sample_range=config.clip_sample_range,
            prediction_type=config.prediction_type,
        )
        if config.compile_model:
            logger.warning(
                "compile_model=True is accepted for config compatibility but ignored: the diffusion model "
                "runs eagerly (compile_mode=%r unused).",
                config.compile_mode,
            )
        self.num_inference_steps = (
            config.num_inference_steps
            if config.num_inference_steps is not None
            else self.noise_scheduler.config.num_train_timesteps
        )

    # ----- sampling -----------------------------------------------------------------------------------
    def conditional_sample(
        self, batch_size: int, global_cond: Tensor, noise: Tensor | None = None, generator=None
    ) -> Tensor:
        """Denoise from `noise` (or `randn(B, horizon, A)`, device RNG) -> (B, horizon, A).

        DDPM draws one more `randn(B, horizon, A)` per step with t > 0 (inside diffusers), DDIM none.
        """
        param = next(self.unet.parameters())
        shape = (batch_size, self.config.horizon, self.config.action_feature.shape[0])
        if noise is None:
            sample = torch.randn(shape, dtype=param.dtype, device=param.device, generator=generator)
        else:
            if tuple(noise.shape) != shape:
                raise ValueError(
                    f"noise must have shape (B, horizon, A) = {shape}, got {tuple(noise.shape)}."
                )
            sample = noise.to(dtype=param.dtype, device=param.device)
        self.noise_scheduler.set_timesteps(self.num_inference_steps)
        for t in self.noise_scheduler.timesteps:
            timestep = torch.full(sample.shape[:1], int(t), dtype=torch.long, device=sample.device)
            model_output = self.unet(sample, timestep, global_cond=global_cond)
            sample = self.noise_scheduler.step(model_output, t, sample, generator=generator).prev_sample
        return sample

    # ----- conditioning -------------------------------------------------------------------------------
    def _encode_images(self, batch: dict[str, Tensor], batch_size: int, n_obs_steps: int) -> Tensor:
        """Cameras (B, T_obs, C, H, W) each -> (B, T_obs, N * 2K), cameras concatenated in config order."""
        for key in self.image_keys:
            if key not in batch:
                raise KeyError(f"The batch is missing camera '{key}' (expected (B, n_obs_steps, C, H, W)).")
        if isinstance(self.rgb_encoder, nn.ModuleList):
            # One encoder per camera; each draws its own random-crop offsets, cameras in order.
            feats = [
                encoder(batch[key].flatten(0, 1)).view(batch_size, n_obs_steps, -1)  # (B, T_obs, 2K)
                for encoder, key in zip(self.rgb_encoder, self.image_keys)
            ]
            return torch.cat(feats, dim=-1)
        images = torch.stack([batch[key] for key in self.image_keys], dim=2)  # (B, T_obs, N, C, H, W)
        feats = self.rgb_encoder(images.flatten(0, 2))  # (B*T_obs*N, 2K), batch outermost then time, camera
        return feats.view(batch_size, n_obs_steps, -1)  # (B, T_obs, N*2K)

    def prepare_global_conditioning(self, batch: dict[str, Tensor]) -> Tensor:
        """(B, G): per time step `[state, camera features, env state]`, flattened time-major."""
        if OBS_STATE not in batch:
            raise KeyError(f"The batch is missing '{OBS_STATE}' (expected (B, n_obs_steps, S)).")
        state = batch[OBS_STATE]
        if state.ndim != 3 or state.shape[1] != self.config.n_obs_steps:
            raise ValueError(
                f"'{OBS_STATE}' must have shape (B, n_obs_steps={self.config.n_obs_steps}, S), got "
                f"{tuple(state.shape)}."
            )
        batch_size, n_obs_steps = state.shape[:2]
        feats = [state]
        if self.image_keys:
            feats.append(self._encode_images(batch, batch_size, n_obs_steps))
        if self.env_state_key is not None:
            if self.env_state_key not in batch:
                raise KeyError(f"The batch is missing '{self.env_state_key}' (expected (B, n_obs_steps, E)).")
            feats.append(batch[self.env_state_key])
        return torch.cat(feats, dim=-1).flatten(start_dim=1)

    def generate_actions(self, batch: dict[str, Tensor], noise: Tensor | None = None) -> Tensor:
        """Stacked observations (B, T_obs, ...) -> the executed actions (B, n_action_steps, A)."""
        batch_size = batch[OBS_STATE].shape[0]
        global_cond = self.prepare_global_conditioning(batch)
        actions = self.conditional_sample(batch_size, global_cond=global_cond, noise=noise)
        start = self.config.n_obs_steps - 1  # the current frame
        return actions[:, start : start + self.config.n_action_steps]

    # ----- training -----------------------------------------------------------------------------------
    def compute_loss(
        self, batch: dict[str, Tensor], eps: Tensor | None = None, timesteps: Tensor | None = None
    ) -> Tensor:
        """MSE of the U-Net prediction against the noise (epsilon) or the clean actions (sample).

        Draw order (docs/policies/diffusion.md, Training loss): random-crop offsets (CPU), `eps = randn(B, T, A)`,
        `timesteps = randint(0, num_train_timesteps, (B,))` (device RNG). `eps` / `timesteps` may be
        injected, in which case the corresponding draw is skipped.
        """
        if ACTION not in batch:
            raise KeyError(f"The training batch is missing '{ACTION}' (expected (B, horizon, A)).")
        trajectory = batch[ACTION]
        horizon = self.config.horizon
        if trajectory.ndim != 3 or trajectory.shape[1] != horizon:
            raise ValueError(
                f"'{ACTION}' must have shape (B, horizon={horizon}, A), got {tuple(trajectory.shape)}: build "
                "the dataset with the policy's action_delta_indices."
            )
        global_cond = self.prepare_global_conditioning(batch)
        if eps is None:
            eps = torch.randn(trajectory.shape, device=trajectory.device)
        if timesteps is None:
            timesteps = torch.randint(
                0,
                self.noise_scheduler.config.num_train_timesteps,
                (trajectory.shape[0],),
                device=trajectory.device,
            ).long()
        noisy_trajectory = self.noise_scheduler.add_noise(trajectory, eps, timesteps)
        pred = self.unet(noisy_trajectory, timesteps, global_cond=global_cond)
        if self.config.prediction_type == "epsilon":
            target = eps
        else:  # "sample"
            target = trajectory
        loss = F.mse_loss(pred, target, reduction="none")  # (B, T, A)
        if self.config.do_mask_loss_for_padding:
            pad_key = f"{ACTION}_is_pad"
            if pad_key not in batch:
                raise KeyError(
                    f"do_mask_loss_for_padding=True needs '{pad_key}' (B, horizon) in the batch; it is "
                    "produced by a dataset built with delta_timestamps."
                )
            loss = loss * (~batch[pad_key]).unsqueeze(-1)
        return loss.mean()


class DiffusionPolicy(PreTrainedPolicy):
    """Diffusion Policy with observation and action queues.

    The public `select_action` / `predict_action_chunk` / `forward` (base class) take raw observations and
    return env-space actions; the `*_normalized` hooks below work in normalized space (what the reference
    0.4.4 policy methods of the same name without the suffix do). Queues hold normalized tensors.
    """

    config_class = DiffusionConfig
    name = "diffusion"

    def __init__(self, config: DiffusionConfig, dataset_stats: dict | None = None):
        super().__init__(config, dataset_stats=dataset_stats)
        config.validate_features()
        self.diffusion = DiffusionModel(config)
        self._queues: dict[str, deque] = {}
        self.reset()

    def get_optim_params(self):
        """The single parameter group of the preset: every `diffusion.*` parameter."""
        return self.diffusion.parameters()

    def reset(self) -> None:
        """Clear the observation and action queues; call on every environment reset."""
        n_obs = self.config.n_obs_steps
        self._queues = {OBS_STATE: deque(maxlen=n_obs), ACTION: deque(maxlen=self.config.n_action_steps)}
        for key in self.config.image_features:
            self._queues[key] = deque(maxlen=n_obs)
        if self.config.env_state_key is not None:
            self._queues[self.config.env_state_key] = deque(maxlen=n_obs)

    def _observation_keys(self) -> list[str]:
        keys = [OBS_STATE, *self.config.image_features]
        if self.config.env_state_key is not None:
            keys.append(self.config.env_state_key)
        return keys

    def _push_observation(self, batch: dict[str, Tensor]) -> None:
        keys = self._observation_keys()
        require_keys(batch, keys, f"diffusion policy observation (inputs {keys})")
        populate_queues(self._queues, {k: batch[k] for k in keys})

    @torch.no_grad()
    def predict_action_chunk_normalized(
        self, batch: dict[str, Tensor], noise: Tensor | None = None
    ) -> Tensor:
        """(B, n_action_steps, A) normalized, from the observation queues.

        As in the reference, the chunk is computed from the queued history (filled by `select_action`);
        when the queues are empty (right after `reset()`), `batch` is taken as the current observation and
        fills them, as `select_action` would.
        """
        if len(self._queues[OBS_STATE]) == 0:
            self._push_observation(batch)
        stacked = {key: torch.stack(list(self._queues[key]), dim=1) for key in self._observation_keys()}
        return self.diffusion.generate_actions(stacked, noise=noise)  # stacked: (B, T_obs, ...)

    @torch.no_grad()
    def select_action_normalized(self, batch: dict[str, Tensor], noise: Tensor | None = None) -> Tensor:
        """One normalized action (B, A) per call; the model runs every `n_action_steps` calls."""
        self._push_observation(batch)
        if len(self._queues[ACTION]) == 0:
            actions = self.predict_action_chunk_normalized(batch, noise=noise)  # (B, n_action_steps, A)
            self._queues[ACTION].extend(actions.transpose(0, 1))
        return self._queues[ACTION].popleft()

    def forward_normalized(
        self, batch: dict[str, Tensor], eps: Tensor | None = None, timesteps: Tensor | None = None
    ) -> tuple[Tensor, None]:
        """Training loss on a normalized batch; `eps` / `timesteps` may be injected (see `compute_loss`)."""
        batch = dict(batch)
        if self.config.n_obs_steps == 1:
            # Accept frames without a time dimension when the policy sees a single observation step.
            for key in self._observation_keys():
                if key in batch and batch[key].ndim == len(self.config.input_features[key].shape) + 1:
                    batch[key] = batch[key].unsqueeze(1)
        loss = self.diffusion.compute_loss(batch, eps=eps, timesteps=timesteps)
        return loss, None


__all__ = ["DiffusionModel", "DiffusionPolicy", "make_noise_scheduler"]
