"""Configuration of TD-MPC (Hansen et al. 2022, "Temporal Difference Learning for Model Predictive Control"),
in the FOWM variant the reference ships (spec POLICIES.md §4, REFERENCE.md §3.5).

Time windows: observations at deltas 0..horizon (horizon + 1 steps), actions and `next.reward` at deltas
0..horizon-1. Policy I/O is in normalized space (the processors (un)normalize); actions must be MIN_MAX
normalized to [-1, 1] because the planner clamps to that box.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from lerobot.configs.policies import PreTrainedConfig
from lerobot.configs.types import NormalizationMode


@PreTrainedConfig.register_subclass("tdmpc")
@dataclass
class TDMPCConfig(PreTrainedConfig):
    """TD-MPC hyper-parameters; defaults are the reference's (tuned for xArm lift, 84x84 image + 4-D state)."""

    # Each planned action is executed this many times (the model runs every n_action_repeats steps).
    n_action_repeats: int = 2
    # Planning horizon and length of the training rollout of the latent model.
    horizon: int = 5
    # Actions of one plan executed before re-planning (needs n_action_repeats == 1 and use_mpc).
    n_action_steps: int = 1

    # Inputs are used as given (IDENTITY); actions must stay MIN_MAX (the planner works in [-1, 1]).
    normalization_mapping: dict[str, NormalizationMode] = field(
        default_factory=lambda: {
            "VISUAL": NormalizationMode.IDENTITY,
            "STATE": NormalizationMode.IDENTITY,
            "ENV": NormalizationMode.IDENTITY,
            "ACTION": NormalizationMode.MIN_MAX,
        }
    )

    # Channels of the 4 strided convs of the image encoder.
    image_encoder_hidden_dim: int = 32
    # Hidden width of the state / env-state encoder MLPs.
    state_encoder_hidden_dim: int = 256
    # Width Z of the latent state.
    latent_dim: int = 50
    # Number of Q heads (2 of them, chosen at random, give the min for targets when > 2).
    q_ensemble_size: int = 5
    # Hidden width M of the dynamics, reward, policy, Q and V MLPs.
    mlp_dim: int = 512

    # Discount factor of the TD targets and of the planner's return estimate.
    discount: float = 0.9

    # Plan with CEM in latent space; if False the policy network alone picks the action.
    use_mpc: bool = True
    # CEM refinement iterations per planning call.
    cem_iterations: int = 6
    # Initial std of the Gaussian action samples (also the upper clamp).
    max_std: float = 2.0
    # Lower clamp of the sample std; also the noise scale of policy actions while planning.
    min_std: float = 0.05
    # Gaussian action trajectories sampled per CEM iteration.
    n_gaussian_samples: int = 512
    # Policy-network trajectories added to the candidates (0 disables them).
    n_pi_samples: int = 51
    # Weight of the Q-ensemble std penalty in the planner's value estimate (0 disables it).
    uncertainty_regularizer_coeff: float = 1.0
    # Top trajectories kept per CEM iteration.
    n_elites: int = 50
    # Temperature of the softmax weighting of the elites by value.
    elite_weighting_temperature: float = 0.5
    # Momentum of the CEM mean update (weight of the previous mean).
    gaussian_mean_momentum: float = 0.1

    # Random-shift augmentation: max shift as a fraction of the image side (0 disables it).
    max_random_shift_ratio: float = 0.0476
    # Loss weights: reward prediction.
    reward_coeff: float = 0.5
    # Expectile of the V regression (weight of positive errors).
    expectile_weight: float = 0.9
    # Loss weights: Q and V regression.
    value_coeff: float = 0.1
    # Loss weights: latent consistency with the target encoder.
    consistency_coeff: float = 20.0
    # Scale inside exp() of the advantage weights of the policy loss.
    advantage_scaling: float = 3.0
    # Loss weights: advantage-weighted policy regression.
    pi_coeff: float = 0.5
    # Per-step decay of the loss weights along the horizon (lambda^t).
    temporal_decay_coeff: float = 0.5
    # EMA momentum of the target network in `update()`.
    target_model_momentum: float = 0.995

    # Learning rate of the Adam preset (no scheduler).
    optimizer_lr: float = 3e-4

    # Numeric fields checked at construction (see `lerobot.configs.types.check_numbers`).
    positive_fields: ClassVar[tuple[str, ...]] = (
        "n_action_repeats",
        "horizon",
        "n_action_steps",
        "image_encoder_hidden_dim",
        "state_encoder_hidden_dim",
        "latent_dim",
        "q_ensemble_size",
        "mlp_dim",
        "cem_iterations",
        "max_std",
        "min_std",
        "n_gaussian_samples",
        "n_elites",
        "elite_weighting_temperature",
        "optimizer_lr",
    )
    non_negative_fields: ClassVar[tuple[str, ...]] = (
        "n_pi_samples",
        "uncertainty_regularizer_coeff",
        "reward_coeff",
        "value_coeff",
        "consistency_coeff",
        "advantage_scaling",
        "pi_coeff",
    )
    unit_interval_fields: ClassVar[tuple[str, ...]] = (
        "discount",
        "gaussian_mean_momentum",
        "max_random_shift_ratio",
        "expectile_weight",
        "temporal_decay_coeff",
        "target_model_momentum",
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.n_obs_steps != 1:
            raise ValueError(
                f"TD-MPC works on a single observation step: n_obs_steps must be 1, got {self.n_obs_steps}."
            )
        if self.n_gaussian_samples <= 0:
            raise ValueError(
                f"n_gaussian_samples must be > 0 (the CEM planner needs Gaussian samples), got "
                f"{self.n_gaussian_samples}."
            )
        if self.n_elites > self.n_gaussian_samples + self.n_pi_samples:
            raise ValueError(
                f"n_elites ({self.n_elites}) cannot exceed the number of candidate trajectories "
                f"n_gaussian_samples + n_pi_samples ({self.n_gaussian_samples + self.n_pi_samples})."
            )
        if self.horizon < 1:
            raise ValueError(f"horizon must be >= 1, got {self.horizon}.")
        if self.n_action_repeats < 1:
            raise ValueError(f"n_action_repeats must be >= 1, got {self.n_action_repeats}.")
        action_mode = self.normalization_mapping.get("ACTION", NormalizationMode.IDENTITY)
        if action_mode != NormalizationMode.MIN_MAX:
            raise ValueError(
                "TD-MPC needs normalization_mapping['ACTION'] == MIN_MAX: the planner samples and clamps "
                f"actions in [-1, 1]; got {action_mode.value}."
            )
        if self.n_action_steps > 1:
            if self.n_action_repeats != 1:
                raise ValueError(
                    f"n_action_steps ({self.n_action_steps}) > 1 requires n_action_repeats == 1 (got "
                    f"{self.n_action_repeats}): either repeat the first planned action or execute several "
                    "planned actions, not both."
                )
            if not self.use_mpc:
                raise ValueError(
                    f"n_action_steps ({self.n_action_steps}) > 1 requires use_mpc=True: without planning "
                    "the policy network yields a single action per call."
                )
            if self.n_action_steps > self.horizon:
                raise ValueError(
                    f"n_action_steps ({self.n_action_steps}) cannot exceed horizon ({self.horizon}): a plan "
                    "holds `horizon` actions."
                )

    def get_optimizer_preset(self):
        from lerobot.optim.optimizers import AdamConfig

        return AdamConfig(lr=self.optimizer_lr)

    def get_scheduler_preset(self):
        return None

    def validate_features(self) -> None:
        super().validate_features()
        if not self.input_features:
            return
        images = self.image_features
        if len(images) > 1:
            raise ValueError(
                f"TD-MPC handles at most one camera; got {len(images)}: {sorted(images)}. Keep one camera "
                "in input_features."
            )
        for key, ft in images.items():
            if ft.shape[-1] != ft.shape[-2]:
                raise ValueError(
                    f"TD-MPC's image encoder and shift augmentation need square images; '{key}' has shape "
                    f"{list(ft.shape)} (C, H, W)."
                )
        if not images and self.robot_state_feature is None and self.env_state_feature is None:
            raise ValueError(
                "TD-MPC needs at least one input among a camera, 'observation.state' and "
                f"'observation.environment_state'; input_features has {sorted(self.input_features)}."
            )
        if self.action_feature is None:
            raise ValueError(
                f"TD-MPC needs an 'action' output feature; output_features has {sorted(self.output_features)}."
            )

    @property
    def observation_delta_indices(self) -> list[int]:
        return list(range(self.horizon + 1))

    @property
    def action_delta_indices(self) -> list[int]:
        return list(range(self.horizon))

    @property
    def reward_delta_indices(self) -> list[int]:
        return list(range(self.horizon))
