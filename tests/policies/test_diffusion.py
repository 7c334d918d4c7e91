"""Diffusion Policy against the reference fixtures (policies/diffusion 0.4.4, policies/diffusion_v032 0.3.2).

Both checkpoints load through `DiffusionPolicy.from_pretrained` (processor layout / in-model buffers) and
must reproduce the recorded submodule outputs, rollouts (RNG order: `torch.randn(B, horizon, A)` per model
call with DDIM), action chunks and training loss. Tolerances follow the fixtures README.
"""

import json
import math
import shutil

import pytest
import torch
from safetensors.torch import load_file

from lerobot.policies.diffusion.configuration_diffusion import DiffusionConfig
from lerobot.policies.diffusion.modeling_diffusion import DiffusionPolicy
from lerobot.policies.pretrained import CheckpointMismatchError
from tests.policies.helpers import features_from_json, load_reference_case, load_state_dict_keys

CASES = ["diffusion", "diffusion_v032"]
OBS_KEYS = ["observation.state", "observation.environment_state"]
N_STEPS = 12


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module", params=CASES)
def case(request, reference_fixtures):
    return load_reference_case(reference_fixtures, request.param)


def _load(case) -> DiffusionPolicy:
    return DiffusionPolicy.from_pretrained(case["dir"])


def _action_atol(policy) -> float:
    stats = policy.stats["action"]
    return 1e-3 * float((stats["max"] - stats["min"]).max())


def test_config_of_each_era(case):
    policy = _load(case)
    cfg = policy.config
    assert isinstance(cfg, DiffusionConfig)
    assert cfg.noise_scheduler_type == "DDIM" and cfg.num_inference_steps == 10
    assert cfg.down_dims == (32, 64, 128)
    # 0.3.2 wrote crop_shape [84, 84] explicitly; 0.4.4's default is no crop.
    assert cfg.crop_shape == ((84, 84) if case["name"] == "diffusion_v032" else None)
    assert sum(p.numel() for p in policy.parameters()) == case["meta"]["num_parameters"] - (
        12 if case["name"] == "diffusion_v032" else 0  # 0.3.2 counts its 12 normalization numbers
    )
    assert not policy.training


def test_submodules(case):
    exp = case["expected"]
    model = _load(case).diffusion
    with torch.no_grad():
        out = model.unet(
            exp["sub/unet/in_x"], exp["sub/unet/in_timestep"], global_cond=exp["sub/unet/in_global_cond"]
        )
        torch.testing.assert_close(out, exp["sub/unet/out"], rtol=1e-4, atol=1e-5)
        if "sub/diffusion_step_encoder/out" in exp:
            step = model.unet.diffusion_step_encoder(exp["sub/unet/in_timestep"])
            torch.testing.assert_close(step, exp["sub/diffusion_step_encoder/out"], rtol=1e-4, atol=1e-5)
    assert exp["sub/unet/in_global_cond"].shape[1] == model.config.global_cond_dim
    scheduler = model.noise_scheduler
    assert type(scheduler).__name__ == "DDIMScheduler"
    scheduler.set_timesteps(model.num_inference_steps)
    if "sub/noise_scheduler/timesteps" in exp:
        assert torch.equal(scheduler.timesteps, exp["sub/noise_scheduler/timesteps"])
    torch.testing.assert_close(
        scheduler.alphas_cumprod, exp["sub/noise_scheduler/alphas_cumprod"], rtol=0, atol=1e-7
    )


def _record_chunks(policy) -> list:
    chunks = []
    generate = policy.diffusion.generate_actions

    def recording(*args, **kwargs):
        out = generate(*args, **kwargs)
        chunks.append(out.clone())
        return out

    policy.diffusion.generate_actions = recording
    return chunks


def test_rollout_env_space(case):
    """Raw observations in, env-space actions out (base-class normalization), seeded before every call."""
    exp = case["expected"]
    policy = _load(case)
    chunks = _record_chunks(policy)
    atol = _action_atol(policy)
    policy.reset()
    for t in range(N_STEPS):
        obs = {k: exp[f"obs/step{t}/{k}"] for k in OBS_KEYS}
        torch.manual_seed(0)
        action = policy.select_action(obs)
        torch.testing.assert_close(action, exp[f"rollout/step{t}/action"], rtol=0, atol=atol)
    assert len(chunks) == len(case["meta"]["rollout"]["model_called_at_steps"]) == 2
    for j, chunk in enumerate(chunks):
        torch.testing.assert_close(
            policy.unnormalize_action(chunk), exp[f"rollout/chunk{j}/action"], rtol=0, atol=atol
        )
        if f"rollout/chunk{j}/normalized" in exp:
            torch.testing.assert_close(chunk, exp[f"rollout/chunk{j}/normalized"], rtol=1e-4, atol=1e-4)


def test_rollout_normalized_space(case):
    """The normalized hooks on the recorded normalized observations (0.4.4: preprocessor outputs)."""
    exp = case["expected"]
    policy = _load(case)
    atol = _action_atol(policy)
    policy.reset()
    for t in range(N_STEPS):
        obs_n = {k: exp[f"obs_normalized/step{t}/{k}"] for k in OBS_KEYS}
        torch.testing.assert_close(
            policy.normalize_batch({k: exp[f"obs/step{t}/{k}"] for k in OBS_KEYS}), obs_n
        )
        torch.manual_seed(0)
        action_n = policy.select_action_normalized(obs_n)
        if f"rollout/step{t}/action_normalized" in exp:
            torch.testing.assert_close(
                action_n, exp[f"rollout/step{t}/action_normalized"], rtol=1e-4, atol=1e-4
            )
        torch.testing.assert_close(
            policy.unnormalize_action(action_n), exp[f"rollout/step{t}/action"], rtol=0, atol=atol
        )


def test_predict_action_chunk(case):
    exp = case["expected"]
    policy = _load(case)
    policy.reset()
    obs = {k: exp[f"obs/step0/{k}"] for k in OBS_KEYS}
    torch.manual_seed(0)
    chunk = policy.predict_action_chunk(obs)
    assert chunk.shape == tuple(case["meta"]["predict_action_chunk"]["shape"])
    torch.testing.assert_close(chunk, exp["predict_action_chunk/action"], rtol=0, atol=_action_atol(policy))
    if "predict_action_chunk/normalized" in exp:
        policy.reset()
        torch.manual_seed(0)
        chunk_n = policy.predict_action_chunk_normalized(policy.normalize_batch(obs))
        torch.testing.assert_close(chunk_n, exp["predict_action_chunk/normalized"], rtol=1e-4, atol=1e-4)


def test_training_loss(case):
    """Eval-mode forward after seed_all: eps = randn(B, T, A) then timesteps = randint -> same loss."""
    exp = case["expected"]
    policy = _load(case)
    batch = {k[len("train/batch/") :]: v for k, v in exp.items() if k.startswith("train/batch/")}
    expected_loss = exp["train/eval/loss"]
    policy.eval()
    torch.manual_seed(0)
    loss, info = policy.forward(batch)
    assert info is None
    torch.testing.assert_close(loss.detach(), expected_loss, rtol=1e-4, atol=0)
    # Same loss with the stored draws injected (no RNG involved).
    batch_n = policy.normalize_batch(batch)
    for key in ("observation.state", "action"):
        torch.testing.assert_close(batch_n[key], exp[f"train/batch_normalized/{key}"], rtol=1e-5, atol=1e-6)
    torch.manual_seed(123)
    loss_inj, _ = policy.forward_normalized(
        batch_n, eps=exp["train/eval/eps"], timesteps=exp["train/eval/timesteps"]
    )
    torch.testing.assert_close(loss_inj.detach(), expected_loss, rtol=1e-4, atol=0)
    # The RNG draws are exactly the documented ones: the generator ends where the replay ends.
    torch.manual_seed(0)
    policy.forward(batch)
    after = torch.get_rng_state()
    torch.manual_seed(0)
    torch.testing.assert_close(torch.randn(exp["train/eval/eps"].shape), exp["train/eval/eps"])
    assert torch.equal(torch.randint(0, 100, size=(2,)), exp["train/eval/timesteps"])
    assert torch.equal(torch.get_rng_state(), after)
    loss.backward()
    assert all(p.grad is not None for p in policy.diffusion.unet.parameters())


def test_save_load_round_trip(case, tmp_path):
    exp = case["expected"]
    policy = _load(case)
    out = policy.save_pretrained(tmp_path / "ckpt")
    reference_files = sorted(
        p.name for p in (case["dir"].parent.parent / "diffusion" / "pretrained_model").iterdir()
    )
    assert sorted(p.name for p in out.iterdir()) == reference_files
    reloaded = DiffusionPolicy.from_pretrained(out)
    obs = {k: exp[f"obs/step0/{k}"] for k in OBS_KEYS}
    torch.manual_seed(0)
    a1 = policy.predict_action_chunk(obs)
    torch.manual_seed(0)
    a2 = reloaded.predict_action_chunk(obs)
    assert torch.equal(a1, a2)


def test_corrupted_checkpoint_is_refused(reference_fixtures, tmp_path):
    from safetensors.torch import save_file

    src = reference_fixtures / "policies" / "diffusion" / "pretrained_model"
    dst = tmp_path / "ckpt"
    shutil.copytree(src, dst)
    weights = load_file(dst / "model.safetensors")
    weights.pop("diffusion.unet.final_conv.1.bias")
    weights["diffusion.unet.extra.weight"] = torch.zeros(1)
    weights["diffusion.unet.final_conv.1.weight"] = torch.zeros(3, 3, 1)
    save_file(weights, dst / "model.safetensors")
    with pytest.raises(CheckpointMismatchError, match=r"final_conv\.1\.bias") as err:
        DiffusionPolicy.from_pretrained(dst)
    assert "diffusion.unet.extra.weight" in str(err.value)
    assert "final_conv.1.weight" in str(err.value)


@pytest.mark.parametrize("version", ["0.4.4", "0.3.2"])
def test_default_state_dict_keys_and_shapes(reference_fixtures, version):
    """Default-config (262M-parameter) network built on the meta device: same ordered keys, shapes, dtypes.

    The 0.3.2 list additionally holds the in-model normalization buffers, which live in the policy's
    normalizer here (they are read from / written to the processor files instead).
    """
    ref = load_state_dict_keys(reference_fixtures, f"diffusion_v{version}")

    cfg = DiffusionConfig(
        input_features=features_from_json(ref["input_features"]),
        output_features=features_from_json(ref["output_features"]),
        device="cpu",
        **ref["config_overrides"],
    )
    with torch.device("meta"):
        policy = DiffusionPolicy(cfg)
    ours = [(k, list(v.shape), str(v.dtype).removeprefix("torch.")) for k, v in policy.state_dict().items()]
    legacy = ("normalize_inputs.", "normalize_targets.", "unnormalize_outputs.")
    expected = [(e["key"], e["shape"], e["dtype"]) for e in ref["keys"] if not e["key"].startswith(legacy)]
    assert ours == expected
    legacy_numbers = sum(math.prod(e["shape"]) for e in ref["keys"] if e["key"].startswith(legacy))
    assert sum(p.numel() for p in policy.parameters()) == ref["num_parameters"] - legacy_numbers


def test_rgb_encoder_matches_reference(reference_fixtures):
    """The Diffusion RGB encoder (ResNet-18 with GroupNorm, center crop 84, spatial softmax, Linear, ReLU) is
    the same module as VQ-BeT's; its recorded output (`policies/vqbet`, `sub/rgb_encoder/out`) checks it."""
    from lerobot.policies.vision import SpatialSoftmaxRgbEncoder

    root = reference_fixtures / "policies" / "vqbet"
    cfg = json.loads((root / "pretrained_model" / "config.json").read_text())
    encoder = SpatialSoftmaxRgbEncoder(
        tuple(cfg["input_features"]["observation.image"]["shape"]),
        vision_backbone=cfg["vision_backbone"],
        use_group_norm=cfg["use_group_norm"],
        num_keypoints=cfg["spatial_softmax_num_keypoints"],
        crop_shape=tuple(cfg["crop_shape"]),
        crop_is_random=cfg["crop_is_random"],
    )
    weights = load_file(root / "pretrained_model" / "model.safetensors")
    prefix = "vqbet.rgb_encoder."
    encoder.load_state_dict(
        {k[len(prefix) :]: v for k, v in weights.items() if k.startswith(prefix)}, strict=True
    )
    exp = load_file(root / "expected.safetensors")
    with torch.no_grad():
        out = encoder.eval()(exp["obs_normalized/step0/observation.image"])
    torch.testing.assert_close(out, exp["sub/rgb_encoder/out"], rtol=1e-4, atol=1e-5)


def test_seeded_initialization_matches_reference(reference_fixtures):
    """The fixture checkpoints are the reference's random init after `torch.manual_seed(0)`: building the
    modules in the reference's order with torch's own init functions reproduces them bit for bit (U-Net
    here; the RGB encoder through the VQ-BeT checkpoint, whose encoder is built first with seed 0)."""
    from lerobot.configs.policies import PreTrainedConfig
    from lerobot.policies.vision import SpatialSoftmaxRgbEncoder

    ckpt = reference_fixtures / "policies" / "diffusion" / "pretrained_model"
    torch.manual_seed(0)
    policy = DiffusionPolicy(PreTrainedConfig.from_pretrained(ckpt))
    weights = load_file(ckpt / "model.safetensors")
    assert [k for k, v in policy.state_dict().items() if not torch.equal(v, weights[k])] == []

    vqbet = reference_fixtures / "policies" / "vqbet" / "pretrained_model"
    cfg = json.loads((vqbet / "config.json").read_text())
    torch.manual_seed(0)
    encoder = SpatialSoftmaxRgbEncoder(
        tuple(cfg["input_features"]["observation.image"]["shape"]),
        crop_shape=tuple(cfg["crop_shape"]),
        num_keypoints=cfg["spatial_softmax_num_keypoints"],
    )
    prefix = "vqbet.rgb_encoder."
    weights = {
        k[len(prefix) :]: v for k, v in load_file(vqbet / "model.safetensors").items() if k.startswith(prefix)
    }
    assert [k for k, v in encoder.state_dict().items() if not torch.equal(v, weights[k])] == []
