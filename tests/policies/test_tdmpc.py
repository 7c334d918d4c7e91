"""TD-MPC against the reference fixtures (policies/tdmpc, state_dict_keys/tdmpc_v0.4.4.json) + unit tests."""

import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from lerobot.configs.types import FeatureType, PolicyFeature
from lerobot.policies.tdmpc.configuration_tdmpc import TDMPCConfig
from lerobot.policies.tdmpc.modeling_tdmpc import TDMPCPolicy, random_shifts_aug
from tests.policies.helpers import (
    assert_state_dict_matches_reference_keys,
    features_from_json,
    load_state_dict_keys,
    seed_all,
)

STATE_KEYS = ["observation.state", "observation.environment_state"]


def _load(fixture_dir, **overrides) -> TDMPCPolicy:
    policy = TDMPCPolicy.from_pretrained(fixture_dir / "pretrained_model", **overrides)
    assert not policy.training
    return policy


@pytest.fixture(scope="module")
def tdmpc_dir(reference_fixtures):
    return reference_fixtures / "policies" / "tdmpc"


@pytest.fixture(scope="module")
def expected(tdmpc_dir):
    return load_file(tdmpc_dir / "expected.safetensors")


def _obs(expected, t):
    return {k: expected[f"obs_normalized/step{t}/{k}"] for k in STATE_KEYS}


def test_submodules_match_reference(tdmpc_dir, expected):
    model = _load(tdmpc_dir).model
    with torch.no_grad():
        z = model.encode(_obs(expected, 0))
        a = expected["sub/in_action"]
        z_next, reward = model.latent_dynamics_and_reward(z, a)
        got = {
            "sub/encode/out_z": z,
            "sub/pi/out": model.pi(z),
            "sub/V/out": model.V(z),
            "sub/Qs/out": model.Qs(z, a),
            "sub/latent_dynamics/out_z": z_next,
            "sub/reward/out": reward,
        }
    for name, value in got.items():
        torch.testing.assert_close(value, expected[name], rtol=1e-4, atol=1e-5, msg=name)


def test_select_action_without_mpc_is_deterministic_and_matches(tdmpc_dir, expected):
    policy = _load(tdmpc_dir, use_mpc=False)
    policy.reset()
    actions = torch.stack([policy.select_action_normalized(_obs(expected, t)) for t in range(4)])
    torch.testing.assert_close(
        actions, expected["sub/select_action_use_mpc_false/actions"], rtol=0, atol=1e-5
    )


def test_planning_rollout_matches_reference(tdmpc_dir, expected):
    """CEM/MPPI with the reference's RNG draw order; the model runs every n_action_repeats (2) steps."""
    policy = _load(tdmpc_dir)
    chunks = []
    predict = policy.predict_action_chunk_normalized

    def recording_predict(batch):
        chunk = predict(batch)
        chunks.append(chunk)
        return chunk

    policy.predict_action_chunk_normalized = recording_predict
    policy.reset()
    for t in range(12):
        seed_all(0)
        action = policy.select_action_normalized(_obs(expected, t))
        torch.testing.assert_close(action, expected[f"rollout/step{t}/action_normalized"], rtol=0, atol=1e-5)
    assert len(chunks) == 6  # model called at steps 0, 2, ..., 10
    for j, chunk in enumerate(chunks):
        assert chunk.shape == (3, 2, 2)  # time-major (horizon, B, A)
        torch.testing.assert_close(chunk, expected[f"rollout/chunk{j}/normalized"], rtol=0, atol=1e-5)
    torch.testing.assert_close(chunks[0], expected["predict_action_chunk/normalized"], rtol=0, atol=1e-5)


def test_training_loss_matches_reference(tdmpc_dir, expected):
    policy = _load(tdmpc_dir)
    batch = {k.removeprefix("train/batch/"): v for k, v in expected.items() if k.startswith("train/batch/")}
    batch.update(
        {
            k.removeprefix("train/batch_normalized/"): v
            for k, v in expected.items()
            if k.startswith("train/batch_normalized/")
        }
    )
    ref = json.loads((tdmpc_dir / "expected.json").read_text())["training"]["runs"]["eval"]
    seed_all(0)
    loss, info = policy.forward_normalized(batch)
    torch.testing.assert_close(loss, expected["train/eval/loss"], rtol=1e-4, atol=0)
    # The public forward normalizes the raw batch itself (as the 0.4.4 preprocessor did).
    raw = {k.removeprefix("train/batch/"): v for k, v in expected.items() if k.startswith("train/batch/")}
    seed_all(0)
    loss_raw, _ = policy.forward(raw)
    torch.testing.assert_close(loss_raw, expected["train/eval/loss"], rtol=1e-4, atol=0)
    for key, value in ref["output_dict"].items():
        if value is not None:
            assert info[key] == pytest.approx(value, rel=1e-4, abs=1e-6), key
    torch.testing.assert_close(
        info["advantage"], expected["train/eval/output_dict/advantage"], rtol=1e-4, atol=1e-5
    )


def test_env_space_rollout_with_normalization(tdmpc_dir, expected):
    """Raw observations in, env-space actions out (the policy carries the processors' statistics)."""
    policy = _load(tdmpc_dir)
    stats = policy.stats["action"]
    atol = 1e-3 * float((stats["max"] - stats["min"]).max())
    policy.reset()
    for t in range(4):
        raw = {k: expected[f"obs/step{t}/{k}"] for k in STATE_KEYS}
        normalized = policy.normalize_batch(raw)
        for k in STATE_KEYS:
            torch.testing.assert_close(
                normalized[k], expected[f"obs_normalized/step{t}/{k}"], rtol=0, atol=1e-6
            )
        seed_all(0)
        action = policy.select_action(raw)
        torch.testing.assert_close(action, expected[f"rollout/step{t}/action"], rtol=0, atol=atol)


def test_default_state_dict_matches_reference_keys(reference_fixtures):
    ref = load_state_dict_keys(reference_fixtures, "tdmpc_v0.4.4")
    config = TDMPCConfig(
        input_features=features_from_json(ref["input_features"]),
        output_features=features_from_json(ref["output_features"]),
        device="cpu",
    )
    assert_state_dict_matches_reference_keys(TDMPCPolicy(config), ref)


# ----- unit tests (no fixtures) -------------------------------------------------------------------------


def _small_config(**overrides) -> TDMPCConfig:
    kwargs = {
        "input_features": {
            "observation.image": PolicyFeature(FeatureType.VISUAL, (3, 40, 40)),
            "observation.state": PolicyFeature(FeatureType.STATE, (3,)),
        },
        "output_features": {"action": PolicyFeature(FeatureType.ACTION, (2,))},
        "horizon": 3,
        "latent_dim": 8,
        "mlp_dim": 16,
        "state_encoder_hidden_dim": 16,
        "image_encoder_hidden_dim": 8,
        "q_ensemble_size": 3,
        "n_gaussian_samples": 16,
        "n_pi_samples": 4,
        "n_elites": 4,
        "cem_iterations": 2,
        "device": "cpu",
    }
    kwargs.update(overrides)
    return TDMPCConfig(**kwargs)


def _train_batch(config: TDMPCConfig, B: int = 2) -> dict[str, torch.Tensor]:
    H = config.horizon
    g = torch.Generator().manual_seed(3)
    batch = {
        "observation.image": torch.rand(B, H + 1, 3, 40, 40, generator=g),
        "observation.state": torch.rand(B, H + 1, 3, generator=g) * 2 - 1,
        "action": torch.rand(B, H, 2, generator=g) * 2 - 1,
        "next.reward": torch.rand(B, H, generator=g),
        "observation.state_is_pad": torch.zeros(B, H + 1, dtype=torch.bool),
        "observation.image_is_pad": torch.zeros(B, H + 1, dtype=torch.bool),
        "action_is_pad": torch.zeros(B, H, dtype=torch.bool),
        "next.reward_is_pad": torch.zeros(B, H, dtype=torch.bool),
        "index": torch.arange(B),
    }
    return batch


def test_training_step_backward_and_target_update():
    config = _small_config()
    policy = TDMPCPolicy(config).train()
    optimizer = torch.optim.Adam(policy.get_optim_params(), lr=1e-2)
    target_before = {k: v.clone() for k, v in policy.model_target.state_dict().items()}
    loss, info = policy.forward_normalized(_train_batch(config))
    assert torch.isfinite(loss) and set(info) >= {"consistency_loss", "pi_loss", "sum_loss", "advantage"}
    loss.backward()
    assert all(p.grad is None for p in policy.model_target.parameters())
    assert policy.model._pi[0].weight.grad is not None and policy.model._Qs[0][0].weight.grad is not None
    optimizer.step()

    online = {k: v.clone() for k, v in policy.model.state_dict().items()}
    policy.update()
    m = config.target_model_momentum
    moved = 0
    for key, after in policy.model_target.state_dict().items():
        expected_value = m * target_before[key] + (1 - m) * online[key]
        torch.testing.assert_close(after, expected_value)
        moved += int(not torch.equal(after, target_before[key]))
    assert moved > 0


def test_padding_masks_exclude_padded_steps():
    config = _small_config(max_random_shift_ratio=0.0)
    policy = TDMPCPolicy(config)
    batch = _train_batch(config)
    batch["action_is_pad"][:, 1:] = True
    batch["next.reward_is_pad"][:, 1:] = True
    batch["observation.state_is_pad"][:, 2:] = True
    seed_all(0)
    loss_a, _ = policy.forward_normalized(batch)
    # Changing padded targets must not change the loss.
    batch2 = {k: v.clone() for k, v in batch.items()}
    batch2["action"][:, 1:] += 5.0
    batch2["next.reward"][:, 1:] -= 3.0
    seed_all(0)
    loss_b, _ = policy.forward_normalized(batch2)
    torch.testing.assert_close(loss_a, loss_b)


def test_shift_augmentation_is_an_integer_crop_of_the_padded_image():
    x = torch.rand(5, 3, 21, 21)
    torch.manual_seed(1)
    out = random_shifts_aug(x, 0.1)  # pad = 2
    torch.manual_seed(1)
    shift = torch.randint(0, 5, size=(5, 1, 1, 2), dtype=torch.float32).long()
    padded = torch.nn.functional.pad(x, (2, 2, 2, 2), mode="replicate")
    for i in range(5):
        sx, sy = shift[i, 0, 0].tolist()
        torch.testing.assert_close(out[i], padded[i, :, sy : sy + 21, sx : sx + 21], atol=1e-5, rtol=0)


@pytest.mark.parametrize(
    "n_action_repeats,n_action_steps,use_mpc", [(2, 1, True), (1, 3, True), (1, 1, False)]
)
def test_action_queue_and_repeats(n_action_repeats, n_action_steps, use_mpc):
    config = _small_config(n_action_repeats=n_action_repeats, n_action_steps=n_action_steps, use_mpc=use_mpc)
    policy = TDMPCPolicy(config).eval()
    calls = []
    predict = policy.predict_action_chunk_normalized
    policy.predict_action_chunk_normalized = lambda b: calls.append(1) or predict(b)
    obs = {"observation.image": torch.rand(2, 3, 40, 40), "observation.state": torch.rand(2, 3)}
    actions = [policy.select_action_normalized(obs) for _ in range(6)]
    per_call = max(n_action_repeats, n_action_steps)
    assert len(calls) == 6 // per_call
    assert all(a.shape == (2, 2) and a.abs().max() <= 1 for a in actions)
    if n_action_repeats > 1:
        assert torch.equal(actions[0], actions[1])


@pytest.mark.parametrize(
    "overrides,match",
    [
        ({"n_action_steps": 2}, "n_action_repeats == 1"),
        ({"n_action_steps": 2, "n_action_repeats": 1, "use_mpc": False}, "use_mpc=True"),
        ({"n_action_steps": 4, "n_action_repeats": 1}, "cannot exceed horizon"),
        ({"n_obs_steps": 2}, "n_obs_steps must be 1"),
        ({"n_gaussian_samples": 0}, "n_gaussian_samples must be > 0"),
        ({"normalization_mapping": {"ACTION": "MEAN_STD"}}, "MIN_MAX"),
        ({"n_elites": 100}, "n_elites"),
    ],
)
def test_config_errors(overrides, match):
    with pytest.raises(ValueError, match=match):
        _small_config(**overrides)


def test_feature_errors():
    two_cams = _small_config()
    two_cams.input_features["observation.images.wrist"] = PolicyFeature(FeatureType.VISUAL, (3, 40, 40))
    with pytest.raises(ValueError, match="at most one camera"):
        TDMPCPolicy(two_cams)
    rect = _small_config()
    rect.input_features["observation.image"] = PolicyFeature(FeatureType.VISUAL, (3, 40, 48))
    with pytest.raises(ValueError, match="square"):
        TDMPCPolicy(rect)


def test_forward_requires_reward():
    config = _small_config()
    batch = _train_batch(config)
    del batch["next.reward"]
    with pytest.raises(KeyError, match="next.reward"):
        TDMPCPolicy(config).forward_normalized(batch)


def _write_v032_checkpoint(src_dir, dst_dir, stats, norm_keys, extra_config=None):
    """A 0.3.2-layout folder: config.json (0.3.2 field set) + weights with in-model normalization buffers."""
    from safetensors.torch import save_file

    dst_dir.mkdir(parents=True)
    config = json.loads((src_dir / "config.json").read_text())
    config.pop("use_peft")
    config.update(extra_config or {})
    (dst_dir / "config.json").write_text(json.dumps(config, indent=4))
    weights = load_file(src_dir / "model.safetensors")
    for module, keys in norm_keys.items():
        for key in keys:
            for stat in ("min", "max"):
                weights[f"{module}.buffer_{key.replace('.', '_')}.{stat}"] = stats[key][stat].clone()
    save_file(weights, dst_dir / "model.safetensors")


def test_v032_layout_checkpoint_loads_and_acts_the_same(tdmpc_dir, expected, tmp_path):
    """0.3.2 checkpoints keep the normalization buffers in model.safetensors and have no processor files."""
    reference = _load(tdmpc_dir)
    _write_v032_checkpoint(
        tdmpc_dir / "pretrained_model",
        tmp_path / "v032",
        reference.stats,
        {
            "normalize_inputs": STATE_KEYS,
            "normalize_targets": ["action"],
            "unnormalize_outputs": ["action"],
        },
    )
    legacy = TDMPCPolicy.from_pretrained(tmp_path / "v032", use_mpc=False)
    assert set(legacy.state_dict()) == set(reference.state_dict())
    stats = reference.stats["action"]
    atol = 1e-3 * float((stats["max"] - stats["min"]).max())
    legacy.reset()
    for t in range(4):
        raw = {k: expected[f"obs/step{t}/{k}"] for k in STATE_KEYS}
        normalized_action = expected["sub/select_action_use_mpc_false/actions"][t]
        env_action = reference.unnormalize_action(normalized_action)
        torch.testing.assert_close(legacy.select_action(raw), env_action, rtol=0, atol=atol)


def test_training_rng_order_with_image():
    """Shift augmentation randint (torch) on all (H+1)*B images, then two NumPy choices (V target, advantage)."""
    config = _small_config()
    policy = TDMPCPolicy(config)
    seed_all(0)
    policy.forward_normalized(_train_batch(config))
    torch_after, np_after = torch.get_rng_state(), np.random.get_state()
    seed_all(0)
    pad = round(config.max_random_shift_ratio * 40)
    torch.randint(0, 2 * pad + 1, size=((config.horizon + 1) * 2, 1, 1, 2), dtype=torch.float32)
    np.random.choice(config.q_ensemble_size, size=2)
    np.random.choice(config.q_ensemble_size, size=2)
    assert torch.equal(torch_after, torch.get_rng_state())
    np_now = np.random.get_state()
    assert np.array_equal(np_after[1], np_now[1]) and np_after[2] == np_now[2]


def test_cem_planning_maximizes_the_model_return():
    """With a model whose reward is the first action component, the planned actions go towards +1."""
    config = _small_config(n_gaussian_samples=256, n_elites=8, uncertainty_regularizer_coeff=0.0)
    policy = TDMPCPolicy(config).eval()
    model = policy.model
    model.latent_dynamics_and_reward = lambda z, a: (z, a[..., 0])
    model.latent_dynamics = lambda z, a: z
    model.Qs = lambda z, a, return_min=False: torch.zeros(config.q_ensemble_size, *z.shape[:-1])
    model.pi = lambda z, std=0.0: torch.zeros(*z.shape[:-1], 2)
    torch.manual_seed(0)
    plan = policy.plan(torch.zeros(3, config.latent_dim))  # (H, B, A)
    assert plan.shape == (config.horizon, 3, 2)
    assert plan[..., 0].min() > 0.9
    # The warm start keeps the refined mean, shifted by one step at the next call.
    assert policy._prev_mean[..., 0].min() > 0.5


def test_any_camera_key_works_for_inference_and_training():
    """The reference only acts with a camera named `observation.image`; here the camera's own key is used."""
    config = _small_config(q_ensemble_size=2)  # no NumPy head picks: the shift is the only random draw
    config.input_features = {
        "observation.images.top": config.input_features["observation.image"],
        "observation.state": config.input_features["observation.state"],
    }
    policy = TDMPCPolicy(config)
    batch = _train_batch(config)
    batch["observation.images.top"] = batch.pop("observation.image")
    batch["observation.images.top_is_pad"] = batch.pop("observation.image_is_pad")
    seed_all(0)
    loss, _ = policy.forward_normalized(batch)
    assert torch.isfinite(loss)
    policy.eval()
    obs = {"observation.images.top": torch.rand(2, 3, 40, 40), "observation.state": torch.rand(2, 3)}
    assert policy.select_action_normalized(obs).shape == (2, 2)
    # The augmentation is applied to the images the encoder reads: different shifts -> different loss.
    seed_all(1)
    loss_other_shift, _ = policy.forward_normalized(batch)
    assert not torch.equal(loss, loss_other_shift)
