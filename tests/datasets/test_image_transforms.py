"""Image transforms in plain torch: shapes, ranges, maths, seeding, subset sampling by weight."""

import pytest
import torch

from lerobot.datasets.transforms import (
    TRANSFORM_TYPES,
    ColorJitter,
    Identity,
    ImageTransformConfig,
    ImageTransforms,
    ImageTransformsConfig,
    RandomSubsetApply,
    SharpnessJitter,
    adjust_brightness,
    adjust_contrast,
    adjust_hue,
    adjust_saturation,
    adjust_sharpness,
    make_transform_from_config,
    rgb_to_grayscale,
)


@pytest.fixture
def img() -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    return torch.rand(3, 24, 32, generator=g)


ALL_DEFAULTS = ImageTransformsConfig().tfs


@pytest.mark.parametrize("name", sorted(ALL_DEFAULTS))
@pytest.mark.parametrize("shape", [(3, 24, 32), (2, 3, 24, 32)], ids=["chw", "tchw"])
def test_each_default_transform_keeps_shape_dtype_range(name, shape):
    x = torch.rand(shape, generator=torch.Generator().manual_seed(1))
    tf = make_transform_from_config(ALL_DEFAULTS[name])
    torch.manual_seed(3)
    y = tf(x)
    assert y.shape == x.shape and y.dtype == x.dtype
    assert y.min() >= 0.0 and y.max() <= 1.0
    assert not torch.equal(y, x)
    torch.manual_seed(3)
    assert torch.equal(tf(x), y), "same seed, same output"


@pytest.mark.parametrize("op", [adjust_brightness, adjust_contrast, adjust_saturation, adjust_sharpness])
def test_factor_one_is_identity(img, op):
    torch.testing.assert_close(op(img, 1.0), img, atol=1e-6, rtol=0)


def test_hue_zero_and_full_turn_are_identity(img):
    torch.testing.assert_close(adjust_hue(img, 0.0), img, atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match=r"hue factor 0\.7 must be in \[-0\.5, 0\.5\]"):
        adjust_hue(img, 0.7)


def test_colour_maths(img):
    torch.testing.assert_close(adjust_brightness(img, 0.5), img * 0.5)
    torch.testing.assert_close(adjust_brightness(img, 3.0), (img * 3).clamp(0, 1))
    gray = rgb_to_grayscale(img)
    torch.testing.assert_close(gray[0], 0.2989 * img[0] + 0.587 * img[1] + 0.114 * img[2])
    # contrast 0 -> the mean grey level everywhere; saturation 0 -> greyscale replicated on 3 channels
    torch.testing.assert_close(adjust_contrast(img, 0.0), gray.mean().expand_as(img))
    torch.testing.assert_close(adjust_saturation(img, 0.0), gray.expand_as(img))
    # hue: pure red rotated by 1/3 turn is pure green
    red = torch.zeros(3, 4, 4)
    red[0] = 1.0
    torch.testing.assert_close(adjust_hue(red, 1 / 3)[1], torch.ones(4, 4), atol=1e-5, rtol=0)
    torch.testing.assert_close(adjust_hue(red, 1 / 3)[0], torch.zeros(4, 4), atol=1e-5, rtol=0)


def test_sharpness_blends_with_smoothed_interior(img):
    blurred = adjust_sharpness(img, 0.0)
    assert torch.equal(blurred[:, 0], img[:, 0]) and torch.equal(blurred[:, :, -1], img[:, :, -1])
    k = torch.tensor([[1.0, 1, 1], [1, 5, 1], [1, 1, 1]]) / 13
    expected = (img[0, 4:7, 5:8] * k).sum()
    torch.testing.assert_close(blurred[0, 5, 6], expected)
    sharper = adjust_sharpness(img, 2.0)
    torch.testing.assert_close(sharper, (2 * img - blurred).clamp(0, 1), atol=1e-6, rtol=0)
    tiny = torch.rand(3, 2, 5)
    assert torch.equal(adjust_sharpness(tiny, 0.0), tiny)


def test_color_jitter_draw_order():
    """torchvision's order: randperm(4) first, then one uniform_ per enabled factor."""
    tf = ColorJitter(brightness=(0.5, 1.5), hue=(-0.1, 0.1))
    x = torch.rand(3, 8, 8, generator=torch.Generator().manual_seed(2))
    torch.manual_seed(7)
    y = tf(x)
    torch.manual_seed(7)
    order = torch.randperm(4).tolist()
    b = float(torch.empty(1).uniform_(0.5, 1.5))
    h = float(torch.empty(1).uniform_(-0.1, 0.1))
    expected = x
    for i in order:
        if i == 0:
            expected = adjust_brightness(expected, b)
        elif i == 3:
            expected = adjust_hue(expected, h)
    torch.testing.assert_close(y, expected)


def test_sharpness_jitter_ranges():
    assert SharpnessJitter(0.3).sharpness == pytest.approx((0.7, 1.3))
    assert SharpnessJitter(2.0).sharpness == (0.0, 3.0)
    with pytest.raises(ValueError, match="sharpness range"):
        SharpnessJitter((1.5, 0.5))
    with pytest.raises(ValueError, match="non-negative"):
        SharpnessJitter(-1)


def test_uint8_input_is_refused():
    with pytest.raises(TypeError, match="float tensors"):
        SharpnessJitter(0.5)(torch.zeros(3, 8, 8, dtype=torch.uint8))


class _Recorder:
    def __init__(self, i: int, log: list):
        self.i, self.log = i, log

    def __call__(self, x):
        self.log.append(self.i)
        return x


def test_random_subset_follows_weights_and_order():
    log: list[int] = []
    tfs = [_Recorder(i, log) for i in range(4)]
    sub = RandomSubsetApply(tfs, p=[1.0, 0.0, 3.0, 1.0], n_subset=1)
    torch.manual_seed(0)
    for _ in range(2000):
        sub(torch.zeros(1))
    counts = [log.count(i) for i in range(4)]
    assert counts[1] == 0
    assert 0.55 < counts[2] / 2000 < 0.65  # 3/5
    assert 0.15 < counts[0] / 2000 < 0.25  # 1/5

    log.clear()
    sub = RandomSubsetApply(tfs, p=[1, 1, 1, 1], n_subset=3)
    for _ in range(50):
        before = len(log)
        sub(torch.zeros(1))
        drawn = log[before:]
        assert len(drawn) == 3 and len(set(drawn)) == 3 and drawn == sorted(drawn)


def test_random_subset_validation():
    with pytest.raises(ValueError, match="2 transforms but 3 weights"):
        RandomSubsetApply([Identity(), Identity()], p=[1, 1, 1])
    with pytest.raises(ValueError, match=r"n_subset must be in \[1, 2\]"):
        RandomSubsetApply([Identity(), Identity()], n_subset=3)


def test_image_transforms_from_config(img):
    assert isinstance(ImageTransforms(ImageTransformsConfig()).tf, Identity)  # disabled by default
    cfg = ImageTransformsConfig(enable=True, max_num_transforms=2)
    tf = ImageTransforms(cfg)
    assert isinstance(tf.tf, RandomSubsetApply) and tf.tf.n_subset == 2
    assert list(tf.transforms) == ["brightness", "contrast", "saturation", "hue", "sharpness"]
    torch.manual_seed(5)
    out = tf(img)
    torch.manual_seed(5)
    assert torch.equal(tf(img), out) and out.shape == img.shape
    only = ImageTransformsConfig(
        enable=True,
        tfs={
            "b": ImageTransformConfig(1.0, "ColorJitter", {"brightness": (0.5, 0.5)}),
            "off": ImageTransformConfig(0.0, "SharpnessJitter", {"sharpness": 0.5}),
        },
    )
    torch.testing.assert_close(ImageTransforms(only)(img), img * 0.5)


def test_config_validation():
    with pytest.raises(
        ValueError, match="Unknown image transform type 'ColourJitter'.*Did you mean 'ColorJitter'"
    ):
        ImageTransformConfig(type="ColourJitter")
    with pytest.raises(ValueError, match="weight must be >= 0"):
        ImageTransformConfig(weight=-1)
    with pytest.raises(ValueError, match="Bad kwargs"):
        make_transform_from_config(ImageTransformConfig(type="ColorJitter", kwargs={"brightnes": 0.2}))
    assert set(TRANSFORM_TYPES) == {"Identity", "ColorJitter", "SharpnessJitter", "RandomAffine"}


def test_dataset_applies_transforms_to_cameras_last(reference_fixtures):
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    root = reference_fixtures / "datasets" / "multicam_v30"
    seen = []

    def halve(x):
        seen.append(tuple(x.shape))
        return x * 0.5

    delta = {"observation.images.front": [-1 / 15, 0.0]}
    plain = LeRobotDataset("local/multicam_v30", root=root, delta_timestamps=delta)
    ds = LeRobotDataset("local/multicam_v30", root=root, delta_timestamps=delta, image_transforms=halve)
    a, b = plain[40], ds[40]
    for key in ds.meta.camera_keys:
        torch.testing.assert_close(b[key], a[key] * 0.5)
    torch.testing.assert_close(b["observation.state"], a["observation.state"])
    assert seen == [(2, 3, 48, 64), (3, 32, 32), (3, 24, 40)]
