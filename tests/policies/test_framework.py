"""The policy framework: config.json handling, normalization (both eras), Hub loading, ResNet trunks,
optimizer / scheduler presets and `make_policy` from an env config."""

import json
import logging
import math
import shutil
from types import SimpleNamespace

import pytest
import torch
from safetensors.torch import save_file
from torch import nn

from lerobot.configs.policies import PreTrainedConfig
from lerobot.configs.types import FeatureType, NormalizationMode, PolicyFeature
from lerobot.optim import AdamConfig, DiffuserSchedulerConfig, OptimizerConfig, VQBeTSchedulerConfig
from lerobot.policies.factory import make_policy, make_policy_config
from lerobot.policies.normalize import Normalizer, split_legacy_normalization, unflatten_stats
from lerobot.policies.pretrained import PreTrainedPolicy
from lerobot.policies.resnet import FrozenBatchNorm2d, replace_batchnorm_with_groupnorm, resnet


# ----- config.json --------------------------------------------------------------------------------------
def test_config_json_unknown_keys_warned_missing_defaulted(tmp_path, caplog):
    data = {"type": "act", "chunk_size": 20, "n_action_steps": 5, "from_the_future": 1, "also_new": "x"}
    (tmp_path / "config.json").write_text(json.dumps(data))
    with caplog.at_level(logging.WARNING):
        cfg = PreTrainedConfig.from_pretrained(tmp_path, device="cpu")
    assert cfg.type == "act" and cfg.chunk_size == 20 and cfg.n_action_steps == 5
    assert cfg.dim_model == 512  # missing -> default
    assert "also_new" in caplog.text and "from_the_future" in caplog.text


def test_config_json_errors(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"chunk_size": 3}))
    with pytest.raises(ValueError, match="no 'type' key"):
        PreTrainedConfig.from_pretrained(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"type": "difusion"}))
    with pytest.raises(ValueError, match="Did you mean 'diffusion'"):
        PreTrainedConfig.from_pretrained(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"type": "act"}))
    with pytest.raises(ValueError, match="Did you mean 'chunk_size'"):
        PreTrainedConfig.from_pretrained(tmp_path, chunk_sise=3)
    (tmp_path / "config.json").write_text(json.dumps({"type": "act", "n_action_steps": 200}))
    with pytest.raises(ValueError, match="cannot exceed chunk_size"):
        PreTrainedConfig.from_pretrained(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="config.json not found"):
        PreTrainedConfig.from_pretrained(tmp_path / "empty")
    with pytest.raises(FileNotFoundError, match="neither an existing local path nor a valid Hub repo id"):
        PreTrainedConfig.from_pretrained(tmp_path / "missing")


def test_config_round_trip_and_json_layout(tmp_path):
    cfg = make_policy_config(
        "act",
        device="cpu",
        input_features={"observation.state": PolicyFeature(FeatureType.STATE, (3,))},
        output_features={"action": {"type": "ACTION", "shape": [3]}},
        normalization_mapping={"STATE": "MIN_MAX", "ACTION": NormalizationMode.MEAN_STD},
    )
    cfg.save_pretrained(tmp_path)
    data = json.loads((tmp_path / "config.json").read_text())
    assert next(iter(data)) == "type"
    assert data["normalization_mapping"] == {"STATE": "MIN_MAX", "ACTION": "MEAN_STD"}
    assert data["output_features"] == {"action": {"type": "ACTION", "shape": [3]}}
    again = PreTrainedConfig.from_pretrained(tmp_path)
    assert again == cfg


def test_config_validates_normalization_mapping():
    with pytest.raises(ValueError, match="not a feature type"):
        make_policy_config("act", normalization_mapping={"IMAGE": "MEAN_STD"})
    with pytest.raises(ValueError, match="not a normalization mode"):
        make_policy_config("act", normalization_mapping={"VISUAL": "ZSCORE"})


# ----- normalization -------------------------------------------------------------------------------------
def _normalizer(mode, stats, legacy=False):
    features = {"x": PolicyFeature(FeatureType.STATE, (3,))}
    return Normalizer(features, {"STATE": mode}, {"x": stats}, legacy=legacy)


STATS = {
    "mean": [1.0, 2.0, 3.0],
    "std": [2.0, 0.5, 1.0],
    "min": [0.0, -1.0, 5.0],
    "max": [4.0, 1.0, 5.0],  # third feature has max == min
    "q01": [0.5, -0.5, 1.0],
    "q99": [3.5, 0.5, 2.0],
    "q10": [1.0, 0.0, 1.0],
    "q90": [3.0, 0.4, 3.0],
}


@pytest.mark.parametrize(
    "mode, legacy",
    [(m, False) for m in ("MEAN_STD", "MIN_MAX", "QUANTILES", "QUANTILE10", "IDENTITY")]
    + [(m, True) for m in ("MEAN_STD", "MIN_MAX", "IDENTITY")],  # 0.3.2 had no quantile modes
)
def test_normalization_formulas(mode, legacy):
    n = _normalizer(NormalizationMode(mode), STATS, legacy=legacy)
    x = torch.tensor([[2.0, 0.0, 5.0], [0.0, 1.0, 6.0]])
    s = {k: torch.tensor(v) for k, v in STATS.items()}
    eps = 1e-8
    if mode == "MEAN_STD":
        expected = (x - s["mean"]) / (s["std"] + eps)
    elif mode == "IDENTITY":
        expected = x
    else:
        lo, hi = {"MIN_MAX": ("min", "max"), "QUANTILES": ("q01", "q99"), "QUANTILE10": ("q10", "q90")}[mode]
        d = s[hi] - s[lo]
        d = d + eps if legacy else torch.where(d == 0, torch.full_like(d, eps), d)
        expected = 2 * (x - s[lo]) / d - 1
    y = n.normalize({"x": x, "other": "kept"})
    assert y["other"] == "kept"
    torch.testing.assert_close(y["x"], expected)
    back = n.unnormalize({"x": y["x"]})["x"]
    keep = torch.tensor([True, True, mode in ("MEAN_STD", "IDENTITY")])
    torch.testing.assert_close(back[:, keep], x[:, keep], rtol=1e-5, atol=1e-5)


def test_normalization_broadcasts_camera_stats_and_names_missing_stats():
    features = {"observation.image": PolicyFeature(FeatureType.VISUAL, (3, 4, 4))}
    stats = {"observation.image": {"mean": torch.rand(3, 1, 1), "std": torch.rand(3, 1, 1) + 0.1}}
    n = Normalizer(features, {"VISUAL": NormalizationMode.MEAN_STD}, stats)
    x = torch.rand(2, 5, 3, 4, 4, dtype=torch.float64)  # (B, T, C, H, W), another dtype than the stats
    y = n.normalize({"observation.image": x})["observation.image"]
    assert y.dtype == torch.float64
    torch.testing.assert_close(
        y,
        (x - stats["observation.image"]["mean"].double())
        / (stats["observation.image"]["std"].double() + 1e-8),
    )
    empty = Normalizer(features, {"VISUAL": NormalizationMode.MIN_MAX}, {})
    with pytest.raises(ValueError, match="No min/max statistics for feature 'observation.image'"):
        empty.normalize({"observation.image": x})


def test_legacy_buffers_map_back_to_feature_keys():
    inputs = {
        "observation.images.cam_high": PolicyFeature(FeatureType.VISUAL, (3, 2, 2)),
        "observation.state": PolicyFeature(FeatureType.STATE, (2,)),
    }
    outputs = {"action": PolicyFeature(FeatureType.ACTION, (2,))}
    sd = {
        "normalize_inputs.buffer_observation_images_cam_high.mean": torch.zeros(3, 1, 1),
        "normalize_inputs.buffer_observation_state.min": torch.zeros(2),
        "unnormalize_outputs.buffer_action.std": torch.ones(2),
        "model.weight": torch.ones(1),
    }
    weights, stats = split_legacy_normalization(sd, inputs, outputs)
    assert list(weights) == ["model.weight"]
    assert set(stats) == {"observation.images.cam_high", "observation.state", "action"}
    with pytest.raises(ValueError, match="matches no feature"):
        split_legacy_normalization(
            {"normalize_inputs.buffer_observation_images_top.mean": torch.zeros(3)}, inputs, outputs
        )
    with pytest.raises(ValueError, match="holds inf"):
        split_legacy_normalization(
            {"normalize_inputs.buffer_observation_state.min": torch.full((2,), math.inf)}, inputs, outputs
        )
    assert set(unflatten_stats({"observation.images.top.mean": torch.zeros(1)})) == {"observation.images.top"}


# ----- Hub loading ----------------------------------------------------------------------------------------
def test_from_pretrained_hub_id_via_local_hub(reference_fixtures, tmp_path, monkeypatch):
    from tests.utils.hub_server import HubRepo, HubServer

    src = reference_fixtures / "policies" / "act" / "pretrained_model"
    exp_file = reference_fixtures / "policies" / "act" / "expected.safetensors"
    repo_dir = tmp_path / "repo"
    shutil.copytree(src, repo_dir)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf_home" / "hub"))
    import huggingface_hub.constants as hc

    monkeypatch.setattr(hc, "HF_HUB_CACHE", str(tmp_path / "hf_home" / "hub"))
    with HubServer({"someone/act_pusht": HubRepo(repo_dir, repo_type="model")}) as server:
        server.use(monkeypatch)
        policy = PreTrainedPolicy.from_pretrained("someone/act_pusht")
        served = set(server.downloaded("someone/act_pusht"))
    # (The two processor state files have the same bytes: the client may fetch that blob once.)
    assert {
        "config.json",
        "model.safetensors",
        "policy_preprocessor.json",
        "policy_postprocessor.json",
    } <= served
    assert served <= {p.name for p in src.iterdir()}
    from safetensors.torch import load_file

    exp = load_file(exp_file)
    obs = {k: exp[f"obs/step0/{k}"] for k in ("observation.image", "observation.state")}
    local = PreTrainedPolicy.from_pretrained(src)
    torch.testing.assert_close(
        policy.predict_action_chunk(obs), local.predict_action_chunk(obs), rtol=0, atol=0
    )
    assert policy.config.pretrained_path == "someone/act_pusht"


def test_from_pretrained_offline_without_cache_is_clear(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import huggingface_hub.constants as hc

    monkeypatch.setattr(hc, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(hc, "HF_HUB_CACHE", str(tmp_path / "empty_cache"))
    with pytest.raises(FileNotFoundError, match="someone/missing.*not in the local cache"):
        PreTrainedPolicy.from_pretrained("someone/missing")


# ----- ResNet ---------------------------------------------------------------------------------------------
def test_frozen_batchnorm_equals_batchnorm_in_eval_and_loads_torchvision_names(tmp_path):
    torch.manual_seed(0)
    bn_net = resnet("resnet18")
    for m in bn_net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    bn_net.eval()
    file = tmp_path / "resnet18.safetensors"
    save_file({k: v.contiguous() for k, v in bn_net.state_dict().items()}, str(file))
    assert "bn1.num_batches_tracked" in bn_net.state_dict()
    frozen = resnet("resnet18", norm_layer=FrozenBatchNorm2d, weights=str(file)).drop_head()
    assert not [k for k in frozen.state_dict() if k.startswith(("fc.", "avgpool")) or "num_batches" in k]
    x = torch.rand(2, 3, 32, 64)
    with torch.no_grad():
        torch.testing.assert_close(frozen(x), bn_net.forward_features(x), rtol=1e-4, atol=1e-5)
        assert frozen(x).shape == (2, 512, 1, 2)
    frozen.train()
    with torch.no_grad():
        torch.testing.assert_close(frozen(x), bn_net.forward_features(x), rtol=1e-4, atol=1e-5)
    # Only the convolutions are trainable; the frozen norms hold buffers.
    convs = sum(m.weight.numel() for m in bn_net.modules() if isinstance(m, nn.Conv2d))
    assert sum(p.numel() for p in frozen.parameters()) == convs


def test_backbone_weights_errors(tmp_path, monkeypatch):
    import huggingface_hub.constants as hc

    monkeypatch.setattr(hc, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(hc, "HF_HUB_CACHE", str(tmp_path / "empty_cache"))
    with pytest.raises(FileNotFoundError, match="timm/resnet18.tv_in1k.*null"):
        resnet("resnet18", weights="ResNet18_Weights.IMAGENET1K_V1")
    with pytest.raises(ValueError, match="neither a local file"):
        resnet("resnet18", weights="imagenet")
    save_file({"conv1.weight": torch.zeros(64, 3, 7, 7)}, str(tmp_path / "partial.safetensors"))
    with pytest.raises(ValueError, match="do not fit this ResNet"):
        resnet("resnet18", weights=str(tmp_path / "partial.safetensors"))
    with pytest.raises(NotImplementedError, match="Bottleneck"):
        resnet("resnet18", replace_stride_with_dilation=(False, False, True))
    with pytest.raises(ValueError, match="Unknown vision backbone"):
        resnet("resnet19")


def test_resnet_variants_and_group_norm():
    r50 = resnet("resnet50", replace_stride_with_dilation=(False, False, True)).drop_head()
    assert r50.num_features == 2048
    assert r50(torch.rand(1, 3, 64, 64)).shape == (1, 2048, 4, 4)  # dilation keeps /16
    r18 = replace_batchnorm_with_groupnorm(resnet("resnet18"))
    groups = {m.num_channels: m.num_groups for m in r18.modules() if isinstance(m, nn.GroupNorm)}
    assert groups == {64: 4, 128: 8, 256: 16, 512: 32}
    assert not any(isinstance(m, nn.BatchNorm2d) for m in r18.modules())
    assert "layer2.0.downsample.1.weight" in r18.state_dict()


# ----- optimizers / schedulers ------------------------------------------------------------------------------
def test_optimizer_registry_and_schedules():
    assert set(OptimizerConfig.get_known_choices()) >= {"adam", "adamw", "sgd"}
    params = [nn.Parameter(torch.ones(2))]
    opt = AdamConfig(lr=1e-4, betas=(0.95, 0.999), weight_decay=1e-6).build(params)
    assert opt.param_groups[0]["betas"] == (0.95, 0.999)
    cosine = DiffuserSchedulerConfig(name="cosine", num_warmup_steps=500)
    assert cosine.lr_lambda(0, 1000) == 0.0
    assert cosine.lr_lambda(250, 1000) == 0.5
    assert cosine.lr_lambda(500, 1000) == 1.0
    assert cosine.lr_lambda(750, 1000) == pytest.approx(0.5)
    assert cosine.lr_lambda(1000, 1000) == pytest.approx(0.0, abs=1e-12)
    vq = VQBeTSchedulerConfig(num_warmup_steps=10, num_vqvae_training_steps=100)
    assert vq.lr_lambda(99, 1000) == 1.0 and vq.lr_lambda(100, 1000) == 0.0 and vq.lr_lambda(105, 1000) == 0.5
    # Progress denominator is total - warm-up, not reduced by the VQ phase.
    assert vq.lr_lambda(110 + 495, 1000) == pytest.approx(0.5)
    sched = cosine.build(opt, 1000)
    assert opt.param_groups[0]["lr"] == 0.0
    opt.step()
    sched.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(1e-4 / 500)
    with pytest.raises(ValueError, match="Unknown diffusers schedule"):
        DiffuserSchedulerConfig(name="cosine_annealing")


# ----- make_policy ---------------------------------------------------------------------------------------------
def test_make_policy_from_env_features_and_requires_a_source():
    env_cfg = SimpleNamespace(
        features={
            "agent_pos": PolicyFeature(FeatureType.STATE, (2,)),
            "environment_state": PolicyFeature(FeatureType.ENV, (16,)),
            "pixels": PolicyFeature(FeatureType.VISUAL, (48, 64, 3)),  # gym side: channel-last
            "action": PolicyFeature(FeatureType.ACTION, (2,)),
        },
        features_map={
            "pixels": "observation.image",
            "agent_pos": "observation.state",
            "environment_state": "observation.environment_state",
            "action": "action",
        },
    )
    cfg = make_policy_config(
        "act",
        device="cpu",
        pretrained_backbone_weights=None,
        dim_model=16,
        n_heads=2,
        dim_feedforward=16,
        latent_dim=2,
        n_encoder_layers=1,
        n_vae_encoder_layers=1,
        chunk_size=4,
        n_action_steps=4,
    )
    policy = make_policy(cfg, env_cfg=env_cfg)
    inputs = policy.config.input_features
    assert list(inputs) == ["observation.state", "observation.environment_state", "observation.image"]
    assert inputs["observation.image"] == PolicyFeature(FeatureType.VISUAL, (3, 48, 64))
    assert list(policy.config.output_features) == ["action"]
    with pytest.raises(ValueError, match="No mean/std statistics"):
        policy.select_action(
            {
                "observation.state": torch.zeros(1, 2),
                "observation.environment_state": torch.zeros(1, 16),
                "observation.image": torch.zeros(1, 3, 48, 64),
            }
        )
    with pytest.raises(ValueError, match="ds_meta"):
        make_policy(cfg)
