"""VQ-BeT against the reference fixtures (policies/vqbet, state_dict_keys/vqbet_v0.4.4.json) + unit tests:
two-phase training, codebook EMA, code sampling variants, optimizer groups, config errors."""

import copy
import json

import pytest
import torch
from safetensors.torch import load_file

from lerobot.configs.types import FeatureType, PolicyFeature
from lerobot.policies.vqbet.configuration_vqbet import VQBeTConfig
from lerobot.policies.vqbet.modeling_vqbet import VQBeTPolicy
from lerobot.policies.vqbet.vqbet_utils import EuclideanCodebook, focal_loss
from tests.policies.helpers import (
    assert_state_dict_matches_reference_keys,
    features_from_json,
    load_state_dict_keys,
    seed_all,
)

KEYS = ["observation.image", "observation.state"]


@pytest.fixture(scope="module")
def vqbet_dir(reference_fixtures):
    return reference_fixtures / "policies" / "vqbet"


@pytest.fixture(scope="module")
def expected(vqbet_dir):
    return load_file(vqbet_dir / "expected.safetensors")


@pytest.fixture(scope="module")
def loaded_policy(vqbet_dir):
    policy = VQBeTPolicy.from_pretrained(vqbet_dir / "pretrained_model")
    assert not policy.training and policy.vqbet.action_head.vqvae_model.discretized.item()
    return policy


@pytest.fixture
def policy(loaded_policy):
    """A fresh copy per test (tests flip buffers and modes)."""
    return copy.deepcopy(loaded_policy)


def _obs(expected, t, normalized=True):
    prefix = "obs_normalized" if normalized else "obs"
    # The fixture stores normalized images only at step 0; images are IDENTITY-normalized anyway.
    return {k: expected.get(f"{prefix}/step{t}/{k}", expected[f"obs/step{t}/{k}"]) for k in KEYS}


def _train_batch(expected, normalized=True):
    batch = {k.removeprefix("train/batch/"): v for k, v in expected.items() if k.startswith("train/batch/")}
    if normalized:
        batch.update(
            {
                k.removeprefix("train/batch_normalized/"): v
                for k, v in expected.items()
                if k.startswith("train/batch_normalized/")
            }
        )
    return batch


def test_submodules_match_reference(policy, expected):
    with torch.no_grad():
        feats = policy.vqbet.rgb_encoder(expected["obs_normalized/step0/observation.image"])
        gpt_out = policy.vqbet.policy(expected["sub/gpt/in"])
        vqvae = policy.vqbet.action_head.vqvae_model
        quantized, code = vqvae.get_code(expected["sub/vqvae/in_actions"])
        decoded = vqvae.get_action_from_latent(quantized)
    tol = {"rtol": 1e-4, "atol": 1e-5}
    torch.testing.assert_close(feats, expected["sub/rgb_encoder/out"], **tol)
    torch.testing.assert_close(gpt_out, expected["sub/gpt/out"], **tol)
    torch.testing.assert_close(quantized, expected["sub/vqvae/quantized"], **tol)
    torch.testing.assert_close(code, expected["sub/vqvae/code"], rtol=0, atol=0)
    torch.testing.assert_close(decoded, expected["sub/vqvae/decoded"], **tol)


def test_rollout_matches_reference(policy, expected):
    """Model called at steps 0, 5, 10 (chunks of 5); one multinomial over (B*Tq*2, Cb) rows per call."""
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
    assert len(chunks) == 3
    for j, chunk in enumerate(chunks):
        torch.testing.assert_close(chunk, expected[f"rollout/chunk{j}/normalized"], rtol=0, atol=1e-5)
    torch.testing.assert_close(chunks[0], expected["predict_action_chunk/normalized"], rtol=0, atol=1e-5)


def test_env_space_rollout(policy, expected):
    stats = policy.stats["action"]
    atol = 1e-3 * float((stats["max"] - stats["min"]).max())
    policy.reset()
    for t in range(6):
        raw = _obs(expected, t, normalized=False)
        normalized = policy.normalize_batch(raw)
        torch.testing.assert_close(
            normalized["observation.state"],
            expected[f"obs_normalized/step{t}/observation.state"],
            rtol=0,
            atol=1e-6,
        )
        seed_all(0)
        action = policy.select_action(raw)
        torch.testing.assert_close(action, expected[f"rollout/step{t}/action"], rtol=0, atol=atol)


@pytest.mark.parametrize("run", ["eval_phase2", "eval_phase1", "train_phase1"])
def test_training_losses_match_reference(policy, expected, vqbet_dir, run):
    ref = json.loads((vqbet_dir / "expected.json").read_text())["training"]["runs"][run]
    if run != "eval_phase2":
        # Same checkpoint with `discretized` False (freeze_codebook stays True).
        policy.vqbet.action_head.vqvae_model.discretized.fill_(False)
    policy.train(run.startswith("train"))
    codebook_before = policy.vqbet.action_head.vqvae_model.vq_layer.layers[0]._codebook.embed.clone()
    seed_all(0)
    loss, info = policy.forward_normalized(_train_batch(expected))
    torch.testing.assert_close(loss, expected[f"train/{run}/loss"], rtol=1e-4, atol=0)
    assert set(info) == set(ref["output_dict"])
    for key, value in ref["output_dict"].items():
        assert info[key] == pytest.approx(value, rel=1e-4, abs=1e-6), key
    # freeze_codebook is True: no EMA update even in train mode.
    assert torch.equal(
        codebook_before, policy.vqbet.action_head.vqvae_model.vq_layer.layers[0]._codebook.embed
    )
    if run == "eval_phase2":
        seed_all(0)
        loss_raw, _ = policy.forward(_train_batch(expected, normalized=False))
        torch.testing.assert_close(loss_raw, expected[f"train/{run}/loss"], rtol=1e-4, atol=0)


def test_default_state_dict_matches_reference_keys(reference_fixtures):
    ref = load_state_dict_keys(reference_fixtures, "vqbet_v0.4.4")
    config = VQBeTConfig(
        input_features=features_from_json(ref["input_features"]),
        output_features=features_from_json(ref["output_features"]),
        device="cpu",
    )
    assert_state_dict_matches_reference_keys(VQBeTPolicy(config), ref)


# ----- unit tests (no fixtures) -------------------------------------------------------------------------


def _small_config(**overrides) -> VQBeTConfig:
    kwargs = {
        "input_features": {
            "observation.image": PolicyFeature(FeatureType.VISUAL, (3, 32, 32)),
            "observation.state": PolicyFeature(FeatureType.STATE, (2,)),
        },
        "output_features": {"action": PolicyFeature(FeatureType.ACTION, (2,))},
        "n_obs_steps": 2,
        "n_action_pred_token": 2,
        "action_chunk_size": 3,
        "crop_shape": (28, 28),
        "spatial_softmax_num_keypoints": 4,
        "n_vqvae_training_steps": 2,
        "vqvae_n_embed": 4,
        "vqvae_embedding_dim": 8,
        "vqvae_enc_hidden_dim": 8,
        "gpt_block_size": 16,
        "gpt_input_dim": 16,
        "gpt_output_dim": 16,
        "gpt_n_layer": 1,
        "gpt_n_head": 2,
        "gpt_hidden_dim": 16,
        "device": "cpu",
    }
    kwargs.update(overrides)
    return VQBeTConfig(**kwargs)


def _batch(config: VQBeTConfig, B: int = 2) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(5)
    n, T = config.n_obs_steps, len(config.action_delta_indices)
    return {
        "observation.image": torch.rand(B, n, 3, 32, 32, generator=g),
        "observation.state": torch.rand(B, n, 2, generator=g) * 2 - 1,
        "action": torch.rand(B, T, 2, generator=g) * 2 - 1,
    }


def test_two_phase_training_switches_after_n_vqvae_training_steps():
    config = _small_config(n_vqvae_training_steps=2)
    policy = VQBeTPolicy(config).train()
    vqvae = policy.vqbet.action_head.vqvae_model
    batch = _batch(config)
    assert not vqvae.discretized.item() and not vqvae.vq_layer.freeze_codebook.item()

    embed0 = vqvae.vq_layer.layers[0]._codebook.embed.clone()
    loss, info = policy.forward_normalized(batch)
    assert set(info) == {"n_different_codes", "n_different_combinations", "recon_l1_error"}
    loss.backward()
    # Phase 1 trains the VQ-VAE only: the GPT gets no gradient, and the codebook moves by EMA.
    assert policy.vqbet.policy.lm_head.weight.grad is None
    assert vqvae.encoder[0].weight.grad is not None
    assert not torch.equal(embed0, vqvae.vq_layer.layers[0]._codebook.embed)
    assert not vqvae.discretized.item()

    policy.forward_normalized(batch)  # 2nd phase-1 call reaches n_vqvae_training_steps
    assert vqvae.discretized.item() and vqvae.vq_layer.freeze_codebook.item()

    policy.zero_grad()
    policy.train()
    embed1 = vqvae.vq_layer.layers[0]._codebook.embed.clone()
    loss, info = policy.forward_normalized(batch)
    assert "classification_loss" in info and "offset_loss" in info
    loss.backward()
    assert policy.vqbet.policy.lm_head.weight.grad is not None
    assert policy.vqbet.action_token.grad is not None
    assert vqvae.encoder[0].weight.grad is None  # the VQ-VAE is frozen in phase 2
    assert torch.equal(embed1, vqvae.vq_layer.layers[0]._codebook.embed)
    # The phase is a buffer: it survives a state-dict round trip.
    fresh = VQBeTPolicy(config)
    fresh.load_state_dict(policy.state_dict())
    assert fresh.vqbet.action_head.vqvae_model.discretized.item()


def test_codebook_ema_update_formula():
    book = EuclideanCodebook(dim=3, codebook_size=4).train()
    x = torch.randn(10, 3)
    N0, S0 = book.cluster_size.clone(), book.embed_avg.clone()
    _, idx = book(x, update=True)
    onehot = torch.nn.functional.one_hot(idx, 4).float()
    N = 0.8 * N0 + 0.2 * onehot.sum(0)
    S = 0.8 * S0 + 0.2 * (onehot.t() @ x)
    smoothed = (N + 1e-5) / (N.sum() + 4 * 1e-5) * N.sum()
    torch.testing.assert_close(book.cluster_size, N)
    torch.testing.assert_close(book.embed, S / smoothed.unsqueeze(-1))


def test_focal_loss_reduces_to_cross_entropy_weighting():
    logits = torch.randn(6, 5)
    target = torch.randint(0, 5, (6,))
    p = torch.softmax(logits, -1).gather(1, target[:, None])[:, 0]
    torch.testing.assert_close(focal_loss(logits, target), (-((1 - p) ** 2) * p.log()).mean())


@pytest.mark.parametrize("sequentially_select", [False, True])
def test_select_action_queue_and_code_sampling(sequentially_select):
    config = _small_config(sequentially_select=sequentially_select)
    policy = VQBeTPolicy(config)
    head = policy.vqbet.action_head
    head.end_vqvae_phase()
    policy.eval()
    keys = set(policy.state_dict())
    if sequentially_select:
        assert {"vqbet.action_head.map_to_cbet_preds_primary_bin.0.weight"} <= keys
        assert not any("map_to_cbet_preds_bin" in k for k in keys)
    calls = []
    predict = policy.predict_action_chunk_normalized
    policy.predict_action_chunk_normalized = lambda b: calls.append(1) or predict(b)
    obs = {"observation.image": torch.rand(2, 3, 32, 32), "observation.state": torch.rand(2, 2)}
    actions = [policy.select_action_normalized(obs) for _ in range(7)]
    assert len(calls) == 3  # every action_chunk_size (3) steps
    assert all(a.shape == (2, 2) for a in actions)
    # Multinomial draws: one (B*Tq*2, Cb) call, or two (B*Tq, Cb) calls in sequential mode.
    torch.manual_seed(0)
    policy.reset()
    policy.select_action_normalized(obs)
    after_call = torch.get_rng_state()
    torch.manual_seed(0)
    Tq = config.n_query_tokens
    if sequentially_select:
        torch.multinomial(torch.ones(2 * Tq, 4), 1)
        torch.multinomial(torch.ones(2 * Tq, 4), 1)
    else:
        torch.multinomial(torch.ones(2 * Tq * 2, 4), 1)
    assert torch.equal(after_call, torch.get_rng_state())
    # Phase-2 training works in both modes.
    policy.train()
    loss, _ = policy.forward_normalized(_batch(config))
    loss.backward()
    assert torch.isfinite(loss)


def test_optimizer_groups_and_scheduler_preset():
    config = _small_config(n_vqvae_training_steps=3, scheduler_warmup_steps=2)
    policy = VQBeTPolicy(config)
    groups = policy.get_optim_params()
    assert len(groups) == 3
    ids = [id(p) for g in groups for p in g["params"]]
    assert len(ids) == len(set(ids))
    assert set(ids) == {id(p) for p in policy.parameters() if p.requires_grad}
    vqvae_ids = {id(p) for p in policy.vqbet.action_head.vqvae_model.parameters()}
    assert {id(p) for p in groups[1]["params"]} == vqvae_ids
    assert groups[1]["lr"] == config.optimizer_vqvae_lr
    assert groups[1]["weight_decay"] == config.optimizer_vqvae_weight_decay
    assert groups[2]["weight_decay"] == 0.0
    assert id(policy.vqbet.policy.transformer.wpe.weight) in {id(p) for p in groups[2]["params"]}
    optimizer = config.get_optimizer_preset().build(groups)
    assert optimizer.param_groups[0]["lr"] == config.optimizer_lr
    assert optimizer.param_groups[0]["weight_decay"] == config.optimizer_weight_decay
    scheduler = config.get_scheduler_preset().build(optimizer, num_training_steps=10)
    lrs = []
    for _ in range(6):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    base = config.optimizer_lr
    # factor 1 during the 3 VQ-VAE steps, then linear warm-up from 0 over 2 steps
    assert lrs[:5] == pytest.approx([base, base, base, 0.0, base / 2])


def test_delta_indices():
    config = VQBeTConfig(device="cpu")
    assert config.observation_delta_indices == [-4, -3, -2, -1, 0]
    assert config.action_delta_indices == list(range(-4, 7))
    assert config.reward_delta_indices is None


@pytest.mark.parametrize(
    "overrides,match",
    [
        ({"gpt_hidden_dim": 15}, "divisible by gpt_n_head"),
        ({"vision_backbone": "vit"}, "ResNet"),
        ({"dropout": 1.0}, "dropout"),
        ({"crop_shape": (40, 40)}, "does not fit"),
        ({"gpt_block_size": 4}, "gpt_block_size"),
        ({"n_vqvae_training_steps": -1}, "n_vqvae_training_steps"),
    ],
)
def test_config_errors(overrides, match):
    with pytest.raises(ValueError, match=match):
        VQBeTPolicy(_small_config(**overrides))


def test_camera_and_state_constraints():
    two_cams = _small_config()
    two_cams.input_features["observation.images.wrist"] = PolicyFeature(FeatureType.VISUAL, (3, 32, 32))
    with pytest.raises(ValueError, match="exactly one camera"):
        VQBeTPolicy(two_cams)
    no_state = _small_config()
    del no_state.input_features["observation.state"]
    with pytest.raises(ValueError, match="observation.state"):
        VQBeTPolicy(no_state)
    env = _small_config()
    env.input_features["observation.environment_state"] = PolicyFeature(FeatureType.ENV, (4,))
    with pytest.raises(ValueError, match="environment_state"):
        VQBeTPolicy(env)


def test_v032_layout_checkpoint_loads(vqbet_dir, expected, policy, tmp_path):
    """0.3.2 layout: in-model normalization buffers, no processors, and the extra field `mlp_hidden_dim`."""
    from safetensors.torch import save_file

    src = vqbet_dir / "pretrained_model"
    dst = tmp_path / "v032"
    dst.mkdir()
    config = json.loads((src / "config.json").read_text())
    config.pop("use_peft")
    config["mlp_hidden_dim"] = 1024
    (dst / "config.json").write_text(json.dumps(config, indent=4))
    weights = load_file(src / "model.safetensors")
    for name, key in [
        ("normalize_inputs.buffer_observation_state", "observation.state"),
        ("normalize_targets.buffer_action", "action"),
        ("unnormalize_outputs.buffer_action", "action"),
    ]:
        for stat in ("min", "max"):
            weights[f"{name}.{stat}"] = policy.stats[key][stat].clone()
    save_file(weights, dst / "model.safetensors")
    legacy = VQBeTPolicy.from_pretrained(dst)
    assert legacy.vqbet.action_head.vqvae_model.discretized.item()
    stats = policy.stats["action"]
    atol = 1e-3 * float((stats["max"] - stats["min"]).max())
    legacy.reset()
    for t in range(2):
        seed_all(0)
        action = legacy.select_action(_obs(expected, t, normalized=False))
        torch.testing.assert_close(action, expected[f"rollout/step{t}/action"], rtol=0, atol=atol)


def test_phase2_training_rng_order():
    """Random crop (2 CPU randint: top, left) -> GPT dropouts in execution order -> code multinomial."""
    config = _small_config(dropout=0.1)
    policy = VQBeTPolicy(config)
    policy.vqbet.action_head.end_vqvae_phase()
    policy.train()
    batch = _batch(config)
    torch.manual_seed(0)
    policy.forward_normalized(batch)
    after_forward = torch.get_rng_state()

    B, n, p = 2, config.n_obs_steps, config.dropout
    T = n * 3 + config.n_action_pred_token - 1  # [camera, state, action] per step + extra action tokens
    D, h, Tq = config.gpt_hidden_dim, config.gpt_n_head, config.n_query_tokens
    torch.manual_seed(0)
    torch.randint(0, 32 - 28 + 1, size=(1,))
    torch.randint(0, 32 - 28 + 1, size=(1,))
    torch.nn.functional.dropout(torch.zeros(B, T, D), p)  # embedding dropout
    for _ in range(config.gpt_n_layer):
        torch.nn.functional.dropout(torch.zeros(B, h, T, T), p)  # attention probabilities
        torch.nn.functional.dropout(torch.zeros(B, T, D), p)  # residual
        torch.nn.functional.dropout(torch.zeros(B, T, D), p)  # MLP
    torch.multinomial(torch.ones(B * Tq * 2, config.vqvae_n_embed), 1)
    assert torch.equal(after_forward, torch.get_rng_state())


def test_phase1_training_reduces_reconstruction_error():
    """A few Adam steps of phase 1 lower the VQ-VAE reconstruction error on fixed action ramps.

    (Without k-means init or dead-code replacement, as in the reference, the codebooks start collapsed to one
    code pair, so the decoder first learns the mean chunk.)"""
    config = _small_config(n_vqvae_training_steps=1000)
    torch.manual_seed(0)
    policy = VQBeTPolicy(config).train()
    optimizer = torch.optim.Adam(policy.parameters(), lr=1e-2)
    batch = _batch(config)
    T = batch["action"].shape[1]
    ramp = torch.stack([torch.linspace(-1, 1, T), torch.linspace(1, -1, T)], dim=-1)
    batch["action"] = ramp.expand(2, T, 2) * torch.tensor([1.0, -0.5]).view(2, 1, 1)
    errors = []
    for _ in range(40):
        loss, info = policy.forward_normalized(batch)
        errors.append(info["recon_l1_error"])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert errors[-1] < 0.9 * errors[0]
