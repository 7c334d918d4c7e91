"""Every registered env type through make_env -> preprocess_observation: keys, shapes, dtypes, errors."""

import os

import gymnasium as gym
import numpy as np
import pytest
import torch

from lerobot import available_tasks_per_env
from lerobot.configs.types import FeatureType
from lerobot.envs.configs import AlohaEnv, EnvConfig, PushtEnv, XarmEnv
from lerobot.envs.factory import make_env, make_env_config
from lerobot.envs.utils import check_policy_features_match_env, env_to_policy_features, preprocess_observation
from lerobot.utils.constants import ACTION, OBS_ENV_STATE, OBS_IMAGE, OBS_STATE

ENV_OBS_TYPES = [
    (env_type, obs_type)
    for env_type in sorted(EnvConfig.get_known_choices())
    for obs_type in EnvConfig.get_choice_class(env_type).available_obs_types
]


def test_registry_matches_available_envs():
    assert sorted(EnvConfig.get_known_choices()) == sorted(available_tasks_per_env)
    for env_type, tasks in available_tasks_per_env.items():
        assert list(EnvConfig.get_choice_class(env_type).available_tasks) == tasks


@pytest.mark.parametrize(("env_type", "obs_type"), ENV_OBS_TYPES)
def test_make_env_observations(env_type, obs_type):
    assert os.environ["MUJOCO_GL"] == "egl"
    cfg = make_env_config(env_type, obs_type=obs_type, episode_length=3)
    env = make_env(cfg, n_envs=2)
    try:
        assert isinstance(env, gym.vector.SyncVectorEnv) and env.num_envs == 2
        obs, _ = env.reset(seed=[0, 1])
        batch = preprocess_observation(obs)
        expected = env_to_policy_features(cfg)
        assert set(batch) == set(expected) - {ACTION}
        for key, tensor in batch.items():
            assert tensor.dtype == torch.float32, key
            assert tuple(tensor.shape) == (2, *expected[key].shape), key
            if expected[key].type is FeatureType.VISUAL:
                assert tensor.min() >= 0.0 and tensor.max() <= 1.0 and tensor.max() > 0.0
        assert tuple(env.single_action_space.shape) == expected[ACTION].shape
        # Steps run, and the episode is truncated at episode_length.
        truncated = np.zeros(2, dtype=bool)
        for _ in range(3):
            obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
            assert reward.shape == (2,) and "is_success" in info
        assert truncated.all() or terminated.any()
    finally:
        env.close()


def test_pusht_obs_types_map_to_lerobot_keys():
    pixels = env_to_policy_features(PushtEnv())
    assert pixels[OBS_IMAGE].shape == (3, 96, 96) and pixels[OBS_STATE].shape == (2,)
    state = env_to_policy_features(PushtEnv(obs_type="environment_state_agent_pos"))
    assert state[OBS_ENV_STATE].type is FeatureType.ENV and state[OBS_ENV_STATE].shape == (16,)
    assert env_to_policy_features(AlohaEnv())["observation.images.top"].shape == (3, 480, 640)
    assert env_to_policy_features(XarmEnv())[OBS_IMAGE].shape == (3, 84, 84)


def test_async_env_matches_sync():
    cfg = PushtEnv(obs_type="environment_state_agent_pos", episode_length=5)
    sync_env, async_env = make_env(cfg, 2), make_env(cfg, 2, use_async_envs=True)
    try:
        assert isinstance(async_env, gym.vector.AsyncVectorEnv)
        action = np.array([[300.0, 300.0], [100.0, 200.0]], dtype=np.float32)
        for env in (sync_env, async_env):
            env.reset(seed=[3, 4])
        a = sync_env.step(action)
        b = async_env.step(action)
        np.testing.assert_array_equal(a[0]["environment_state"], b[0]["environment_state"])
        np.testing.assert_array_equal(a[1], b[1])
    finally:
        sync_env.close()
        async_env.close()


def test_xarm_port_is_seeded():
    import lerobot.envs.xarm  # noqa: F401  (registers gym_xarm/XarmLift-v0)

    envs = [gym.make("gym_xarm/XarmLift-v0", obs_type="state", disable_env_checker=True) for _ in range(2)]
    try:
        first = [env.reset(seed=7)[0] for env in envs]
        np.testing.assert_array_equal(first[0], first[1])
        assert not np.array_equal(first[0], envs[0].reset(seed=8)[0])
        # Out-of-box actions are clipped rather than asserting.
        obs, reward, terminated, truncated, info = envs[1].step(np.full(4, 5.0, dtype=np.float32))
        assert np.isfinite(obs).all() and isinstance(info["is_success"], bool)
        with pytest.raises(ValueError, match="shape"):
            envs[1].step(np.zeros(3, dtype=np.float32))
    finally:
        for env in envs:
            env.close()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"task": "Pusht-v0"}, r"--env.task='Pusht-v0'.*Did you mean 'PushT-v0'"),
        ({"obs_type": "pixels_agentpos"}, r"--env.obs_type.*Did you mean 'pixels_agent_pos'"),
        ({"episode_length": 0}, r"--env.episode_length must be a positive integer"),
        ({"fps": -1}, r"--env.fps must be a positive integer"),
    ],
)
def test_bad_env_config(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PushtEnv(**kwargs)


def test_make_env_errors():
    with pytest.raises(ValueError, match="Unknown env type 'pushtt'"):
        make_env_config("pushtt")
    with pytest.raises(ValueError, match="n_envs must be a positive integer"):
        make_env(PushtEnv(), n_envs=0)
    with pytest.raises(TypeError, match="EnvConfig"):
        make_env({"type": "pusht"})


def test_preprocess_observation_layouts_and_errors():
    imgs = np.random.default_rng(0).integers(0, 256, size=(2, 4, 6, 3), dtype=np.uint8)
    out = preprocess_observation({"pixels": {"top": imgs, "wrist": imgs}, "agent_pos": np.ones((2, 3))})
    assert set(out) == {"observation.images.top", "observation.images.wrist", OBS_STATE}
    assert out["observation.images.top"].shape == (2, 3, 4, 6)
    torch.testing.assert_close(
        out["observation.images.top"][1, 2], torch.from_numpy(imgs[1, :, :, 2]) / 255.0
    )
    assert out[OBS_STATE].dtype == torch.float32
    with pytest.raises(ValueError, match="uint8"):
        preprocess_observation({"pixels": imgs.astype(np.float32)})
    with pytest.raises(ValueError, match=r"\(B, H, W, 3\)"):
        preprocess_observation({"pixels": imgs[0]})
    with pytest.raises(TypeError, match="dict observation"):
        preprocess_observation(list(imgs))  # bare arrays are accepted (obs_type="pixels"), lists are not
    with pytest.raises(KeyError, match="joint_vel"):
        preprocess_observation({"agent_pos": np.ones((2, 3)), "joint_vel": np.ones((2, 3))})


def test_feature_mismatch_names_the_features():
    from lerobot.configs.types import PolicyFeature

    features = {
        OBS_ENV_STATE: PolicyFeature(type=FeatureType.ENV, shape=(16,)),
        OBS_STATE: PolicyFeature(type=FeatureType.STATE, shape=(3,)),
    }
    with pytest.raises(
        ValueError, match=r"'observation.environment_state' \(shape \[16\]\) is not provided"
    ) as e:
        check_policy_features_match_env(features, PushtEnv())
    assert "'observation.state' has shape [3] in the policy but [2] in the env" in str(e.value)
    check_policy_features_match_env(
        {OBS_ENV_STATE: features[OBS_ENV_STATE]}, PushtEnv(obs_type="environment_state_agent_pos")
    )


def test_missing_env_package_names_the_extra(monkeypatch):
    monkeypatch.setattr(PushtEnv, "package_name", property(lambda self: "gym_pusht_not_installed"))
    with pytest.raises(
        ModuleNotFoundError, match=r"needs the package 'gym_pusht_not_installed'.*pip install"
    ):
        make_env(PushtEnv())


def test_obs_type_override_of_a_saved_config_drops_stale_features():
    saved = PushtEnv()  # pixels_agent_pos
    cfg = PushtEnv(obs_type="environment_state_agent_pos", features=dict(saved.features))
    assert set(env_to_policy_features(cfg)) == {ACTION, OBS_STATE, OBS_ENV_STATE}
