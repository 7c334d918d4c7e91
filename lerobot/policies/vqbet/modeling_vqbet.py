"""VQ-BeT policy (docs/policies/vqbet.md): a GPT over observation tokens predicts, per query token, two residual
VQ codes (sampled) and a continuous offset; the action chunk = decoded codes + offset.

Shapes (B batch, n = n_obs_steps, N = 1 camera, Tq = n_obs_steps + n_action_pred_token - 1 query tokens,
W = action_chunk_size, A = action dim, G = 2 codebooks, Cb = vqvae_n_embed):
- select_action: `observation.state` (B, S), camera (B, C, H, W), normalized -> action (B, A).
- predict_action_chunk: -> (B, W, A) (the chunk of the current step's query token).
- forward: `observation.state` (B, n, S), camera (B, n, C, H, W), `action` (B, n + n_action_pred_token +
  W - 2, A) -> loss. While the buffer `discretized` is False the forward trains the residual VQ-VAE on all
  sliding action windows (phase 1); after `n_vqvae_training_steps` such calls it flips the buffer and the
  forward trains the GPT and heads (phase 2).
"""

from __future__ import annotations

import logging
from collections import deque

import einops
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lerobot.policies.pretrained import PreTrainedPolicy
from lerobot.policies.utils import populate_queues
from lerobot.policies.vision import SpatialSoftmaxRgbEncoder
from lerobot.policies.vqbet.configuration_vqbet import VQBeTConfig
from lerobot.policies.vqbet.vqbet_utils import GPT, VqVae, focal_loss
from lerobot.utils.constants import ACTION, OBS_IMAGES, OBS_STATE

logger = logging.getLogger(__name__)

N_CODEBOOKS = 2  # residual VQ layers (fixed in the reference)


class VQBeTPolicy(PreTrainedPolicy):
    """VQ-BeT with the reference's state-dict layout (everything under `vqbet.`)."""

    config_class = VQBeTConfig
    name = "vqbet"

    def __init__(self, config: VQBeTConfig, dataset_stats=None):
        super().__init__(config, dataset_stats)
        config.validate_features()
        self.vqbet = VQBeTModel(config)
        self.reset()

    def reset(self) -> None:
        """Clear the observation queues (n_obs_steps long) and the action queue (action_chunk_size long)."""
        self._queues = {
            OBS_IMAGES: deque(maxlen=self.config.n_obs_steps),
            OBS_STATE: deque(maxlen=self.config.n_obs_steps),
            ACTION: deque(maxlen=self.config.action_chunk_size),
        }
        self._warned_not_discretized = False

    def get_optim_params(self) -> list[dict]:
        """Three Adam groups (docs/policies/vqbet.md, Training: two phases): GPT decay weights + encoders/projectors/heads (preset lr and weight
        decay); the VQ-VAE (optimizer_vqvae_lr / optimizer_vqvae_weight_decay); GPT no-decay params (wd 0)."""
        vqbet = self.vqbet
        decay, no_decay = vqbet.policy.configure_parameters()
        head = vqbet.action_head
        bin_heads = (
            [head.map_to_cbet_preds_primary_bin, head.map_to_cbet_preds_secondary_bin]
            if self.config.sequentially_select
            else [head.map_to_cbet_preds_bin]
        )
        others = [
            *vqbet.rgb_encoder.parameters(),
            *vqbet.state_projector.parameters(),
            *vqbet.rgb_feature_projector.parameters(),
            vqbet.action_token,
            *head.map_to_cbet_preds_offset.parameters(),
            *[p for m in bin_heads for p in m.parameters()],
        ]
        vqvae = [*head.vqvae_model.encoder.parameters(), *head.vqvae_model.decoder.parameters()]
        vqvae += list(head.vqvae_model.vq_layer.parameters())
        return [
            {"params": decay + others},
            {
                "params": vqvae,
                "lr": self.config.optimizer_vqvae_lr,
                "weight_decay": self.config.optimizer_vqvae_weight_decay,
            },
            {"params": no_decay, "weight_decay": 0.0},
        ]

    def _stack_cameras(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        batch = dict(batch)
        batch[OBS_IMAGES] = torch.stack([batch[k] for k in self.config.image_features], dim=-4)
        return batch

    @torch.no_grad()
    def predict_action_chunk_normalized(self, batch: dict[str, Tensor]) -> Tensor:
        """(B, W, A) from the observation queues; right after `reset()` the queues are first filled with
        copies of `batch` (the reference requires a prior `select_action` instead)."""
        if len(self._queues[OBS_STATE]) == 0:
            self._queues = populate_queues(self._queues, self._stack_cameras(batch))
        stacked = {k: torch.stack(list(self._queues[k]), dim=1) for k in (OBS_IMAGES, OBS_STATE)}
        return self.vqbet(stacked, rollout=True)[:, : self.config.action_chunk_size]

    @torch.no_grad()
    def select_action_normalized(self, batch: dict[str, Tensor]) -> Tensor:
        batch = self._stack_cameras({k: v for k, v in batch.items() if k != ACTION})
        self._queues = populate_queues(self._queues, batch)
        if not self.vqbet.action_head.vqvae_model.discretized.item() and not self._warned_not_discretized:
            self._warned_not_discretized = True  # once per episode
            logger.warning(
                "VQ-BeT is acting before its VQ-VAE was trained (buffer `discretized` is False): the action "
                "codes are meaningless until n_vqvae_training_steps phase-1 steps have run."
            )
        if len(self._queues[ACTION]) == 0:
            actions = self.predict_action_chunk_normalized(batch)  # (B, W, A)
            self._queues[ACTION].extend(actions.transpose(0, 1))
        return self._queues[ACTION].popleft()

    def forward_normalized(self, batch: dict[str, Tensor]) -> tuple[Tensor, dict]:
        batch = self._stack_cameras(batch)
        head = self.vqbet.action_head
        if not head.vqvae_model.discretized.item():
            # Phase 1: train the residual VQ-VAE on the action windows (images are not encoded).
            loss, n_codes, n_combinations, recon = head.discretize(
                self.config.n_vqvae_training_steps, batch[ACTION]
            )
            return loss, {
                "n_different_codes": float(n_codes),
                "n_different_combinations": float(n_combinations),
                "recon_l1_error": recon.item(),
            }
        # Phase 2: GPT + code/offset heads.
        loss_dict = self.vqbet(batch, rollout=False)
        loss = loss_dict.pop("loss")
        return loss, {k: float(v) for k, v in loss_dict.items()}


class VQBeTModel(nn.Module):
    """Observation tokens -> GPT -> action head. Token layout per observation step:
    [camera, state, action_token]; then n_action_pred_token - 1 extra action tokens."""

    def __init__(self, config: VQBeTConfig):
        super().__init__()
        self.config = config
        # Registered first so that the state-dict order matches the reference.
        self.action_token = nn.Parameter(torch.randn(1, 1, config.gpt_input_dim))
        Tq, W = config.n_query_tokens, config.action_chunk_size
        self.register_buffer(
            "select_target_actions_indices", torch.arange(Tq).unsqueeze(1) + torch.arange(W).unsqueeze(0)
        )  # (Tq, W): query q targets action rows q .. q+W-1
        image_shape = next(iter(config.image_features.values())).shape
        self.rgb_encoder = SpatialSoftmaxRgbEncoder(
            image_shape=tuple(image_shape),
            vision_backbone=config.vision_backbone,
            pretrained_backbone_weights=config.pretrained_backbone_weights,
            use_group_norm=config.use_group_norm,
            num_keypoints=config.spatial_softmax_num_keypoints,
            crop_shape=config.crop_shape,
            crop_is_random=config.crop_is_random,
        )
        self.state_projector = nn.Sequential(
            nn.Linear(config.robot_state_feature.shape[0], config.gpt_input_dim)
        )
        self.rgb_feature_projector = nn.Sequential(
            nn.Linear(self.rgb_encoder.feature_dim, config.gpt_input_dim)
        )
        self.policy = GPT(
            input_dim=config.gpt_input_dim,
            output_dim=config.gpt_output_dim,
            hidden_dim=config.gpt_hidden_dim,
            n_layer=config.gpt_n_layer,
            n_head=config.gpt_n_head,
            block_size=config.gpt_block_size,
            dropout=config.dropout,
        )
        self.action_head = VQBeTHead(config)
        n_in = len(config.input_features)
        # GPT output positions of each observation step's action token.
        self._query_index = [i * (n_in + 1) + n_in for i in range(config.n_obs_steps)]

    def forward(self, batch: dict[str, Tensor], rollout: bool) -> Tensor | dict[str, Tensor]:
        cfg = self.config
        B, n_obs = batch[OBS_STATE].shape[:2]
        if n_obs != cfg.n_obs_steps:
            raise ValueError(
                f"VQ-BeT expects {cfg.n_obs_steps} observation steps (n_obs_steps), got {n_obs} in "
                f"'{OBS_STATE}' of shape {tuple(batch[OBS_STATE].shape)}."
            )
        images = batch[OBS_IMAGES]  # (B, n, N, C, H, W)
        n_cams = images.shape[2]
        img_features = self.rgb_encoder(images.flatten(0, 2))  # (B*n*N, 2K), batch outermost
        img_features = einops.rearrange(img_features, "(b s n) e -> b s n e", b=B, s=n_obs, n=n_cams)
        img_tokens = self.rgb_feature_projector(img_features)  # (B, n, N, D)
        state_tokens = self.state_projector(batch[OBS_STATE]).unsqueeze(2)  # (B, n, 1, D)
        action_tokens = einops.repeat(self.action_token, "1 1 d -> b s 1 d", b=B, s=n_obs)
        tokens = torch.cat([img_tokens, state_tokens, action_tokens], dim=2)
        tokens = einops.rearrange(tokens, "b s t d -> b (s t) d")
        n_extra = cfg.n_action_pred_token - 1
        if n_extra > 0:
            tokens = torch.cat([tokens, self.action_token.repeat(B, n_extra, 1)], dim=1)

        features = self.policy(tokens)  # (B, T, gpt_output_dim)
        query = features[:, self._query_index]
        if n_extra > 0:
            query = torch.cat([query, features[:, -n_extra:]], dim=1)  # (B, Tq, gpt_output_dim)
        head_out = self.action_head(query)
        if rollout:
            W, A = cfg.action_chunk_size, cfg.action_feature.shape[0]
            return head_out["predicted_action"][:, n_obs - 1].reshape(B, W, A)
        target = batch[ACTION]
        needed = int(self.select_target_actions_indices.max()) + 1
        if target.shape[1] < needed:
            raise ValueError(
                f"VQ-BeT's training batch needs {needed} action steps (action_delta_indices), got "
                f"'{ACTION}' of shape {tuple(target.shape)}."
            )
        return self.action_head.loss_fn(head_out, target[:, self.select_target_actions_indices])


class VQBeTHead(nn.Module):
    """Code (bin) and offset heads over the GPT features, plus the residual VQ-VAE that decodes codes."""

    def __init__(self, config: VQBeTConfig):
        super().__init__()
        self.config = config
        A = config.action_feature.shape[0]
        W, Cb, D = config.action_chunk_size, config.vqvae_n_embed, config.gpt_output_dim
        self.vqvae_model = VqVae(A, W, config.vqvae_embedding_dim, config.vqvae_enc_hidden_dim, Cb)
        if config.sequentially_select:
            self.map_to_cbet_preds_primary_bin = nn.Sequential(nn.Linear(D, Cb))
            self.map_to_cbet_preds_secondary_bin = nn.Sequential(nn.Linear(D + Cb, Cb))
        else:
            self.map_to_cbet_preds_bin = nn.Sequential(nn.Linear(D, N_CODEBOOKS * Cb))
        self.map_to_cbet_preds_offset = nn.Sequential(nn.Linear(D, N_CODEBOOKS * Cb * W * A))
        self.optimized_steps = 0  # phase-1 forward calls (not saved, as in the reference)

    def discretize(self, n_vqvae_training_steps: int, actions: Tensor) -> tuple[Tensor, int, int, Tensor]:
        """Phase-1 step on (B, T, A) actions: all T-W+1 sliding windows, concatenated window-major."""
        W = self.config.action_chunk_size
        if actions.shape[1] < W:
            raise ValueError(
                f"Phase-1 VQ-BeT training needs at least action_chunk_size={W} action steps, got "
                f"'{ACTION}' of shape {tuple(actions.shape)}."
            )
        windows = torch.cat([actions[:, j : j + W] for j in range(actions.shape[1] - W + 1)], dim=0)
        loss, codes, recon_l1, _ = self.vqvae_model.vqvae_forward(windows)
        n_codes = sum(len(torch.unique(codes[:, g])) for g in range(codes.shape[1]))
        n_combinations = len(torch.unique(codes, dim=0))
        self.optimized_steps += 1
        if self.optimized_steps >= n_vqvae_training_steps:
            self.end_vqvae_phase()
        return loss, n_codes, n_combinations, recon_l1

    def end_vqvae_phase(self) -> None:
        """Switch to phase 2: mark the VQ-VAE discretized, freeze its codebooks, put it in eval mode."""
        self.vqvae_model.discretized.fill_(True)
        self.vqvae_model.vq_layer.freeze_codebook.fill_(True)
        self.vqvae_model.eval()
        for p in self.vqvae_model.vq_layer.parameters():
            p.requires_grad = False

    def forward(self, x: Tensor) -> dict[str, Tensor]:
        """x (B, Tq, D) -> cbet_logits (B*Tq, G, Cb), sampled_centers (B*Tq, G), decoded_action (B*Tq, W, A),
        predicted_action (B, Tq, W*A). Code sampling: one multinomial over (B*Tq*G, Cb) softmax(logits/temp)
        rows, or two over (B*Tq, Cb) (primary then secondary) with `sequentially_select`."""
        cfg = self.config
        B, Tq, _ = x.shape
        W, A, Cb = cfg.action_chunk_size, cfg.action_feature.shape[0], cfg.vqvae_n_embed
        x = einops.rearrange(x, "b t d -> (b t) d")
        NT = x.shape[0]
        offsets = einops.rearrange(
            self.map_to_cbet_preds_offset(x), "nt (g c wa) -> nt g c wa", g=N_CODEBOOKS, c=Cb
        )
        temp = cfg.bet_softmax_temperature
        if cfg.sequentially_select:
            primary_logits = self.map_to_cbet_preds_primary_bin(x)
            primary = torch.multinomial(F.softmax(primary_logits / temp, dim=-1), num_samples=1)  # (NT, 1)
            secondary_in = torch.cat([x, F.one_hot(primary[:, 0], num_classes=Cb).to(x.dtype)], dim=1)
            secondary_logits = self.map_to_cbet_preds_secondary_bin(secondary_in)
            secondary = torch.multinomial(F.softmax(secondary_logits / temp, dim=-1), num_samples=1)
            cbet_logits = torch.stack([primary_logits, secondary_logits], dim=1)
            sampled_centers = torch.cat([primary, secondary], dim=1)  # (NT, G)
        else:
            cbet_logits = einops.rearrange(self.map_to_cbet_preds_bin(x), "nt (g c) -> nt g c", g=N_CODEBOOKS)
            probs = F.softmax(cbet_logits / temp, dim=-1)
            sampled_centers = torch.multinomial(probs.view(-1, Cb), num_samples=1).view(NT, N_CODEBOOKS)
        rows = torch.arange(NT, device=x.device).unsqueeze(1)
        layers = torch.arange(N_CODEBOOKS, device=x.device).unsqueeze(0)
        sampled_offsets = offsets[rows, layers, sampled_centers].sum(dim=1)  # (NT, W*A)
        with torch.no_grad():
            centers = self.vqvae_model.draw_code_forward(sampled_centers)  # (NT, Dv)
            decoded_action = self.vqvae_model.get_action_from_latent(centers).detach()  # (NT, W, A)
        predicted_action = decoded_action + sampled_offsets.view(NT, W, A)
        return {
            "cbet_logits": cbet_logits,
            "sampled_centers": sampled_centers,
            "decoded_action": decoded_action,
            "predicted_action": einops.rearrange(predicted_action, "(b t) w a -> b t (w a)", b=B, t=Tq),
        }

    def loss_fn(self, pred: dict[str, Tensor], target: Tensor) -> dict[str, Tensor]:
        """Phase-2 loss. target (B, Tq, W, A) -> dict with `loss` and the reference's metrics.

        loss = primary_w * focal(logits[:, 0]) + secondary_w * focal(logits[:, 1]) + offset_w * L1 offset;
        the focal loss (gamma 2) uses raw logits; no padding mask (as in the reference).
        """
        cfg = self.config
        action_seq = einops.rearrange(target, "b t w a -> (b t) w a")
        NT = action_seq.shape[0]
        with torch.no_grad():
            _, action_bins = self.vqvae_model.get_code(action_seq)  # (NT, G) ground-truth codes
        predicted = pred["predicted_action"].reshape(action_seq.shape)
        decoded = pred["decoded_action"]
        sampled = pred["sampled_centers"]
        offset_loss = F.l1_loss(action_seq, predicted)
        logits = pred["cbet_logits"]
        cbet_loss = cfg.primary_code_loss_weight * focal_loss(
            logits[:, 0], action_bins[:, 0]
        ) + cfg.secondary_code_loss_weight * focal_loss(logits[:, 1], action_bins[:, 1])
        loss = cbet_loss + cfg.offset_loss_weight * offset_loss
        with torch.no_grad():
            err = (action_seq - predicted).abs()
            metrics = {
                "classification_loss": cbet_loss.detach(),
                "offset_loss": offset_loss.detach(),
                "equal_primary_code_rate": (action_bins[:, 0] == sampled[:, 0]).sum() / NT,
                "equal_secondary_code_rate": (action_bins[:, 1] == sampled[:, 1]).sum() / NT,
                "vq_action_error": (action_seq - decoded).abs().mean(),
                "offset_action_error": err.mean(),
                "action_error_max": err.max(),
                "action_mse_error": ((action_seq - predicted) ** 2).mean(),
            }
        return {"loss": loss, **metrics}
