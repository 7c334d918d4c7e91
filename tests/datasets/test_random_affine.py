"""`RandomAffine` (the `affine` transform of the reference's 0.4 train configs): torchvision's geometry."""

import pytest
import torch

from lerobot.datasets.transforms import (
    ImageTransformConfig,
    ImageTransforms,
    ImageTransformsConfig,
    RandomAffine,
    affine,
)


def test_affine_geometry():
    img = torch.rand(2, 3, 6, 6)
    assert torch.equal(affine(img, 0, (0, 0)), img)
    # positive angles turn clockwise (torchvision's `affine`), about the centre
    assert torch.equal(affine(img, 90, (0, 0)), torch.rot90(img, k=-1, dims=(-2, -1)))
    assert torch.equal(affine(img, -90, (0, 0)), torch.rot90(img, k=1, dims=(-2, -1)))
    # translate = (right, down) in pixels; what comes in from outside is 0
    shifted = affine(img, 0, (2, 1))
    assert torch.equal(shifted[..., 1:, 2:], img[..., :-1, :-2])
    assert shifted[..., :1, :].abs().sum() == 0 and shifted[..., :, :2].abs().sum() == 0
    # scale 2 about the centre: output pixel centres x map back to x / 2, nearest input pixel
    src = torch.rand(3, 4, 4)
    idx = torch.tensor([1, 1, 2, 2])
    assert torch.equal(affine(src, 0, (0, 0), scale=2.0), src[:, idx][:, :, idx])


def test_random_affine_draws_and_bounds():
    tf = RandomAffine(degrees=[-5.0, 5.0], translate=[0.05, 0.05])
    img = torch.rand(4, 3, 40, 40)  # (T, C, H, W): one draw for the whole window
    torch.manual_seed(0)
    out = tf(img)
    torch.manual_seed(0)
    angle = float(torch.empty(1).uniform_(-5.0, 5.0))
    tx = round(float(torch.empty(1).uniform_(-2.0, 2.0)))
    ty = round(float(torch.empty(1).uniform_(-2.0, 2.0)))
    assert torch.equal(out, affine(img, angle, (tx, ty)))
    assert out.shape == img.shape and out.min() >= 0 and out.max() <= 1
    with pytest.raises(ValueError, match="translate must be a pair of fractions"):
        RandomAffine(5, translate=[2, 0])


def test_reference_affine_entry_builds():
    cfg = ImageTransformsConfig(
        enable=True,
        max_num_transforms=1,
        tfs={
            "affine": ImageTransformConfig(
                1.0, "RandomAffine", {"degrees": [-5.0, 5.0], "translate": [0.05, 0.05]}
            )
        },
    )
    out = ImageTransforms(cfg)(torch.rand(3, 16, 16))
    assert out.shape == (3, 16, 16)
