"""ACT: Action Chunking Transformer (Zhao et al. 2023, "Learning Fine-Grained Bimanual Manipulation with
Low-Cost Hardware"), checkpoint-compatible with lerobot 0.3.2 / 0.4.4 (docs/policies/act.md).

Batch (normalized space, inside the hooks):
    observation.state              (B, S)            optional
    observation.environment_state  (B, E)            optional
    observation.images.*           (B, 3, H, W)      cameras in `config.image_features` order
    action                         (B, K, A)         training only, K = chunk_size
    action_is_pad                  (B, K) bool       training only (absent = no padding)

Network (sequence-first inside the transformer, like torch.nn.MultiheadAttention):
    [VAE encoder over (cls, state, a_1..a_K) -> z (B, L)]  (training with use_vae; else z = 0)
    tokens = [latent, state?, env?, camera features (h'w' per camera)] -> (Ltok, B, D)
    encoder(tokens) -> memory; decoder(zeros (K, B, D), memory) -> (K, B, D) -> action_head -> (B, K, A)

Where this follows the reference rather than the paper: `decoder.norm` is applied even in post-norm mode;
only the first decoder layer's output is used by the original code, here `n_decoder_layers` layers run
(default 1, as in the reference); the VAE encoder is not Xavier-initialized.
"""

from __future__ import annotations

import math
from collections import deque
from itertools import chain
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lerobot.policies.act.configuration_act import ACTConfig
from lerobot.policies.pretrained import PreTrainedPolicy
from lerobot.policies.resnet import FrozenBatchNorm2d, resnet
from lerobot.utils.constants import ACTION, OBS_STATE

OBS_IMAGES_LIST = "observation.images"  # batch key holding the list of camera tensors inside the model


class ACTPolicy(PreTrainedPolicy):
    """ACT with an action queue (or temporal ensembling) on top; see the module docstring."""

    config_class = ACTConfig
    name = "act"

    def __init__(self, config: ACTConfig, dataset_stats: dict[str, dict[str, Any]] | None = None):
        super().__init__(config, dataset_stats)
        config.validate_features()
        self.config: ACTConfig = config
        self.model = ACT(config)
        self.temporal_ensembler = (
            ACTTemporalEnsembler(config.temporal_ensemble_coeff, config.chunk_size)
            if config.temporal_ensemble_coeff is not None
            else None
        )
        self.reset()

    def get_optim_params(self) -> list[dict[str, Any]]:
        """Two AdamW groups: everything but the backbone, and `model.backbone.*` at its own lr."""
        named = [(n, p) for n, p in self.named_parameters() if p.requires_grad]
        return [
            {"params": [p for n, p in named if not n.startswith("model.backbone")]},
            {
                "params": [p for n, p in named if n.startswith("model.backbone")],
                "lr": self.config.optimizer_lr_backbone,
            },
        ]

    def reset(self) -> None:
        if self.temporal_ensembler is not None:
            self.temporal_ensembler.reset()
        else:
            self._action_queue: deque[Tensor] = deque(maxlen=self.config.n_action_steps)

    def _with_image_list(self, batch: dict[str, Any]) -> dict[str, Any]:
        if self.config.image_features:
            batch = dict(batch)
            batch[OBS_IMAGES_LIST] = [batch[key] for key in self.config.image_features]
        return batch

    @torch.no_grad()
    def select_action_normalized(self, batch: dict[str, Any]) -> Tensor:
        """One normalized action (B, A): pops the queue, running the model when it is empty."""
        self.eval()  # like the reference, inference always runs in eval mode
        if self.temporal_ensembler is not None:
            return self.temporal_ensembler.update(self.predict_action_chunk_normalized(batch))
        if len(self._action_queue) == 0:
            actions = self.predict_action_chunk_normalized(batch)[:, : self.config.n_action_steps]
            # (B, n_action_steps, A) -> n_action_steps tensors of (B, A)
            self._action_queue.extend(actions.transpose(0, 1))
        return self._action_queue.popleft()

    @torch.no_grad()
    def predict_action_chunk_normalized(self, batch: dict[str, Any]) -> Tensor:
        """The whole normalized chunk (B, K, A) for the current observation."""
        self.eval()
        actions, _ = self.model(self._with_image_list(batch))
        return actions

    def forward_normalized(self, batch: dict[str, Any]) -> tuple[Tensor, dict[str, float]]:
        """L1 over the (unpadded) chunk, plus kl_weight x KL with the VAE; info: l1_loss, kld_loss."""
        if self.config.use_vae and not self.training:
            raise RuntimeError(
                "ACT with use_vae=True computes its loss in training mode only (the VAE encoder that gives "
                "the KL term runs only in train mode): call policy.train() before forward()."
            )
        batch = self._with_image_list(batch)
        actions_hat, (mu, log_sigma_x2) = self.model(batch)
        target = batch[ACTION]
        pad = batch.get("action_is_pad")
        not_pad = (
            torch.ones(target.shape[:2], dtype=torch.bool, device=target.device) if pad is None else ~pad
        )
        # Padded entries are zeroed but still counted in the mean (reference behaviour).
        l1_loss = (F.l1_loss(target, actions_hat, reduction="none") * not_pad.unsqueeze(-1)).mean()
        info = {"l1_loss": l1_loss.item()}
        if self.config.use_vae:
            # KL(N(mu, sigma) || N(0, 1)) summed over latent dims, averaged over the batch.
            kld = (-0.5 * (1 + log_sigma_x2 - mu.pow(2) - log_sigma_x2.exp())).sum(-1).mean()
            info["kld_loss"] = kld.item()
            loss = l1_loss + kld * self.config.kl_weight
        else:
            loss = l1_loss
        return loss, info


class ACTTemporalEnsembler:
    """Online exponentially weighted average of overlapping chunks (ACT paper, Alg. 2; docs/policies/act.md).

    w_i = exp(-coeff * i) with w_0 for the OLDEST prediction of a step; each `update` consumes one chunk
    (B, K, A) and returns the ensembled action (B, A) for the current step.
    """

    def __init__(self, temporal_ensemble_coeff: float, chunk_size: int):
        self.chunk_size = chunk_size
        self.ensemble_weights = torch.exp(-temporal_ensemble_coeff * torch.arange(chunk_size))
        self.ensemble_weights_cumsum = torch.cumsum(self.ensemble_weights, dim=0)
        self.reset()

    def reset(self) -> None:
        self.ensembled_actions: Tensor | None = None  # (B, n, A) running averages for the next n steps
        self.ensembled_actions_count: Tensor | None = None  # (n, 1) long, predictions seen per step

    def update(self, actions: Tensor) -> Tensor:
        w = self.ensemble_weights = self.ensemble_weights.to(actions.device)
        wc = self.ensemble_weights_cumsum = self.ensemble_weights_cumsum.to(actions.device)
        if self.ensembled_actions is None:
            self.ensembled_actions = actions.clone()
            self.ensembled_actions_count = torch.ones(
                (self.chunk_size, 1), dtype=torch.long, device=actions.device
            )
        else:
            count = self.ensembled_actions_count
            self.ensembled_actions = self.ensembled_actions * wc[count - 1]
            self.ensembled_actions = self.ensembled_actions + actions[:, :-1] * w[count]
            self.ensembled_actions = self.ensembled_actions / wc[count]
            count = torch.clamp(count + 1, max=self.chunk_size)
            self.ensembled_actions = torch.cat([self.ensembled_actions, actions[:, -1:]], dim=1)
            self.ensembled_actions_count = torch.cat([count, torch.ones_like(count[-1:])])
        action = self.ensembled_actions[:, 0]
        self.ensembled_actions = self.ensembled_actions[:, 1:]
        self.ensembled_actions_count = self.ensembled_actions_count[1:]
        return action


class ACT(nn.Module):
    """The network (`policy.model`); state-dict names as in the reference (docs/policies/act.md)."""

    def __init__(self, config: ACTConfig):
        super().__init__()
        self.config = config
        D = config.dim_model
        state_ft, env_ft = config.robot_state_feature, config.env_state_feature
        action_dim = config.action_feature.shape[0]
        if config.use_vae:
            self.vae_encoder = ACTEncoder(config, is_vae_encoder=True)
            self.vae_encoder_cls_embed = nn.Embedding(1, D)
            if state_ft is not None:
                self.vae_encoder_robot_state_input_proj = nn.Linear(state_ft.shape[0], D)
            self.vae_encoder_action_input_proj = nn.Linear(action_dim, D)
            self.vae_encoder_latent_output_proj = nn.Linear(D, config.latent_dim * 2)
            n_vae_tokens = 1 + config.chunk_size + (1 if state_ft is not None else 0)
            self.register_buffer(
                "vae_encoder_pos_enc", create_sinusoidal_pos_embedding(n_vae_tokens, D).unsqueeze(0)
            )
        if config.image_features:
            trunk = resnet(
                config.vision_backbone,
                norm_layer=FrozenBatchNorm2d,
                replace_stride_with_dilation=(False, False, bool(config.replace_final_stride_with_dilation)),
                weights=config.pretrained_backbone_weights,
            )
            backbone_channels = trunk.num_features
            self.backbone = trunk.drop_head()
        self.encoder = ACTEncoder(config)
        self.decoder = ACTDecoder(config)
        if state_ft is not None:
            self.encoder_robot_state_input_proj = nn.Linear(state_ft.shape[0], D)
        if env_ft is not None:
            self.encoder_env_state_input_proj = nn.Linear(env_ft.shape[0], D)
        self.encoder_latent_input_proj = nn.Linear(config.latent_dim, D)
        if config.image_features:
            self.encoder_img_feat_input_proj = nn.Conv2d(backbone_channels, D, kernel_size=1)
        n_1d_tokens = 1 + (1 if state_ft is not None else 0) + (1 if env_ft is not None else 0)
        self.encoder_1d_feature_pos_embed = nn.Embedding(n_1d_tokens, D)
        if config.image_features:
            self.encoder_cam_feat_pos_embed = ACTSinusoidalPositionEmbedding2d(D // 2)
        self.decoder_pos_embed = nn.Embedding(config.chunk_size, D)
        self.action_head = nn.Linear(D, action_dim)
        for p in chain(self.encoder.parameters(), self.decoder.parameters()):
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)

    def forward(self, batch: dict[str, Any]) -> tuple[Tensor, tuple[Tensor | None, Tensor | None]]:
        """Normalized batch -> (actions (B, K, A), (mu, log_sigma_x2) each (B, L) or None)."""
        cfg = self.config
        has_state = cfg.robot_state_feature is not None
        env_key = cfg.env_state_key
        images = batch.get(OBS_IMAGES_LIST) or []
        first = images[0] if images else batch[env_key] if env_key else batch[OBS_STATE]
        batch_size = first.shape[0]
        device = self.encoder_latent_input_proj.weight.device

        if cfg.use_vae and self.training and ACTION in batch:
            # VAE encoder tokens: [cls, state?, a_1..a_K] -> (B, K+1|K+2, D)
            cls_embed = self.vae_encoder_cls_embed.weight.unsqueeze(0).expand(batch_size, -1, -1)
            parts = [cls_embed]
            if has_state:
                parts.append(self.vae_encoder_robot_state_input_proj(batch[OBS_STATE]).unsqueeze(1))
            parts.append(self.vae_encoder_action_input_proj(batch[ACTION]))
            vae_in = torch.cat(parts, dim=1)
            pos = self.vae_encoder_pos_enc.clone().detach()  # (1, n, D)
            action_is_pad = batch.get("action_is_pad")
            if action_is_pad is None:
                action_is_pad = torch.zeros(batch[ACTION].shape[:2], dtype=torch.bool, device=device)
            head_pad = torch.zeros((batch_size, len(parts) - 1), dtype=torch.bool, device=device)
            key_padding_mask = torch.cat([head_pad, action_is_pad], dim=1)  # (B, n)
            cls_out = self.vae_encoder(
                vae_in.permute(1, 0, 2), pos_embed=pos.permute(1, 0, 2), key_padding_mask=key_padding_mask
            )[0]  # (B, D)
            latent_params = self.vae_encoder_latent_output_proj(cls_out)  # (B, 2L)
            mu = latent_params[:, : cfg.latent_dim]
            log_sigma_x2 = latent_params[:, cfg.latent_dim :]  # 2 log(sigma)
            eps = torch.randn(mu.shape, dtype=mu.dtype, device=mu.device)
            latent = mu + log_sigma_x2.div(2).exp() * eps
        else:
            mu = log_sigma_x2 = None
            latent = torch.zeros((batch_size, cfg.latent_dim), dtype=torch.float32, device=device)

        # Encoder tokens (Ltok, B, D) and their positions (Ltok, 1, D).
        tokens = [self.encoder_latent_input_proj(latent).unsqueeze(0)]
        positions = [self.encoder_1d_feature_pos_embed.weight.unsqueeze(1)]
        if has_state:
            tokens.append(self.encoder_robot_state_input_proj(batch[OBS_STATE]).unsqueeze(0))
        if cfg.env_state_feature is not None:
            tokens.append(self.encoder_env_state_input_proj(batch[env_key]).unsqueeze(0))
        for img in images:
            features = self.backbone(img)  # (B, C, h', w')
            cam_pos = self.encoder_cam_feat_pos_embed(features).to(dtype=features.dtype)  # (1, D, h', w')
            features = self.encoder_img_feat_input_proj(features)  # (B, D, h', w')
            tokens.append(features.flatten(2).permute(2, 0, 1))  # (h'w', B, D), row-major
            positions.append(cam_pos.flatten(2).permute(2, 0, 1))  # (h'w', 1, D)
        encoder_in = torch.cat(tokens, dim=0)
        encoder_pos = torch.cat(positions, dim=0)
        memory = self.encoder(encoder_in, pos_embed=encoder_pos)

        decoder_in = torch.zeros(
            (cfg.chunk_size, batch_size, cfg.dim_model), dtype=encoder_pos.dtype, device=encoder_pos.device
        )
        decoder_out = self.decoder(
            decoder_in,
            memory,
            encoder_pos_embed=encoder_pos,
            decoder_pos_embed=self.decoder_pos_embed.weight.unsqueeze(1),
        )  # (K, B, D)
        actions = self.action_head(decoder_out.transpose(0, 1))  # (B, K, A)
        return actions, (mu, log_sigma_x2)


def _activation(name: str):
    return {"relu": F.relu, "gelu": F.gelu}[name]


class ACTEncoder(nn.Module):
    """Stack of encoder layers (+ final LayerNorm only with pre_norm)."""

    def __init__(self, config: ACTConfig, is_vae_encoder: bool = False):
        super().__init__()
        n = config.n_vae_encoder_layers if is_vae_encoder else config.n_encoder_layers
        self.layers = nn.ModuleList([ACTEncoderLayer(config) for _ in range(n)])
        self.norm = nn.LayerNorm(config.dim_model) if config.pre_norm else nn.Identity()

    def forward(self, x: Tensor, pos_embed: Tensor | None = None, key_padding_mask: Tensor | None = None):
        """x (L, B, D), pos_embed (L, 1, D), key_padding_mask (B, L) -> (L, B, D)."""
        for layer in self.layers:
            x = layer(x, pos_embed=pos_embed, key_padding_mask=key_padding_mask)
        return self.norm(x)


class ACTEncoderLayer(nn.Module):
    def __init__(self, config: ACTConfig):
        super().__init__()
        D, F_ = config.dim_model, config.dim_feedforward
        self.self_attn = nn.MultiheadAttention(D, config.n_heads, dropout=config.dropout)
        self.linear1 = nn.Linear(D, F_)
        self.dropout = nn.Dropout(config.dropout)
        self.linear2 = nn.Linear(F_, D)
        self.norm1 = nn.LayerNorm(D)
        self.norm2 = nn.LayerNorm(D)
        self.dropout1 = nn.Dropout(config.dropout)
        self.dropout2 = nn.Dropout(config.dropout)
        self.activation = _activation(config.feedforward_activation)
        self.pre_norm = config.pre_norm

    def forward(self, x: Tensor, pos_embed: Tensor | None = None, key_padding_mask: Tensor | None = None):
        skip = x
        if self.pre_norm:
            x = self.norm1(x)
        q = k = x if pos_embed is None else x + pos_embed
        x = self.self_attn(q, k, value=x, key_padding_mask=key_padding_mask)[0]
        x = skip + self.dropout1(x)
        if self.pre_norm:
            skip = x
            x = self.norm2(x)
        else:
            x = self.norm1(x)
            skip = x
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        x = skip + self.dropout2(x)
        if not self.pre_norm:
            x = self.norm2(x)
        return x


class ACTDecoder(nn.Module):
    """Stack of decoder layers followed by a LayerNorm (always, also in post-norm mode)."""

    def __init__(self, config: ACTConfig):
        super().__init__()
        self.layers = nn.ModuleList([ACTDecoderLayer(config) for _ in range(config.n_decoder_layers)])
        self.norm = nn.LayerNorm(config.dim_model)

    def forward(
        self,
        x: Tensor,
        encoder_out: Tensor,
        decoder_pos_embed: Tensor | None = None,
        encoder_pos_embed: Tensor | None = None,
    ) -> Tensor:
        """x (K, B, D), encoder_out (Ltok, B, D), positions (K|Ltok, 1, D) -> (K, B, D)."""
        for layer in self.layers:
            x = layer(
                x, encoder_out, decoder_pos_embed=decoder_pos_embed, encoder_pos_embed=encoder_pos_embed
            )
        return self.norm(x)


class ACTDecoderLayer(nn.Module):
    def __init__(self, config: ACTConfig):
        super().__init__()
        D, F_ = config.dim_model, config.dim_feedforward
        self.self_attn = nn.MultiheadAttention(D, config.n_heads, dropout=config.dropout)
        self.multihead_attn = nn.MultiheadAttention(D, config.n_heads, dropout=config.dropout)
        self.linear1 = nn.Linear(D, F_)
        self.dropout = nn.Dropout(config.dropout)
        self.linear2 = nn.Linear(F_, D)
        self.norm1 = nn.LayerNorm(D)
        self.norm2 = nn.LayerNorm(D)
        self.norm3 = nn.LayerNorm(D)
        self.dropout1 = nn.Dropout(config.dropout)
        self.dropout2 = nn.Dropout(config.dropout)
        self.dropout3 = nn.Dropout(config.dropout)
        self.activation = _activation(config.feedforward_activation)
        self.pre_norm = config.pre_norm

    @staticmethod
    def _with_pos(x: Tensor, pos: Tensor | None) -> Tensor:
        return x if pos is None else x + pos

    def forward(self, x, encoder_out, decoder_pos_embed=None, encoder_pos_embed=None) -> Tensor:
        skip = x
        if self.pre_norm:
            x = self.norm1(x)
        q = k = self._with_pos(x, decoder_pos_embed)
        x = self.self_attn(q, k, value=x)[0]
        x = skip + self.dropout1(x)
        if self.pre_norm:
            skip = x
            x = self.norm2(x)
        else:
            x = self.norm1(x)
            skip = x
        x = self.multihead_attn(
            query=self._with_pos(x, decoder_pos_embed),
            key=self._with_pos(encoder_out, encoder_pos_embed),
            value=encoder_out,
        )[0]
        x = skip + self.dropout2(x)
        if self.pre_norm:
            skip = x
            x = self.norm3(x)
        else:
            x = self.norm2(x)
            skip = x
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        x = skip + self.dropout3(x)
        if not self.pre_norm:
            x = self.norm3(x)
        return x


def create_sinusoidal_pos_embedding(num_positions: int, dimension: int) -> Tensor:
    """(num_positions, dimension) float32: channel j of position p is sin/cos (even/odd j) of
    p / 10000^(2 floor(j/2) / dimension), computed in float64."""
    p = torch.arange(num_positions, dtype=torch.float64).unsqueeze(1)
    j = torch.arange(dimension, dtype=torch.float64).unsqueeze(0)
    angle = p / torch.pow(
        torch.tensor(10000.0, dtype=torch.float64), 2 * torch.div(j, 2, rounding_mode="floor") / dimension
    )
    table = angle.clone()
    table[:, 0::2] = torch.sin(angle[:, 0::2])
    table[:, 1::2] = torch.cos(angle[:, 1::2])
    return table.float()


class ACTSinusoidalPositionEmbedding2d(nn.Module):
    """2D sinusoid for a feature map: (B, C, h, w) -> (1, 2 * dimension, h, w).

    Rows/columns are numbered from 1 and scaled to (0, 2pi] by dividing by (size + 1e-6); the first
    `dimension` channels encode the row (y), the last `dimension` the column (x), sin/cos interleaved.
    """

    def __init__(self, dimension: int):
        super().__init__()
        self.dimension = dimension
        self._two_pi = 2 * math.pi
        self._eps = 1e-6
        self._temperature = 10000

    def forward(self, x: Tensor) -> Tensor:
        not_mask = torch.ones_like(x[0, :1])  # (1, h, w)
        y_range = not_mask.cumsum(1, dtype=torch.float32)
        x_range = not_mask.cumsum(2, dtype=torch.float32)
        y_range = y_range / (y_range[:, -1:, :] + self._eps) * self._two_pi
        x_range = x_range / (x_range[:, :, -1:] + self._eps) * self._two_pi
        inverse_frequency = self._temperature ** (
            2 * (torch.arange(self.dimension, dtype=torch.float32, device=x.device) // 2) / self.dimension
        )
        x_range = x_range.unsqueeze(-1) / inverse_frequency  # (1, h, w, d)
        y_range = y_range.unsqueeze(-1) / inverse_frequency
        pos_x = torch.stack((x_range[..., 0::2].sin(), x_range[..., 1::2].cos()), dim=-1).flatten(3)
        pos_y = torch.stack((y_range[..., 0::2].sin(), y_range[..., 1::2].cos()), dim=-1).flatten(3)
        return torch.cat((pos_y, pos_x), dim=3).permute(0, 3, 1, 2)  # (1, 2d, h, w)
