"""The policy/env feature check of an evaluation runs once (lerobot/evaluation/pipeline.py)."""

import pytest

from lerobot.configs.eval import EvalConfig, EvalPipelineConfig
from lerobot.envs.factory import make_env_config
from lerobot.evaluation import features, pipeline


@pytest.fixture
def check_calls(monkeypatch):
    calls = []

    def counted(policy_cfg, env_cfg):
        calls.append(policy_cfg)
        return features.check_policy_matches_env(policy_cfg, env_cfg)

    monkeypatch.setattr(pipeline, "check_policy_matches_env", counted)
    return calls


def _cfg(policy, tmp_path, **env_kwargs):
    return EvalPipelineConfig(
        env=make_env_config("pusht", episode_length=4, **env_kwargs),
        policy=policy,
        eval=EvalConfig(n_episodes=1, batch_size=1),
        output_dir=tmp_path,
    )


def _fixture_policy_cfg(reference_fixtures):
    from lerobot.configs.policies import PreTrainedConfig

    path = reference_fixtures / "policies" / "diffusion" / "pretrained_model"
    cfg = PreTrainedConfig.from_pretrained(path)
    cfg.pretrained_path, cfg.device = str(path), "cpu"
    return cfg


def test_pretrained_policy_is_checked_once_before_loading(reference_fixtures, tmp_path, check_calls):
    cfg = _cfg(_fixture_policy_cfg(reference_fixtures), tmp_path, obs_type="environment_state_agent_pos")
    policy = pipeline.make_eval_policy(cfg, env=None)
    assert check_calls == [cfg.policy]  # once, on the config that declares the features
    assert policy.config.input_features == cfg.policy.input_features


def test_mismatch_fails_before_the_policy_is_built(reference_fixtures, tmp_path, check_calls, monkeypatch):
    cfg = _cfg(_fixture_policy_cfg(reference_fixtures), tmp_path)  # pixels_agent_pos: no environment_state
    built = []
    monkeypatch.setattr("lerobot.policies.factory.make_policy", lambda *a, **k: built.append(a))
    with pytest.raises(ValueError, match=r"'observation.environment_state' \(shape \[16\]\) is not provided"):
        pipeline.make_eval_policy(cfg, env=None)
    assert len(check_calls) == 1 and not built


def test_policy_without_features_is_checked_once_after_the_factory(tmp_path, check_calls):
    from lerobot.policies.factory import make_policy_config

    policy_cfg = make_policy_config(
        "act", dim_model=16, n_heads=2, dim_feedforward=32, n_encoder_layers=1, n_decoder_layers=1,
        n_vae_encoder_layers=1, latent_dim=4, pretrained_backbone_weights=None, device="cpu",
    )  # fmt: skip
    cfg = _cfg(policy_cfg, tmp_path, obs_type="environment_state_agent_pos")
    policy = pipeline.make_eval_policy(cfg, env=None)
    assert check_calls == [policy.config] and policy.config.input_features
