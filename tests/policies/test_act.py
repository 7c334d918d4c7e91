"""ACT against the reference fixtures (policies/act 0.4.4 processors layout, policies/act_v032 0.3.2
in-model buffers), the reference state-dict key lists, temporal ensembling and config validation.

Tolerances follow the fixtures README: normalized tensors atol 1e-5, env-space actions
atol 1e-3 * (max - min) of the action stats, losses rtol 1e-4 (the RNG draw order matches:
dropout masks in module order, then `torch.randn(B, latent_dim)` after the VAE encoder).
"""

import json

import pytest
import torch
from safetensors.torch import load_file

from lerobot.configs.policies import PreTrainedConfig
from lerobot.configs.types import FeatureType, PolicyFeature
from lerobot.policies.act.configuration_act import ACTConfig
from lerobot.policies.act.modeling_act import ACTPolicy, ACTTemporalEnsembler
from lerobot.policies.pretrained import PreTrainedPolicy
from tests.policies.helpers import features_from_json, load_reference_case, load_state_dict_keys

CASES = ["act", "act_v032"]
N_STEPS = 12


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module", params=CASES)
def case(request, reference_fixtures):
    return load_reference_case(reference_fixtures, request.param)


@pytest.fixture(scope="module")
def policy(case):
    return ACTPolicy.from_pretrained(case["dir"])


def _obs(case, t):
    return {k: case["expected"][f"obs/step{t}/{k}"] for k in case["meta"]["observations"]["keys"]}


def _action_atol(policy):
    stats = policy.stats["action"]
    if "max" in stats:
        return 1e-3 * float((stats["max"] - stats["min"]).max())
    return 1e-3 * float(4 * stats["std"].max())


def test_loads_with_the_recorded_config(case, policy):
    cfg = policy.config
    assert isinstance(cfg, ACTConfig) and cfg.type == "act"
    for key, value in case["meta"]["config_overrides"].items():
        assert getattr(cfg, key) == value, key
    assert list(cfg.input_features) == list(
        json.loads((case["dir"] / "config.json").read_text())["input_features"]
    )
    # 0.3.2 counted its normalization buffers (nn.Parameters) as parameters; they are stats here.
    legacy = sum(
        v.numel() for k, v in load_file(case["dir"] / "model.safetensors").items() if "normalize" in k
    )
    assert sum(p.numel() for p in policy.parameters()) == case["meta"]["num_parameters"] - legacy
    assert not policy.training


def test_normalized_observations(case, policy):
    exp = case["expected"]
    normalized = policy.normalize_batch(_obs(case, 0))
    for key in case["meta"]["observations"]["keys"]:
        name = f"obs_normalized/step0/{key}"
        if name in exp:
            torch.testing.assert_close(normalized[key], exp[name], rtol=0, atol=1e-5)


def test_rollout_select_action(case, policy):
    exp = case["expected"]
    atol = _action_atol(policy)
    policy.reset()
    for t in range(N_STEPS):
        torch.manual_seed(0)
        action = policy.select_action(_obs(case, t))
        torch.testing.assert_close(action, exp[f"rollout/step{t}/action"], rtol=0, atol=atol)


def test_rollout_in_normalized_space(case, policy):
    exp = case["expected"]
    called = case["meta"]["rollout"]["model_called_at_steps"]
    policy.reset()
    chunks = []
    for t in range(N_STEPS):
        batch = policy.normalize_batch(_obs(case, t))
        if t in called:
            chunks.append(policy.predict_action_chunk_normalized(batch))
        action_n = policy.select_action_normalized(batch)
        if f"rollout/step{t}/action_normalized" in exp:
            torch.testing.assert_close(action_n, exp[f"rollout/step{t}/action_normalized"], rtol=0, atol=1e-5)
    for j, chunk in enumerate(chunks):
        if f"rollout/chunk{j}/normalized" in exp:
            torch.testing.assert_close(chunk, exp[f"rollout/chunk{j}/normalized"], rtol=0, atol=1e-5)
        torch.testing.assert_close(
            policy.unnormalize_action(chunk),
            exp[f"rollout/chunk{j}/action"],
            rtol=0,
            atol=_action_atol(policy),
        )
    assert len(policy._action_queue) == policy.config.n_action_steps - (N_STEPS - called[-1])


def test_predict_action_chunk(case, policy):
    exp = case["expected"]
    policy.reset()
    torch.manual_seed(0)
    chunk = policy.predict_action_chunk(_obs(case, 0))
    assert list(chunk.shape) == case["meta"]["predict_action_chunk"]["shape"]
    torch.testing.assert_close(chunk, exp["predict_action_chunk/action"], rtol=0, atol=_action_atol(policy))


def _train_batch(case):
    return {k[len("train/batch/") :]: v for k, v in case["expected"].items() if k.startswith("train/batch/")}


@pytest.mark.parametrize("run", ["train_no_dropout", "train_with_dropout"])
def test_training_loss(case, run):
    overrides = {"dropout": 0.0} if run == "train_no_dropout" else {}
    policy = ACTPolicy.from_pretrained(case["dir"], **overrides)
    spec = case["meta"]["training"]["runs"][run]
    batch = _train_batch(case)
    normalized = policy.normalize_batch(batch)
    for key, value in case["expected"].items():
        if key.startswith("train/batch_normalized/"):
            torch.testing.assert_close(normalized[key.split("/", 2)[2]], value, rtol=0, atol=1e-5)
    policy.train()
    torch.manual_seed(case["meta"]["seed"])
    if run == "train_no_dropout":
        # The only draw is the latent noise; check the generator gives the recorded tensor.
        state = torch.get_rng_state()
        torch.testing.assert_close(torch.randn(2, 8), case["expected"][f"train/{run}/latent_noise_randn"])
        torch.set_rng_state(state)
    loss, info = policy.forward(batch)
    torch.testing.assert_close(loss, case["expected"][f"train/{run}/loss"], rtol=1e-4, atol=0)
    for key, value in spec["output_dict"].items():
        assert info[key] == pytest.approx(value, rel=1e-4), key


def test_forward_in_eval_mode_with_vae_explains(case, policy):
    policy.eval()
    with pytest.raises(RuntimeError, match="training mode"):
        policy.forward(_train_batch(case))


def test_submodules(case, policy):
    exp = case["expected"]
    with torch.no_grad():
        if "sub/backbone/out_feature_map" in exp:
            features = policy.model.backbone(exp["obs_normalized/step0/observation.image"])
            torch.testing.assert_close(features, exp["sub/backbone/out_feature_map"], rtol=1e-4, atol=1e-4)
        out = policy.model.encoder(exp["sub/encoder/in_x"], pos_embed=exp["sub/encoder/in_pos_embed"])
        torch.testing.assert_close(out, exp["sub/encoder/out"], rtol=0, atol=1e-5)


def test_new_layout_files_match_the_reference(reference_fixtures, tmp_path):
    src = reference_fixtures / "policies" / "act" / "pretrained_model"
    policy = ACTPolicy.from_pretrained(src)
    policy.save_pretrained(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in src.iterdir())
    for name in ("policy_preprocessor.json", "policy_postprocessor.json"):
        assert json.loads((tmp_path / name).read_text()) == json.loads((src / name).read_text()), name
    ours, theirs = (
        json.loads((tmp_path / "config.json").read_text()),
        json.loads((src / "config.json").read_text()),
    )
    theirs["pretrained_path"] = str(src)
    assert ours == theirs
    for name in (
        "policy_preprocessor_step_3_normalizer_processor.safetensors",
        "policy_postprocessor_step_0_unnormalizer_processor.safetensors",
        "model.safetensors",
    ):
        a, b = load_file(tmp_path / name), load_file(src / name)
        assert list(a) == list(b) or set(a) == set(b), name
        for key in b:
            assert torch.equal(a[key], b[key]), (name, key)


def test_old_layout_converts_to_new_layout(reference_fixtures, tmp_path):
    root = reference_fixtures / "policies" / "act_v032"
    exp = load_file(root / "expected.safetensors")
    old = ACTPolicy.from_pretrained(root / "pretrained_model")
    assert set(old.stats) == {"observation.state", "action"}  # env state is ENV: not normalized
    old.save_pretrained(tmp_path)
    new = PreTrainedPolicy.from_pretrained(tmp_path)
    obs = {k: exp[f"obs/step0/{k}"] for k in ("observation.state", "observation.environment_state")}
    torch.testing.assert_close(
        new.predict_action_chunk(obs), exp["predict_action_chunk/action"], rtol=0, atol=0.5
    )
    torch.testing.assert_close(
        new.predict_action_chunk(obs), old.predict_action_chunk(obs), rtol=1e-6, atol=1e-4
    )


@pytest.mark.parametrize("version", ["0.4.4", "0.3.2"])
def test_default_state_dict_matches_reference_keys(reference_fixtures, version):
    ref = load_state_dict_keys(reference_fixtures, f"act_v{version}")
    features = features_from_json(ref["input_features"])
    outputs = features_from_json(ref["output_features"])
    cfg = ACTConfig(input_features=features, output_features=outputs, device="cpu", **ref["config_overrides"])
    with torch.device("meta"):
        policy = ACTPolicy(cfg)
    ours = {k: list(v.shape) for k, v in policy.state_dict().items()}
    theirs = {
        e["key"]: e["shape"] for e in ref["keys"] if not e["key"].startswith(("normalize_", "unnormalize_"))
    }
    assert ours == theirs
    legacy = sum(
        torch.Size(e["shape"]).numel()
        for e in ref["keys"]
        if e["key"].startswith(("normalize_", "unnormalize_"))
    )
    assert sum(p.numel() for p in policy.parameters()) == ref["num_parameters"] - legacy


def _features(image=True, state=True, env=False):
    inputs = {}
    if image:
        inputs["observation.images.top"] = PolicyFeature(FeatureType.VISUAL, (3, 32, 32))
    if state:
        inputs["observation.state"] = PolicyFeature(FeatureType.STATE, (3,))
    if env:
        inputs["observation.environment_state"] = PolicyFeature(FeatureType.ENV, (4,))
    return {"input_features": inputs, "output_features": {"action": PolicyFeature(FeatureType.ACTION, (3,))}}


def test_config_errors_teach():
    with pytest.raises(ValueError, match=r"n_action_steps \(120\) cannot exceed chunk_size \(100\)"):
        ACTConfig(n_action_steps=120)
    with pytest.raises(NotImplementedError, match="n_action_steps must be 1"):
        ACTConfig(temporal_ensemble_coeff=0.01, n_action_steps=5)
    with pytest.raises(ValueError, match="must be a ResNet"):
        ACTConfig(vision_backbone="vit_b_16")
    with pytest.raises(ValueError, match="divisible by n_heads"):
        ACTConfig(dim_model=30, n_heads=4)
    with pytest.raises(ValueError, match="at least one camera"):
        ACTPolicy(ACTConfig(device="cpu", pretrained_backbone_weights=None, **_features(image=False)))
    with pytest.raises(ValueError, match="Unknown policy type 'actt'.*Did you mean 'act'"):
        PreTrainedConfig.from_dict({"type": "actt"})


def test_env_state_only_policy_runs():
    cfg = ACTConfig(
        device="cpu",
        chunk_size=4,
        n_action_steps=2,
        dim_model=16,
        n_heads=2,
        dim_feedforward=16,
        n_encoder_layers=1,
        n_vae_encoder_layers=1,
        latent_dim=2,
        **_features(image=False, state=False, env=True),
    )
    stats = {"action": {"mean": torch.zeros(3), "std": torch.ones(3)}}
    policy = ACTPolicy(cfg, dataset_stats=stats)
    action = policy.select_action({"observation.environment_state": torch.randn(2, 4)})
    assert action.shape == (2, 3)
    assert "model.vae_encoder_robot_state_input_proj.weight" not in policy.state_dict()
    assert policy.model.vae_encoder_pos_enc.shape == (1, 5, 16)


def test_temporal_ensembling_is_the_weighted_mean_of_overlapping_predictions():
    coeff, K, steps = 0.1, 4, 7
    torch.manual_seed(0)
    chunks = [torch.randn(2, K, 3) for _ in range(steps)]
    ensembler = ACTTemporalEnsembler(coeff, K)
    for t in range(steps):
        got = ensembler.update(chunks[t])
        # Predictions of step t, oldest first: chunk s predicted it at offset t - s.
        preds = [chunks[s][:, t - s] for s in range(max(0, t - K + 1), t + 1)]
        weights = torch.exp(-coeff * torch.arange(len(preds), dtype=torch.float32))
        expected = sum(w * p for w, p in zip(weights, preds)) / weights.sum()
        torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)


def test_temporal_ensembling_policy_calls_the_model_every_step():
    cfg = ACTConfig(
        device="cpu",
        chunk_size=4,
        n_action_steps=1,
        temporal_ensemble_coeff=0.01,
        dim_model=16,
        n_heads=2,
        dim_feedforward=16,
        n_encoder_layers=1,
        n_vae_encoder_layers=1,
        latent_dim=2,
        pretrained_backbone_weights=None,
        **_features(image=True, state=True),
    )
    stats = {
        "observation.images.top": {"mean": torch.full((3, 1, 1), 0.5), "std": torch.full((3, 1, 1), 0.2)},
        "observation.state": {"mean": torch.zeros(3), "std": torch.ones(3)},
        "action": {"mean": torch.full((3,), 10.0), "std": torch.full((3,), 2.0)},
    }
    policy = ACTPolicy(cfg, dataset_stats=stats)
    torch.manual_seed(0)
    obs = [
        {"observation.images.top": torch.rand(1, 3, 32, 32), "observation.state": torch.randn(1, 3)}
        for _ in range(3)
    ]
    ensembler = ACTTemporalEnsembler(0.01, 4)
    policy.reset()
    for o in obs:
        expected = policy.unnormalize_action(
            ensembler.update(policy.predict_action_chunk_normalized(policy.normalize_batch(o)))
        )
        torch.testing.assert_close(policy.select_action(o), expected)


def test_optimizer_preset_groups_the_backbone():
    cfg = ACTConfig(
        device="cpu",
        pretrained_backbone_weights=None,
        dim_model=16,
        n_heads=2,
        dim_feedforward=16,
        optimizer_lr_backbone=3e-6,
        **_features(),
    )
    policy = ACTPolicy(cfg)
    groups = policy.get_optim_params()
    optimizer = cfg.get_optimizer_preset().build(groups)
    assert type(optimizer).__name__ == "AdamW"
    assert [g["lr"] for g in optimizer.param_groups] == [1e-5, 3e-6]
    assert optimizer.param_groups[0]["weight_decay"] == 1e-4
    backbone = {id(p) for p in policy.model.backbone.parameters()}
    assert {id(p) for p in groups[1]["params"]} == backbone
    assert cfg.get_scheduler_preset() is None
    assert cfg.action_delta_indices == list(range(100)) and cfg.observation_delta_indices is None


def test_old_layout_written_like_the_reference(reference_fixtures, tmp_path):
    src = reference_fixtures / "policies" / "act_v032" / "pretrained_model"
    policy = ACTPolicy.from_pretrained(src)
    policy.save_pretrained(tmp_path, layout="0.3")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json", "model.safetensors"]
    assert json.loads((tmp_path / "config.json").read_text()) == json.loads((src / "config.json").read_text())
    ours, theirs = load_file(tmp_path / "model.safetensors"), load_file(src / "model.safetensors")
    assert set(ours) == set(theirs)
    for key, value in theirs.items():
        assert torch.equal(ours[key], value), key
    with pytest.raises(ValueError, match="layout must be"):
        policy.save_pretrained(tmp_path / "x", layout="0.2")


def test_new_checkpoint_saved_in_old_layout_round_trips(reference_fixtures, tmp_path):
    root = reference_fixtures / "policies" / "act"
    exp = load_file(root / "expected.safetensors")
    policy = ACTPolicy.from_pretrained(root / "pretrained_model")
    policy.save_pretrained(tmp_path, layout="0.3")
    old = ACTPolicy.from_pretrained(tmp_path)
    obs = {k: exp[f"obs/step0/{k}"] for k in ("observation.image", "observation.state")}
    # 0.3 formulas add eps to std: ~1e-8 relative to the 0.4 ones.
    torch.testing.assert_close(
        old.predict_action_chunk(obs), exp["predict_action_chunk/action"], rtol=0, atol=1e-2
    )
    sd = load_file(tmp_path / "model.safetensors")
    assert sd["normalize_inputs.buffer_observation_image.mean"].shape == (3, 1, 1)


def test_default_old_layout_keys_match_reference(reference_fixtures):
    from lerobot.policies.normalize import legacy_normalization_state

    ref = load_state_dict_keys(reference_fixtures, "act_v0.3.2")
    inputs = features_from_json(ref["input_features"])
    outputs = features_from_json(ref["output_features"])
    cfg = ACTConfig(input_features=inputs, output_features=outputs, device="cpu", **ref["config_overrides"])
    with torch.device("meta"):
        policy = ACTPolicy(cfg)
    stats = {
        k: {
            s: torch.zeros(ft.shape[0], 1, 1) if ft.type is FeatureType.VISUAL else torch.zeros(ft.shape)
            for s in ("mean", "std")
        }
        for k, ft in {**inputs, **outputs}.items()
    }
    buffers = legacy_normalization_state(inputs, outputs, cfg.normalization_mapping, stats)
    ours = {k: list(v.shape) for k, v in {**policy.state_dict(), **buffers}.items()}
    assert ours == {e["key"]: e["shape"] for e in ref["keys"]}


def test_loading_does_not_fetch_imagenet_weights(reference_fixtures, tmp_path, monkeypatch):
    import huggingface_hub.constants as hc

    monkeypatch.setattr(hc, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(hc, "HF_HUB_CACHE", str(tmp_path / "empty_cache"))
    src = reference_fixtures / "policies" / "act" / "pretrained_model"
    # Hub ACT checkpoints name the ImageNet weights the backbone started from; they are not needed to load.
    policy = ACTPolicy.from_pretrained(src, pretrained_backbone_weights="ResNet18_Weights.IMAGENET1K_V1")
    assert policy.config.pretrained_backbone_weights == "ResNet18_Weights.IMAGENET1K_V1"
    with pytest.raises(FileNotFoundError, match="not in the local cache"):
        ACTPolicy(policy.config)  # building from scratch does need them
