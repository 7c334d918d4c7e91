"""TD-MPC policy: a task-oriented latent dynamics model (TOLD) + CEM/MPPI planning (docs/policies/tdmpc.md).

Shapes (B batch, H horizon, A action dim, Z latent_dim, E q_ensemble_size):
- select_action input: `observation.state` (B, S), `observation.environment_state` (B, Se), camera (B, C, h, h)
  in normalized space; output (B, A) in normalized space.
- predict_action_chunk output: time-major (H', B, A), H' = horizon with planning, 1 with the policy network.
- forward input: observations (B, H+1, ...), `action` (B, H, A), `next.reward` (B, H) and their `*_is_pad`
  masks; internally everything is transposed to time-first.

Where this port departs from the reference: the reference aliases the camera under `observation.image` in
select_action/forward but its encoder reads the camera's own key, so inference only works for a camera named
`observation.image` and, with another name, training augments an unused copy. Here the camera's own key is
used everywhere (identical results for `observation.image`).
"""

from collections import deque
from copy import deepcopy

import einops
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lerobot.policies.pretrained import PreTrainedPolicy
from lerobot.policies.tdmpc.configuration_tdmpc import TDMPCConfig
from lerobot.policies.utils import populate_queues
from lerobot.utils.constants import ACTION, OBS_STATE, REWARD


class TDMPCTOLD(nn.Module):
    """Encoder, latent dynamics, reward, Q ensemble, V and policy heads (names match the reference)."""

    def __init__(self, config: TDMPCConfig):
        super().__init__()
        self.config = config
        A = config.action_feature.shape[0]
        Z, M = config.latent_dim, config.mlp_dim
        self._encoder = TDMPCObservationEncoder(config)
        self._dynamics = nn.Sequential(
            nn.Linear(Z + A, M), nn.LayerNorm(M), nn.Mish(),
            nn.Linear(M, M), nn.LayerNorm(M), nn.Mish(),
            nn.Linear(M, Z), nn.LayerNorm(Z), nn.Sigmoid(),
        )  # fmt: skip
        self._reward = nn.Sequential(
            nn.Linear(Z + A, M), nn.LayerNorm(M), nn.Mish(),
            nn.Linear(M, M), nn.LayerNorm(M), nn.Mish(),
            nn.Linear(M, 1),
        )  # fmt: skip
        self._pi = nn.Sequential(
            nn.Linear(Z, M), nn.LayerNorm(M), nn.Mish(),
            nn.Linear(M, M), nn.LayerNorm(M), nn.Mish(),
            nn.Linear(M, A),
        )  # fmt: skip
        self._Qs = nn.ModuleList(
            [
                nn.Sequential(
                    nn.Linear(Z + A, M),
                    nn.LayerNorm(M),
                    nn.Tanh(),
                    nn.Linear(M, M),
                    nn.ELU(),
                    nn.Linear(M, 1),
                )  # fmt: skip
                for _ in range(config.q_ensemble_size)
            ]
        )
        self._V = nn.Sequential(
            nn.Linear(Z, M), nn.LayerNorm(M), nn.Tanh(),
            nn.Linear(M, M), nn.ELU(),
            nn.Linear(M, 1),
        )  # fmt: skip
        self._init_weights()

    def _init_weights(self):
        """Orthogonal init (Linear gain 1, Conv2d gain sqrt(2)), zero biases, zero last reward/Q layers."""

        def _init(m):
            if isinstance(m, nn.Linear):
                nn.init.orthogonal_(m.weight.data)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Conv2d):
                nn.init.orthogonal_(m.weight.data, nn.init.calculate_gain("relu"))
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

        self.apply(_init)
        for m in [self._reward, *self._Qs]:
            last = m[-1]
            nn.init.zeros_(last.weight)
            nn.init.zeros_(last.bias)

    def encode(self, obs: dict[str, Tensor]) -> Tensor:
        """(*, ...) observations -> (*, Z) latent."""
        return self._encoder(obs)

    def latent_dynamics_and_reward(self, z: Tensor, a: Tensor) -> tuple[Tensor, Tensor]:
        """(*, Z), (*, A) -> next latent (*, Z) and reward (*)."""
        x = torch.cat([z, a], dim=-1)
        return self._dynamics(x), self._reward(x).squeeze(-1)

    def latent_dynamics(self, z: Tensor, a: Tensor) -> Tensor:
        return self._dynamics(torch.cat([z, a], dim=-1))

    def pi(self, z: Tensor, std: float = 0.0) -> Tensor:
        """tanh(policy(z)) plus Gaussian noise of scale `std` (one randn of the action's shape if std > 0).

        The noisy action is not clamped (as in the reference).
        """
        action = torch.tanh(self._pi(z))
        if std > 0:
            action = action + std * torch.randn_like(action)
        return action

    def V(self, z: Tensor) -> Tensor:  # noqa: N802
        return self._V(z).squeeze(-1)

    def Qs(self, z: Tensor, a: Tensor, return_min: bool = False) -> Tensor:  # noqa: N802
        """All heads stacked (E, *), or with `return_min` the elementwise min of two heads picked by NumPy's
        global RNG (`np.random.choice(E, size=2)`, with replacement; all heads if E <= 2)."""
        x = torch.cat([z, a], dim=-1)
        if not return_min:
            return torch.stack([head(x).squeeze(-1) for head in self._Qs], dim=0)
        if len(self._Qs) > 2:
            heads = [self._Qs[int(i)] for i in np.random.choice(len(self._Qs), size=2)]
        else:
            heads = list(self._Qs)
        return torch.stack([head(x).squeeze(-1) for head in heads], dim=0).min(0)[0]


class TDMPCObservationEncoder(nn.Module):
    """One encoder per modality (image, state, env state), each ending in LayerNorm + Sigmoid; the latent is
    the mean over the available modalities (stacked in the order image, env state, state)."""

    def __init__(self, config: TDMPCConfig):
        super().__init__()
        self.config = config
        Z = config.latent_dim
        self.image_key = next(iter(config.image_features), None)
        if self.image_key is not None:
            C, h, _ = config.image_features[self.image_key].shape
            hid = config.image_encoder_hidden_dim
            self.image_enc_layers = nn.Sequential(
                nn.Conv2d(C, hid, 7, stride=2), nn.ReLU(),
                nn.Conv2d(hid, hid, 5, stride=2), nn.ReLU(),
                nn.Conv2d(hid, hid, 3, stride=2), nn.ReLU(),
                nn.Conv2d(hid, hid, 3, stride=2), nn.ReLU(),
            )  # fmt: skip
            side = h
            for k in (7, 5, 3, 3):
                side = (side - k) // 2 + 1
            if side < 1:
                raise ValueError(
                    f"Camera '{self.image_key}' of size {h}x{h} is too small for TD-MPC's 4 strided convs "
                    "(needs at least 31x31)."
                )
            self.image_enc_layers.extend(
                [nn.Flatten(), nn.Linear(hid * side * side, Z), nn.LayerNorm(Z), nn.Sigmoid()]
            )
        if config.robot_state_feature is not None:
            self.state_enc_layers = _state_mlp(config.robot_state_feature.shape[0], config, Z)
        self.env_state_key = config.env_state_key
        if self.env_state_key is not None:
            self.env_state_enc_layers = _state_mlp(config.env_state_feature.shape[0], config, Z)

    def forward(self, obs: dict[str, Tensor]) -> Tensor:
        feats = []
        if self.image_key is not None:
            img = obs[self.image_key]
            lead = img.shape[:-3]
            out = self.image_enc_layers(img.reshape(-1, *img.shape[-3:]))
            feats.append(out.reshape(*lead, out.shape[-1]))
        if self.env_state_key is not None:
            feats.append(self.env_state_enc_layers(obs[self.env_state_key]))
        if self.config.robot_state_feature is not None:
            feats.append(self.state_enc_layers(obs[OBS_STATE]))
        return torch.stack(feats, dim=0).mean(0)


def _state_mlp(in_dim: int, config: TDMPCConfig, Z: int) -> nn.Sequential:
    hid = config.state_encoder_hidden_dim
    return nn.Sequential(nn.Linear(in_dim, hid), nn.ELU(), nn.Linear(hid, Z), nn.LayerNorm(Z), nn.Sigmoid())


def random_shifts_aug(x: Tensor, max_random_shift_ratio: float) -> Tensor:
    """Random integer shift of (N, C, h, h) images by up to round(ratio * h) pixels (replicate padding).

    One `torch.randint(0, 2*pad+1, (N, 1, 1, 2))` draw (float32); resampled with bilinear `grid_sample`, which
    equals an integer crop of the padded image up to float rounding.
    """
    n, _, h, w = x.shape
    if h != w:
        raise ValueError(f"random_shifts_aug needs square images, got {h}x{w}.")
    pad = int(round(max_random_shift_ratio * h))
    x = F.pad(x, (pad, pad, pad, pad), mode="replicate")
    P = h + 2 * pad
    eps = 1.0 / P
    arange = torch.linspace(-1.0 + eps, 1.0 - eps, P, device=x.device, dtype=x.dtype)[:h]
    arange = einops.repeat(arange, "w -> h w 1", h=h)
    base_grid = torch.cat([arange, arange.transpose(1, 0)], dim=2)  # (h, h, 2): (x, y)
    base_grid = einops.repeat(base_grid, "h w c -> n h w c", n=n)
    shift = torch.randint(0, 2 * pad + 1, size=(n, 1, 1, 2), device=x.device, dtype=x.dtype)
    shift *= 2.0 / P
    return F.grid_sample(x, base_grid + shift, padding_mode="zeros", align_corners=False)


class TDMPCPolicy(PreTrainedPolicy):
    """TD-MPC with the reference's state-dict layout: `model.*` (online) and `model_target.*` (EMA copy)."""

    config_class = TDMPCConfig
    name = "tdmpc"

    def __init__(self, config: TDMPCConfig, dataset_stats=None):
        super().__init__(config, dataset_stats)
        config.validate_features()
        self.model = TDMPCTOLD(config)
        self.model_target = deepcopy(self.model)
        for p in self.model_target.parameters():
            p.requires_grad = False
        self.image_key = next(iter(config.image_features), None)
        self.reset()

    def reset(self):
        """Clear the observation/action queues and the planner's warm-start mean (call on env reset)."""
        keys = []
        if self.image_key is not None:
            keys.append(self.image_key)
        if self.config.env_state_key is not None:
            keys.append(self.config.env_state_key)
        if self.config.robot_state_feature is not None:
            keys.append(OBS_STATE)
        self._queues = {k: deque(maxlen=1) for k in keys}
        self._queues[ACTION] = deque(maxlen=max(self.config.n_action_steps, self.config.n_action_repeats))
        self._prev_mean: Tensor | None = None

    @torch.no_grad()
    def predict_action_chunk_normalized(self, batch: dict[str, Tensor]) -> Tensor:
        """Plan from the queued observation -> time-major chunk (H', B, A), as the reference (H' = horizon
        with planning, 1 without). Right after `reset()` the queues are first filled from `batch` (the
        reference requires a prior `select_action`)."""
        obs_keys = [k for k in self._queues if k != ACTION]
        if any(len(self._queues[k]) == 0 for k in obs_keys):
            self._queues = populate_queues(self._queues, batch)
        obs = {k: self._queues[k][-1] for k in obs_keys}  # n_obs_steps == 1
        z = self.model.encode(obs)
        actions = self.plan(z) if self.config.use_mpc else self.model.pi(z).unsqueeze(0)
        return torch.clamp(actions, -1, 1)

    @torch.no_grad()
    def select_action_normalized(self, batch: dict[str, Tensor]) -> Tensor:
        """(B, ...) normalized observation -> (B, A) normalized action."""
        batch = {k: v for k, v in batch.items() if k != ACTION}
        self._queues = populate_queues(self._queues, batch)
        if len(self._queues[ACTION]) == 0:
            actions = self.predict_action_chunk_normalized(batch)
            if self.config.n_action_repeats > 1:
                for _ in range(self.config.n_action_repeats):
                    self._queues[ACTION].append(actions[0])
            else:
                self._queues[ACTION].extend(actions[: self.config.n_action_steps])
        return self._queues[ACTION].popleft()

    @torch.no_grad()
    def plan(self, z: Tensor) -> Tensor:
        """CEM/MPPI in latent space. z (B, Z) -> chosen elite trajectory (H, B, A).

        Draws: H x randn(Np, B, A); per iteration randn(H, Ng, B, A), randn(Ng + Np, B, A) and (E > 2)
        randint(0, E, (2,)); finally multinomial over the last iteration's elite scores (B, n_elites).
        """
        cfg = self.config
        B = z.shape[0]
        H, Ng, Np = cfg.horizon, cfg.n_gaussian_samples, cfg.n_pi_samples
        A = cfg.action_feature.shape[0]
        pi_actions = torch.empty(H, Np, B, A, device=z.device, dtype=z.dtype)
        if Np > 0:
            _z = einops.repeat(z, "b d -> n b d", n=Np)
            for t in range(H):
                # Noisy policy actions (not clamped) drive the latent rollout.
                pi_actions[t] = self.model.pi(_z, cfg.min_std)
                _z = self.model.latent_dynamics(_z, pi_actions[t])
        z = einops.repeat(z, "b d -> n b d", n=Ng + Np)

        mean = torch.zeros(H, B, A, device=z.device, dtype=z.dtype)
        if self._prev_mean is not None:
            mean[:-1] = self._prev_mean[1:]  # warm start: shift the previous plan by one step
        std = cfg.max_std * torch.ones_like(mean)

        for _ in range(cfg.cem_iterations):
            noise = torch.randn(H, Ng, B, A, device=std.device, dtype=std.dtype)
            gaussian_actions = torch.clamp(mean.unsqueeze(1) + std.unsqueeze(1) * noise, -1, 1)
            actions = torch.cat([gaussian_actions, pi_actions], dim=1)  # (H, Ng + Np, B, A)
            value = self.estimate_value(z, actions).nan_to_num_(0)  # (Ng + Np, B)
            elite_idxs = torch.topk(value, cfg.n_elites, dim=0).indices  # (n_e, B)
            elite_value = value.take_along_dim(elite_idxs, dim=0)
            elite_actions = actions.take_along_dim(einops.rearrange(elite_idxs, "n b -> 1 n b 1"), dim=1)
            max_value = elite_value.max(0, keepdim=True)[0]
            score = torch.exp(cfg.elite_weighting_temperature * (elite_value - max_value))
            score /= score.sum(0, keepdim=True)
            w = einops.rearrange(score, "n b -> 1 n b 1")
            _mean = torch.sum(w * elite_actions, dim=1)  # (H, B, A)
            _std = torch.sqrt(torch.sum(w * (elite_actions - _mean.unsqueeze(1)) ** 2, dim=1))
            mean = cfg.gaussian_mean_momentum * mean + (1 - cfg.gaussian_mean_momentum) * _mean
            std = _std.clamp_(cfg.min_std, cfg.max_std)

        self._prev_mean = mean
        # Sample one elite per batch element (not the mean) from the last iteration's scores.
        choice = torch.multinomial(score.T, 1).squeeze(1)  # (B,)
        return elite_actions[:, choice, torch.arange(B, device=z.device)]

    @torch.no_grad()
    def estimate_value(self, z: Tensor, actions: Tensor) -> Tensor:
        """Discounted model return of trajectories + terminal Q, minus ensemble-disagreement penalties.

        z (N, B, Z), actions (H, N, B, A) -> (N, B).
        """
        cfg = self.config
        G, running_discount = 0, 1
        for t in range(actions.shape[0]):
            if cfg.uncertainty_regularizer_coeff > 0:
                regularization = -(cfg.uncertainty_regularizer_coeff * self.model.Qs(z, actions[t]).std(0))
            else:
                regularization = 0
            z, reward = self.model.latent_dynamics_and_reward(z, actions[t])
            G += running_discount * (reward + regularization)
            running_discount *= cfg.discount
        next_action = self.model.pi(z, cfg.min_std)
        terminal_values = self.model.Qs(z, next_action)  # (E, N, B)
        if cfg.q_ensemble_size > 2:
            idx = torch.randint(0, cfg.q_ensemble_size, size=(2,))
            G += running_discount * torch.min(terminal_values[idx], dim=0)[0]
        else:
            G += running_discount * torch.min(terminal_values, dim=0)[0]
        if cfg.uncertainty_regularizer_coeff > 0:
            G -= running_discount * cfg.uncertainty_regularizer_coeff * terminal_values.std(0)
        return G

    def forward_normalized(self, batch: dict[str, Tensor]) -> tuple[Tensor, dict]:
        """Training loss (docs/policies/tdmpc.md). Needs `next.reward` and the `*_is_pad` masks of the observation, the
        action and the reward (the observation mask is `observation.state_is_pad`, as in the reference, or
        for a policy without state the first observation input's mask)."""
        cfg = self.config
        required = [ACTION, REWARD, "action_is_pad", f"{REWARD}_is_pad"]
        obs_keys = [k for k in self._queues if k != ACTION]
        pad_key = f"{OBS_STATE if OBS_STATE in obs_keys else obs_keys[0]}_is_pad"
        required.append(pad_key)
        missing = [k for k in required if k not in batch]
        if missing:
            raise KeyError(
                f"TD-MPC forward needs {missing} in the batch (the dataset must provide '{REWARD}' and the "
                f"padding masks from delta_timestamps); the batch has {sorted(batch)}."
            )
        # (B, T, ...) -> (T, B, ...)
        batch = {
            k: (v.transpose(1, 0) if isinstance(v, Tensor) and v.ndim > 1 else v) for k, v in batch.items()
        }
        action = batch[ACTION]  # (H, B, A)
        reward = batch[REWARD]  # (H, B)
        observations = {k: batch[k] for k in obs_keys}  # (H+1, B, ...)
        if self.image_key is not None and cfg.max_random_shift_ratio > 0:
            img = observations[self.image_key]
            flat = random_shifts_aug(img.reshape(-1, *img.shape[2:]), cfg.max_random_shift_ratio)
            observations[self.image_key] = flat.reshape(img.shape)
        current_obs = {k: v[0] for k, v in observations.items()}
        next_obs = {k: v[1:] for k, v in observations.items()}
        horizon, batch_size = action.shape[:2]

        z_preds = torch.empty(horizon + 1, batch_size, cfg.latent_dim, device=action.device)
        z_preds[0] = self.model.encode(current_obs)
        reward_preds = torch.empty_like(reward)
        for t in range(horizon):
            z_preds[t + 1], reward_preds[t] = self.model.latent_dynamics_and_reward(z_preds[t], action[t])
        q_preds_ensemble = self.model.Qs(z_preds[:-1], action)  # (E, H, B)
        v_preds = self.model.V(z_preds[:-1])  # (H, B)
        info = {"Q": q_preds_ensemble.mean().item(), "V": v_preds.mean().item()}

        with torch.no_grad():
            z_targets = self.model_target.encode(next_obs)
            # TD target with the online model's V (as in the reference / FOWM), not the target's.
            q_targets = reward + cfg.discount * self.model.V(self.model.encode(next_obs))
            v_targets = self.model_target.Qs(z_preds[:-1].detach(), action, return_min=True)

        decay = torch.pow(cfg.temporal_decay_coeff, torch.arange(horizon, device=action.device)).unsqueeze(-1)
        s_pad = batch[pad_key]  # (H+1, B)
        a_ok, r_ok = ~batch["action_is_pad"], ~batch[f"{REWARD}_is_pad"]  # (H, B)
        s0_ok, s_next_ok = ~s_pad[0], ~s_pad[1:]

        consistency_loss = (
            (
                decay
                * F.mse_loss(z_preds[1:], z_targets, reduction="none").mean(dim=-1)
                * s0_ok
                * a_ok
                * s_next_ok
            )
            .sum(0)
            .mean()
        )
        reward_loss = (
            (decay * F.mse_loss(reward_preds, reward, reduction="none") * r_ok * s0_ok * a_ok).sum(0).mean()
        )
        q_targets_e = einops.repeat(q_targets, "t b -> e t b", e=q_preds_ensemble.shape[0])
        q_value_loss = (
            (
                F.mse_loss(q_preds_ensemble, q_targets_e, reduction="none").sum(0)
                * decay
                * s0_ok
                * a_ok
                * r_ok
                * s_next_ok
            )  # fmt: skip
            .sum(0)
            .mean()
        )
        diff = v_targets - v_preds
        expectile = torch.where(diff > 0, cfg.expectile_weight, 1 - cfg.expectile_weight)
        v_value_loss = (decay * expectile * diff**2 * s0_ok * a_ok).sum(0).mean()

        # Advantage-weighted regression for the policy, on detached latents.
        z_det = z_preds.detach()
        with torch.no_grad():
            advantage = self.model_target.Qs(z_det[:-1], action, return_min=True) - self.model.V(z_det[:-1])
            info["advantage"] = advantage[0]
            exp_advantage = torch.clamp(torch.exp(advantage * cfg.advantage_scaling), max=100.0)
        action_preds = self.model.pi(z_det[:-1])
        mse = F.mse_loss(action_preds, action, reduction="none").sum(-1)  # (H, B)
        pi_loss = (exp_advantage * mse * decay * s0_ok * a_ok).mean()  # mean over time AND batch

        loss = (
            cfg.consistency_coeff * consistency_loss
            + cfg.reward_coeff * reward_loss
            + cfg.value_coeff * q_value_loss
            + cfg.value_coeff * v_value_loss
            + cfg.pi_coeff * pi_loss
        )
        info.update(
            {
                "consistency_loss": consistency_loss.item(),
                "reward_loss": reward_loss.item(),
                "Q_value_loss": q_value_loss.item(),
                "V_value_loss": v_value_loss.item(),
                "pi_loss": pi_loss.item(),
                "sum_loss": loss.item() * horizon,
            }
        )
        return loss, info

    def update(self):
        """EMA of the target model: target <- m * target + (1 - m) * online, parameter by parameter."""
        m = self.config.target_model_momentum
        online = dict(self.model.named_parameters())
        with torch.no_grad():
            for name, p_target in self.model_target.named_parameters():
                p_target.mul_(m).add_(online[name].detach(), alpha=1 - m)
