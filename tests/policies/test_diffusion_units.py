"""Diffusion Policy unit tests without the reference fixtures: config validation, vision blocks, U-Net,
cameras (shared / separate encoders), RNG draw order in training and DDPM sampling, save/load."""

import math

import pytest
import torch
from torch import nn

from lerobot.configs.policies import PreTrainedConfig
from lerobot.configs.types import FeatureType, PolicyFeature
from lerobot.policies.diffusion.configuration_diffusion import DiffusionConfig
from lerobot.policies.diffusion.modeling_diffusion import DiffusionPolicy
from lerobot.policies.diffusion.unet_diffusion import DiffusionConditionalUnet1d, DiffusionSinusoidalPosEmb
from lerobot.policies.vision import (
    ImageCropResize,
    SpatialSoftmax,
    center_crop,
    center_crop_offsets,
    random_crop_offsets,
)

S, A, E = 3, 2, 4
SMALL = {"down_dims": (16, 32), "horizon": 8, "n_action_steps": 4, "diffusion_step_embed_dim": 8,
         "spatial_softmax_num_keypoints": 4, "device": "cpu"}  # fmt: skip


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _features(cameras: dict[str, tuple[int, int, int]], env: bool = False) -> dict[str, PolicyFeature]:
    feats = {"observation.state": PolicyFeature(FeatureType.STATE, (S,))}
    feats.update({k: PolicyFeature(FeatureType.VISUAL, shape) for k, shape in cameras.items()})
    if env:
        feats["observation.environment_state"] = PolicyFeature(FeatureType.ENV, (E,))
    return feats


def _config(cameras=None, env=False, **overrides) -> DiffusionConfig:
    cameras = {"observation.images.top": (3, 32, 32)} if cameras is None else cameras
    kwargs = {**SMALL, **overrides}
    return DiffusionConfig(
        input_features=_features(cameras, env),
        output_features={"action": PolicyFeature(FeatureType.ACTION, (A,))},
        **kwargs,
    )


def _policy(cfg: DiffusionConfig) -> DiffusionPolicy:
    torch.manual_seed(0)
    return DiffusionPolicy(cfg)


def _train_batch(cfg: DiffusionConfig, b: int = 2) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    n = cfg.n_obs_steps
    batch = {k: torch.rand((b, n, *ft.shape), generator=g) for k, ft in cfg.input_features.items()}
    batch["action"] = torch.rand((b, cfg.horizon, A), generator=g) * 2 - 1
    batch["action_is_pad"] = torch.zeros(b, cfg.horizon, dtype=torch.bool)
    return batch


def _obs(cfg: DiffusionConfig, b: int = 2, seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return {k: torch.rand((b, *ft.shape), generator=g) for k, ft in cfg.input_features.items()}


# ----- config ---------------------------------------------------------------------------------------------
def test_defaults_match_reference():
    cfg = DiffusionConfig()
    assert (cfg.n_obs_steps, cfg.horizon, cfg.n_action_steps, cfg.drop_n_last_frames) == (2, 16, 8, 7)
    assert cfg.crop_shape is None and cfg.resize_shape is None and cfg.crop_ratio == 1.0
    assert cfg.down_dims == (512, 1024, 2048) and cfg.noise_scheduler_type == "DDPM"
    assert cfg.observation_delta_indices == [-1, 0]
    assert cfg.action_delta_indices == list(range(-1, 15))
    assert cfg.reward_delta_indices is None
    assert PreTrainedConfig.get_config_class("diffusion") is DiffusionConfig
    opt = cfg.get_optimizer_preset()
    assert (
        opt.type == "adam"
        and opt.lr == 1e-4
        and tuple(opt.betas) == (0.95, 0.999)
        and opt.weight_decay == 1e-6
    )
    sched = cfg.get_scheduler_preset()
    assert sched.name == "cosine" and sched.num_warmup_steps == 500
    assert sched.lr_lambda(0, 1000) == 0.0 and sched.lr_lambda(250, 1000) == 0.5


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"horizon": 10}, r"horizon \(10\) must be divisible by 2\*\*len\(down_dims\) = 4"),
        ({"n_action_steps": 8}, r"n_action_steps \(8\) cannot exceed horizon - n_obs_steps \+ 1 = 7"),
        ({"noise_scheduler_type": "PNDM"}, r"noise_scheduler_type must be one of \['DDPM', 'DDIM'\]"),
        ({"prediction_type": "v_prediction"}, "prediction_type must be one of"),
        ({"use_group_norm": True, "pretrained_backbone_weights": "x/y"}, "use_group_norm=True cannot be"),
        ({"vision_backbone": "vit_b"}, "must be a ResNet"),
        ({"down_dims": (12, 24)}, "divisible by n_groups"),
        ({"num_inference_steps": 0}, "num_inference_steps"),
    ],
)
def test_config_errors(overrides, match):
    with pytest.raises(ValueError, match=match):
        _config(**overrides)


def test_feature_errors():
    with pytest.raises(ValueError, match=r"crop_shape \[40, 40\] does not fit inside the image of 'cam'"):
        _config({"cam": (3, 32, 32)}, crop_shape=(40, 40)).validate_features()
    with pytest.raises(ValueError, match="a shared RGB encoder needs all cameras of one shape"):
        _config({"a": (3, 32, 32), "b": (3, 24, 32)}).validate_features()
    _config(
        {"a": (3, 32, 32), "b": (3, 24, 32)}, use_separate_rgb_encoder_per_camera=True
    ).validate_features()
    with pytest.raises(ValueError, match="at least one camera"):
        _config({}).validate_features()
    cfg = _config({"cam": (3, 32, 32)})
    del cfg.input_features["observation.state"]
    with pytest.raises(ValueError, match="needs a 'observation.state' input"):
        cfg.validate_features()


def test_resize_and_crop_ratio():
    cfg = _config(resize_shape=(40, 50), crop_ratio=0.9, crop_shape=(84, 84))
    assert cfg.crop_shape == (36, 45)  # overwritten from resize_shape * crop_ratio
    assert _config(resize_shape=(40, 50), crop_shape=(20, 20)).crop_shape is None  # crop_ratio == 1
    _config(
        {"cam": (3, 24, 24)}, resize_shape=(40, 50), crop_ratio=0.9
    ).validate_features()  # crop of the resize


def test_config_json_round_trip(tmp_path):
    cfg = _config(crop_shape=(28, 28), noise_scheduler_type="DDIM")
    cfg.save_pretrained(tmp_path)
    loaded = PreTrainedConfig.from_pretrained(tmp_path)
    assert isinstance(loaded, DiffusionConfig) and loaded == cfg


# ----- vision blocks --------------------------------------------------------------------------------------
def test_spatial_softmax():
    pool = SpatialSoftmax((5, 2, 3), num_kp=4)
    expected_grid = torch.tensor([[-1, -1], [0, -1], [1, -1], [-1, 1], [0, 1], [1, 1]], dtype=torch.float32)
    assert torch.equal(pool.pos_grid, expected_grid)
    x = torch.randn(7, 5, 2, 3)
    out = pool(x)
    assert out.shape == (7, 4, 2)
    logits = pool.nets(x).flatten(2)  # (7, 4, 6)
    manual = torch.softmax(logits, -1) @ expected_grid
    torch.testing.assert_close(out, manual)
    assert [k for k, _ in pool.state_dict().items()] == ["pos_grid", "nets.weight", "nets.bias"]


def test_center_crop_rounds_half_to_even_and_pads():
    assert center_crop_offsets((97, 96), (84, 84)) == (6, 6)  # 6.5 -> 6
    assert center_crop_offsets((99, 96), (84, 84)) == (8, 6)  # 7.5 -> 8
    img = torch.arange(2 * 3 * 97 * 96, dtype=torch.float32).view(2, 3, 97, 96)
    assert torch.equal(center_crop(img, (84, 84)), img[..., 6:90, 6:90])
    small = torch.ones(1, 1, 2, 3)
    padded = center_crop(small, (5, 4))  # pad top/left floor(diff/2), bottom/right ceil
    assert padded.shape == (1, 1, 5, 4)
    assert torch.equal(padded[0, 0].nonzero()[:, 0].unique(), torch.tensor([1, 2]))
    assert torch.equal(padded[0, 0].nonzero()[:, 1].unique(), torch.tensor([0, 1, 2]))


def test_random_crop_draw_order():
    torch.manual_seed(3)
    top, left = random_crop_offsets((40, 50), (32, 30))
    torch.manual_seed(3)
    assert top == torch.randint(0, 9, size=(1,)).item() and left == torch.randint(0, 21, size=(1,)).item()
    state = torch.get_rng_state()
    assert random_crop_offsets((32, 30), (32, 30)) == (0, 0)
    assert torch.equal(state, torch.get_rng_state())  # no draw when the crop is the whole image


def test_crop_resize_module_modes():
    block = ImageCropResize(crop_shape=(20, 20), crop_is_random=True, resize_shape=(30, 40))
    x = torch.rand(3, 3, 60, 80)
    block.eval()
    resized = torch.nn.functional.interpolate(x, size=(30, 40), mode="bilinear", antialias=True)
    torch.testing.assert_close(block(x), center_crop(resized, (20, 20)))
    block.train()
    torch.manual_seed(0)
    out = block(x)
    torch.manual_seed(0)
    top, left = torch.randint(0, 11, (1,)).item(), torch.randint(0, 21, (1,)).item()
    torch.testing.assert_close(out, resized[..., top : top + 20, left : left + 20])
    block.crop_is_random = False
    torch.testing.assert_close(block(x), center_crop(resized, (20, 20)))


# ----- U-Net ----------------------------------------------------------------------------------------------
def test_timestep_embedding_formula():
    emb = DiffusionSinusoidalPosEmb(8)(torch.tensor([0, 5]))
    freqs = torch.tensor([math.exp(-k * math.log(10000) / 3) for k in range(4)])
    expected = torch.cat([torch.sin(5 * freqs), torch.cos(5 * freqs)])
    torch.testing.assert_close(emb[1], expected)
    torch.testing.assert_close(emb[0], torch.tensor([0.0] * 4 + [1.0] * 4))


@pytest.mark.parametrize("film_scale", [True, False])
def test_unet_shapes_and_names(film_scale):
    unet = DiffusionConditionalUnet1d(A, 10, down_dims=(16, 32, 64), kernel_size=3, n_groups=4,
                                      diffusion_step_embed_dim=8, use_film_scale_modulation=film_scale)  # fmt: skip
    out = unet(torch.randn(2, 16, A), torch.tensor([1, 7]), global_cond=torch.randn(2, 10))
    assert out.shape == (2, 16, A)
    sd = unet.state_dict()
    assert sd["down_modules.0.0.cond_encoder.1.weight"].shape == ((32 if film_scale else 16), 18)
    assert sd["up_modules.1.2.weight"].shape == (16, 16, 4)  # every up level upsamples
    assert "down_modules.2.2.weight" not in sd  # no downsample at the bottom level
    assert (
        isinstance(unet.final_conv[0].block[1], nn.GroupNorm) and unet.final_conv[0].block[1].num_groups == 8
    )


# ----- policy with cameras ----------------------------------------------------------------------------------
def test_train_forward_rng_order_and_backward():
    cfg = _config({"a": (3, 32, 32), "b": (3, 32, 32)}, env=True, crop_shape=(28, 24))
    policy = _policy(cfg)
    policy.train()
    batch = _train_batch(cfg)
    torch.manual_seed(5)
    loss, info = policy.forward_normalized(batch)
    after = torch.get_rng_state()
    assert info is None and loss.ndim == 0 and torch.isfinite(loss)
    loss.backward()
    assert all(p.grad is not None for p in policy.parameters() if p.requires_grad)
    # Shared encoder: one crop offset pair for all cameras and time steps, then eps, then timesteps.
    torch.manual_seed(5)
    torch.randint(0, 5, (1,))
    torch.randint(0, 9, (1,))
    eps = torch.randn(2, cfg.horizon, A)
    t = torch.randint(0, 100, (2,))
    assert torch.equal(after, torch.get_rng_state())
    policy.zero_grad()
    loss2, _ = policy.forward_normalized(batch, eps=eps, timesteps=t)
    assert loss2.item() == pytest.approx(loss.item(), rel=1e-5)


def test_separate_encoders_with_different_camera_shapes():
    cams = {"a": (3, 32, 32), "b": (3, 24, 40)}
    cfg = _config(cams, use_separate_rgb_encoder_per_camera=True, crop_shape=(20, 20))
    policy = _policy(cfg)
    keys = policy.state_dict().keys()
    assert any(k.startswith("diffusion.rgb_encoder.1.backbone.0.") for k in keys)
    policy.train()
    torch.manual_seed(2)
    policy.forward_normalized(_train_batch(cfg))
    after = torch.get_rng_state()
    torch.manual_seed(2)
    for h, w in [(32, 32), (24, 40)]:  # one crop pair per camera, in camera order
        torch.randint(0, h - 20 + 1, (1,))
        torch.randint(0, w - 20 + 1, (1,))
    torch.randn(2, cfg.horizon, A)
    torch.randint(0, 100, (2,))
    assert torch.equal(after, torch.get_rng_state())


def test_global_conditioning_layout():
    cfg = _config({"a": (3, 32, 32), "b": (3, 32, 32)}, env=True)
    model = _policy(cfg).diffusion.eval()
    batch = _train_batch(cfg)
    with torch.no_grad():
        cond = model.prepare_global_conditioning(batch)
        per_step = S + 2 * 8 + E
        assert cond.shape == (2, cfg.n_obs_steps * per_step)
        cond = cond.view(2, cfg.n_obs_steps, per_step)  # time-major
        torch.testing.assert_close(cond[..., :S], batch["observation.state"])
        feat_b = model.rgb_encoder(batch["b"].flatten(0, 1)).view(2, cfg.n_obs_steps, 8)
        torch.testing.assert_close(cond[..., S + 8 : S + 16], feat_b)
        torch.testing.assert_close(cond[..., -E:], batch["observation.environment_state"])


def test_ddpm_episode_rng_and_queues():
    cfg = _config(env=True, noise_scheduler_type="DDPM", num_inference_steps=5)
    policy = _policy(cfg).eval()
    for _ in range(2):  # two episodes with a reset in between
        policy.reset()
        for step in range(6):
            torch.manual_seed(step)
            action = policy.select_action_normalized(_obs(cfg, seed=step))
            after = torch.get_rng_state()
            assert action.shape == (2, A)
            torch.manual_seed(step)
            if step % cfg.n_action_steps == 0:  # the model runs: x_T plus one draw per step with t > 0
                for _ in range(1 + 4):
                    torch.randn(2, cfg.horizon, A)
            assert torch.equal(after, torch.get_rng_state())
    assert len(policy._queues["action"]) == cfg.n_action_steps - 6 % cfg.n_action_steps


def test_injected_noise_and_first_observation_fills_queue():
    cfg = _config(noise_scheduler_type="DDIM", num_inference_steps=4)
    policy = _policy(cfg).eval()
    noise = torch.randn(2, cfg.horizon, A)
    obs = _obs(cfg)
    chunk = policy.predict_action_chunk_normalized(obs, noise=noise)
    assert chunk.shape == (2, cfg.n_action_steps, A)
    stacked = {k: torch.stack([v, v], dim=1) for k, v in obs.items()}
    with torch.no_grad():
        full = policy.diffusion.conditional_sample(
            2, policy.diffusion.prepare_global_conditioning(stacked), noise
        )
    torch.testing.assert_close(chunk, full[:, 1 : 1 + cfg.n_action_steps])
    assert full.abs().max() <= 1.0 + 1e-6  # DDIM's last step returns the clipped x0 estimate


def test_batchnorm_option_and_mask_loss():
    cfg = _config(use_group_norm=False, do_mask_loss_for_padding=True, prediction_type="sample")
    policy = _policy(cfg).train()
    keys = policy.state_dict().keys()
    assert "diffusion.rgb_encoder.backbone.1.running_mean" in keys
    assert "diffusion.rgb_encoder.backbone.1.num_batches_tracked" in keys
    batch = _train_batch(cfg)
    batch["action_is_pad"][:] = True
    loss, _ = policy.forward_normalized(batch)
    assert loss.item() == 0.0
    del batch["action_is_pad"]
    with pytest.raises(KeyError, match="action_is_pad"):
        policy.forward_normalized(batch)


def test_clear_errors_on_bad_batches():
    cfg = _config()
    policy = _policy(cfg)
    obs = _obs(cfg)
    del obs["observation.images.top"]
    with pytest.raises(KeyError, match="observation.images.top"):
        policy.select_action(obs)
    batch = _train_batch(cfg)
    batch["action"] = batch["action"][:, :5]
    with pytest.raises(ValueError, match=r"'action' must have shape \(B, horizon=8, A\)"):
        policy.forward_normalized(batch)


def test_save_load_round_trip_with_cameras(tmp_path):
    cfg = _config({"a": (3, 32, 32), "b": (3, 32, 32)}, crop_shape=(28, 28))
    stats = {
        "observation.state": {"min": torch.zeros(S), "max": torch.ones(S) * 2},
        "a": {"mean": torch.full((3, 1, 1), 0.5), "std": torch.full((3, 1, 1), 0.2)},
        "b": {"mean": torch.full((3, 1, 1), 0.4), "std": torch.full((3, 1, 1), 0.3)},
        "action": {"min": -torch.ones(A) * 3, "max": torch.ones(A) * 3},
    }
    torch.manual_seed(0)
    policy = DiffusionPolicy(cfg, dataset_stats=stats).eval()
    policy.save_pretrained(tmp_path)
    loaded = DiffusionPolicy.from_pretrained(tmp_path)
    policy.config.pretrained_path = str(tmp_path)  # set by from_pretrained
    assert loaded.config == policy.config
    obs = _obs(cfg)
    torch.manual_seed(0)
    a1 = policy.predict_action_chunk(obs)
    torch.manual_seed(0)
    a2 = loaded.predict_action_chunk(obs)
    assert torch.equal(a1, a2)
    assert a1.abs().max() <= 3.0 + 1e-5  # unnormalized from the clipped [-1, 1] range


def test_training_sampler_drops_last_frames():
    from lerobot.datasets.sampler import EpisodeAwareSampler

    cfg = _config()
    sampler = EpisodeAwareSampler([0, 20], [20, 35], drop_n_last_frames=cfg.drop_n_last_frames)
    assert list(sampler) == list(range(0, 13)) + list(range(20, 28))


def test_optimizer_and_scheduler_presets_train_step():
    cfg = _config(scheduler_warmup_steps=2)
    policy = _policy(cfg).train()
    optimizer = cfg.get_optimizer_preset().build(policy.get_optim_params())
    assert isinstance(optimizer, torch.optim.Adam) and len(optimizer.param_groups) == 1
    assert len(optimizer.param_groups[0]["params"]) == len(list(policy.diffusion.parameters()))
    scheduler = cfg.get_scheduler_preset().build(optimizer, num_training_steps=10)
    before = [p.detach().clone() for p in policy.parameters()]
    lrs = []
    for _ in range(2):
        loss, _ = policy.forward_normalized(_train_batch(cfg))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(policy.parameters(), cfg.get_optimizer_preset().grad_clip_norm)
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        optimizer.zero_grad()
        scheduler.step()
        if len(lrs) == 1:  # lambda(0) = 0: the first update leaves the weights unchanged
            assert all(torch.equal(a, b) for a, b in zip(before, policy.parameters()))
    assert lrs == [0.0, 0.5 * cfg.optimizer_lr]
    assert any(not torch.equal(a, b) for a, b in zip(before, policy.parameters()))


def test_single_observation_step_accepts_frames_without_time_dim():
    cfg = _config(n_obs_steps=1, horizon=8, n_action_steps=8)
    policy = _policy(cfg)
    batch = _train_batch(cfg)
    flat = {k: (v[:, 0] if k.startswith("observation.") else v) for k, v in batch.items()}
    torch.manual_seed(0)
    loss_flat, _ = policy.forward_normalized(flat)
    torch.manual_seed(0)
    loss_stacked, _ = policy.forward_normalized(batch)
    assert torch.equal(loss_flat, loss_stacked)


def test_resize_then_crop_in_the_encoder():
    cfg = _config({"cam": (3, 48, 64)}, resize_shape=(40, 40), crop_ratio=0.8)
    assert cfg.crop_shape == (32, 32)
    policy = _policy(cfg)
    encoder = policy.diffusion.rgb_encoder
    assert encoder.pool.pos_grid.shape == (1, 2)  # layer4 map of the 32x32 crop
    images = torch.rand(4, 3, 48, 64)
    encoder.eval()
    with torch.no_grad():
        out = encoder(images)
        resized = torch.nn.functional.interpolate(images, size=(40, 40), mode="bilinear", antialias=True)
        manual = encoder.out(encoder.pool(encoder.backbone(center_crop(resized, (32, 32)))).flatten(1)).relu()
    torch.testing.assert_close(out, manual)
    loss, _ = policy.train().forward_normalized(_train_batch(cfg))
    assert torch.isfinite(loss)
