"""Every `--env.obs_type` of every sim env: declared features vs what gym returns, policies built from the
env config acting on them, and one pixels-only rollout through `lerobot-eval`."""

import json
import os
import sys

import gymnasium as gym
import numpy as np
import pytest
import torch

from lerobot.configs.types import FeatureType, NormalizationMode, PolicyFeature
from lerobot.envs.configs import AlohaEnv, EnvConfig, PushtEnv, XarmEnv
from lerobot.envs.factory import make_env, make_env_config
from lerobot.envs.utils import env_to_policy_features, preprocess_observation
from lerobot.utils.constants import ACTION, OBS_ENV_STATE, OBS_IMAGE, OBS_IMAGES, OBS_STATE

ENV_OBS_TYPES = [
    (env_type, obs_type)
    for env_type in sorted(EnvConfig.get_known_choices())
    for obs_type in EnvConfig.get_choice_class(env_type).available_obs_types
]

# What each obs type must give the policy (LeRobot key -> shape), written out rather than derived.
EXPECTED = {
    ("aloha", "pixels_agent_pos"): {f"{OBS_IMAGES}.top": (3, 480, 640), OBS_STATE: (14,)},
    ("aloha", "pixels"): {f"{OBS_IMAGES}.top": (3, 480, 640)},
    ("pusht", "pixels_agent_pos"): {OBS_IMAGE: (3, 96, 96), OBS_STATE: (2,)},
    ("pusht", "environment_state_agent_pos"): {OBS_ENV_STATE: (16,), OBS_STATE: (2,)},
    ("pusht", "pixels"): {OBS_IMAGE: (3, 96, 96)},
    ("pusht", "state"): {OBS_ENV_STATE: (5,)},
    ("xarm", "pixels_agent_pos"): {OBS_IMAGE: (3, 84, 84), OBS_STATE: (4,)},
    ("xarm", "pixels"): {OBS_IMAGE: (3, 84, 84)},
    ("xarm", "state"): {OBS_ENV_STATE: (28,)},
}

TINY = {
    "act": {
        "chunk_size": 2,
        "n_action_steps": 2,
        "dim_model": 16,
        "n_heads": 2,
        "dim_feedforward": 32,
        "n_encoder_layers": 1,
        "n_decoder_layers": 1,
        "n_vae_encoder_layers": 1,
        "latent_dim": 4,
        "pretrained_backbone_weights": None,
    },
    "tdmpc": {
        "horizon": 2,
        "latent_dim": 8,
        "mlp_dim": 16,
        "state_encoder_hidden_dim": 16,
        "image_encoder_hidden_dim": 4,
        "q_ensemble_size": 2,
        "n_gaussian_samples": 4,
        "n_pi_samples": 2,
        "n_elites": 2,
        "cem_iterations": 1,
    },
}


def _gym_leaves(space: gym.Space, prefix: str = "") -> dict[str, tuple[int, ...]]:
    """Gym key -> shape of an observation space; a bare image is "pixels", a bare vector "state"."""
    if isinstance(space, gym.spaces.Dict):
        out = {}
        for key, sub in space.spaces.items():
            out.update(_gym_leaves(sub, f"{prefix}{key}/"))
        return out
    if prefix:
        return {prefix[:-1]: tuple(space.shape)}
    return {"pixels" if len(space.shape) == 3 else "state": tuple(space.shape)}


def test_every_obs_type_is_covered():
    assert set(ENV_OBS_TYPES) == set(EXPECTED)


@pytest.mark.parametrize(("env_type", "obs_type"), ENV_OBS_TYPES)
def test_declared_features_match_the_gym_env_after_a_step(env_type, obs_type):
    assert os.environ["MUJOCO_GL"] == "egl"
    cfg = make_env_config(env_type, obs_type=obs_type, episode_length=2)
    assert cfg.gym_kwargs["obs_type"] == obs_type
    declared = {k: tuple(ft.shape) for k, ft in cfg.features.items() if ft.type is not FeatureType.ACTION}
    expected = EXPECTED[(env_type, obs_type)]
    env = make_env(cfg, n_envs=1)
    try:
        # The config declares exactly the observation the gym package returns for this obs_type.
        assert _gym_leaves(env.single_observation_space) == declared
        env.reset(seed=[5])
        obs, *_ = env.step(env.action_space.sample())
        batch = preprocess_observation(obs)
    finally:
        env.close()
    assert {k: tuple(v.shape[1:]) for k, v in batch.items()} == expected
    features = env_to_policy_features(cfg)
    assert {k: tuple(ft.shape) for k, ft in features.items() if k != ACTION} == expected
    for key, tensor in batch.items():
        assert tensor.dtype == torch.float32 and tensor.shape[0] == 1, key
        assert torch.isfinite(tensor).all(), key
        if features[key].type is FeatureType.VISUAL:
            assert tensor.min() >= 0.0 and tensor.max() <= 1.0 and tensor.max() > 0.0, key
    if "agent_pos" not in obs_type:
        assert OBS_STATE not in batch


@pytest.mark.parametrize(
    ("env_type", "obs_type", "policy_type"),
    [
        ("aloha", "pixels", "act"),
        ("pusht", "pixels", "act"),
        ("pusht", "state", "act"),
        ("pusht", "state", "tdmpc"),
        ("xarm", "pixels", "tdmpc"),
        ("xarm", "state", "tdmpc"),
    ],
)
def test_policy_built_from_the_env_config_acts(env_type, obs_type, policy_type):
    from lerobot.policies.factory import make_policy, make_policy_config

    torch.manual_seed(0)
    env_cfg = make_env_config(env_type, obs_type=obs_type, episode_length=2)
    # TD-MPC plans in [-1, 1]: its actions are min-max normalized, with the env's action bounds as stats.
    norm = {"ACTION": NormalizationMode.MIN_MAX} if policy_type == "tdmpc" else {}
    policy_cfg = make_policy_config(
        policy_type, device="cpu", normalization_mapping=norm, **TINY[policy_type]
    )
    policy = make_policy(policy_cfg, env_cfg=env_cfg)
    policy.eval()
    expected = EXPECTED[(env_type, obs_type)]
    assert {k: tuple(ft.shape) for k, ft in policy.config.input_features.items()} == expected
    env = make_env(env_cfg, n_envs=1)
    try:
        if norm:
            space = env.single_action_space
            policy.set_stats({ACTION: {"min": space.low, "max": space.high}})
        obs, _ = env.reset(seed=[0])
        for _ in range(2):
            with torch.inference_mode():
                action = policy.select_action(preprocess_observation(obs))
            assert tuple(action.shape) == (1, *env.single_action_space.shape)
            obs, reward, *_ = env.step(action.numpy())
            assert np.isfinite(reward).all()
    finally:
        env.close()


def test_lerobot_eval_rolls_out_a_pixels_only_env(tmp_path, monkeypatch, capsys):
    """`lerobot-eval --env.type=pusht --env.obs_type=pixels --policy.type=act`: a random tiny ACT on the camera only."""
    from lerobot.scripts.eval import cli

    out = tmp_path / "eval"
    tiny = [f"--policy.{k}={'null' if v is None else v}" for k, v in TINY["act"].items()]
    argv = [
        "lerobot-eval",
        "--env.type=pusht",
        "--env.obs_type=pixels",
        "--env.episode_length=3",
        "--policy.type=act",
        "--policy.device=cpu",
        '--policy.normalization_mapping={"VISUAL": "IDENTITY", "ACTION": "IDENTITY"}',
        *tiny,
        "--eval.n_episodes=1",
        "--eval.batch_size=1",
        "--max_episodes_rendered=1",
        "--seed=3",
        f"--output_dir={out}",
    ]
    monkeypatch.setattr(sys, "argv", argv)
    cli()
    info = json.loads((out / "eval_info.json").read_text())
    (episode,) = info["per_episode"]
    assert episode["seed"] == 3 and np.isfinite(episode["sum_reward"])
    (video,) = info["overall"]["video_paths"]
    assert os.path.getsize(video) > 0


@pytest.mark.parametrize(
    ("cls", "obs_type", "match"),
    [
        (AlohaEnv, "state", r"--env.obs_type='state' is not available: gym-aloha .*NotImplementedError"),
        (PushtEnv, "keypoints", r"--env.obs_type='keypoints' is not available.*environment_state_agent_pos"),
        (XarmEnv, "pixel", r"unknown --env.obs_type='pixel'; expected one of .*Did you mean 'pixels'"),
        (AlohaEnv, "pixels_top", r"expected one of \['pixels_agent_pos', 'pixels'\]"),
    ],
)
def test_unavailable_obs_types_are_explained(cls, obs_type, match):
    with pytest.raises(ValueError, match=match):
        cls(obs_type=obs_type)


def test_saved_config_reparsed_with_another_obs_type():
    # A config saved with pixels_agent_pos, then overridden with --env.obs_type=pixels.
    saved = AlohaEnv()
    cfg = AlohaEnv(obs_type="pixels", features=dict(saved.features), features_map=dict(saved.features_map))
    assert set(cfg.features) == {ACTION, "top"}
    assert set(env_to_policy_features(cfg)) == {ACTION, f"{OBS_IMAGES}.top"}
    # A features_map saved before the obs type existed gets the missing gym keys.
    old_map = {ACTION: ACTION, "agent_pos": OBS_STATE, "pixels": OBS_IMAGE}
    cfg = XarmEnv(obs_type="state", features_map=old_map)
    assert env_to_policy_features(cfg)[OBS_ENV_STATE] == PolicyFeature(type=FeatureType.ENV, shape=(28,))
    back = PushtEnv(obs_type="pixels_agent_pos", features=dict(PushtEnv(obs_type="state").features))
    assert set(back.features) == {ACTION, "agent_pos", "pixels"}
    # Configs do not share their dicts.
    assert PushtEnv().features is not PushtEnv().features


def test_preprocess_bare_arrays_and_camera_only_dicts():
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, size=(2, 4, 6, 3), dtype=np.uint8)
    out = preprocess_observation(imgs)
    assert set(out) == {OBS_IMAGE} and out[OBS_IMAGE].shape == (2, 3, 4, 6)
    torch.testing.assert_close(out[OBS_IMAGE][1, 0], torch.from_numpy(imgs[1, :, :, 0]) / 255.0)
    state = rng.normal(size=(2, 5))
    out = preprocess_observation(state)
    assert set(out) == {OBS_ENV_STATE} and out[OBS_ENV_STATE].dtype == torch.float32
    torch.testing.assert_close(out[OBS_ENV_STATE], torch.from_numpy(state).float())
    out = preprocess_observation({"top": imgs, "side": imgs})
    assert set(out) == {f"{OBS_IMAGES}.top", f"{OBS_IMAGES}.side"}
    with pytest.raises(ValueError, match=r"bare-array observation .* got shape \(4, 6, 3\)"):
        preprocess_observation(imgs[0])
    with pytest.raises(ValueError, match="uint8"):
        preprocess_observation(imgs.astype(np.float32))
    with pytest.raises(KeyError, match="'top'"):  # cameras next to known keys must sit under 'pixels'
        preprocess_observation({"top": imgs, "agent_pos": state})
    with pytest.raises(KeyError, match="'qpos'"):
        preprocess_observation({"top": imgs, "qpos": state})


@pytest.mark.parametrize("policy_type", ["diffusion", "vqbet"])
@pytest.mark.parametrize("obs_type", ["pixels", "state"])
def test_policies_needing_the_robot_state_refuse_obs_types_without_it(policy_type, obs_type):
    from lerobot.policies.factory import make_policy, make_policy_config

    # (VQ-BeT first names its missing camera when the state type gives none.)
    with pytest.raises(ValueError, match=r"needs (a 'observation.state' input|exactly one camera)"):
        make_policy(make_policy_config(policy_type, device="cpu"), env_cfg=PushtEnv(obs_type=obs_type))
