"""Image blocks shared by Diffusion Policy and VQ-BeT (docs/policies/diffusion.md).

Shapes: images reach these blocks as a 4-D float batch `(M, C, H, W)` where M folds together the batch,
the observation time steps and (with a shared encoder) the cameras.

- `resize_images`: torchvision `Resize((h, w))` on tensors = bilinear, antialias on, align_corners False.
- `center_crop_offsets` / `random_crop_offsets` / `crop_images`: torchvision `CenterCrop` / `RandomCrop`
  semantics, including the RNG draw order of `RandomCrop` (top, then left, from the CPU generator; no
  draw when the crop equals the image) and Python's round-half-to-even for center offsets.
- `ImageCropResize`: resize (optional) then center crop (eval, or `crop_is_random=False`) or random crop
  (train) with **one offset for the whole 4-D batch**, as the reference does.
- `SpatialSoftmax`: 1x1 conv to K keypoint maps, softmax over positions, expected (x, y) coordinates.
- `replace_batchnorm_with_groupnorm` (re-exported from `lerobot.policies.resnet`): every
  `BatchNorm2d(n)` -> `GroupNorm(n // 16, n)`.
- `SpatialSoftmaxRgbEncoder`: ResNet trunk (torchvision names, indexed children) -> SpatialSoftmax ->
  Linear -> ReLU; output `(M, 2K)`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lerobot.policies.resnet import replace_batchnorm_with_groupnorm, resnet
from lerobot.policies.utils import get_output_shape


def resize_images(images: Tensor, size: tuple[int, int]) -> Tensor:
    """Bilinear antialiased resize of `(M, C, H, W)` to `(M, C, h, w)` (torchvision `Resize` on tensors)."""
    h, w = int(size[0]), int(size[1])
    if tuple(images.shape[-2:]) == (h, w):
        return images
    return F.interpolate(images, size=(h, w), mode="bilinear", align_corners=False, antialias=True)


def center_crop_offsets(image_hw: tuple[int, int], crop_hw: tuple[int, int]) -> tuple[int, int]:
    """(top, left) of torchvision's center crop; `round` is Python's round-half-to-even (6.5 -> 6)."""
    (h, w), (ch, cw) = image_hw, crop_hw
    return int(round((h - ch) / 2.0)), int(round((w - cw) / 2.0))


def random_crop_offsets(image_hw: tuple[int, int], crop_hw: tuple[int, int]) -> tuple[int, int]:
    """(top, left) of torchvision's `RandomCrop.get_params`.

    Draws `randint(0, H - ch + 1, (1,))` then `randint(0, W - cw + 1, (1,))` from the CPU default
    generator, except when the crop equals the image (no draw at all).
    """
    (h, w), (ch, cw) = image_hw, crop_hw
    if h < ch or w < cw:
        raise ValueError(f"Random crop {(ch, cw)} is larger than the image {(h, w)}.")
    if (h, w) == (ch, cw):
        return 0, 0
    top = int(torch.randint(0, h - ch + 1, size=(1,)).item())
    left = int(torch.randint(0, w - cw + 1, size=(1,)).item())
    return top, left


def crop_images(images: Tensor, top: int, left: int, crop_hw: tuple[int, int]) -> Tensor:
    """Crop `(..., H, W)` at (top, left); regions outside the image are zero (torchvision pads with 0)."""
    ch, cw = crop_hw
    h, w = images.shape[-2:]
    if top >= 0 and left >= 0 and top + ch <= h and left + cw <= w:
        return images[..., top : top + ch, left : left + cw]
    # Crop larger than the image (center crop of a small image): pad with zeros first.
    pad_top, pad_left = max(0, -top), max(0, -left)
    pad_bottom, pad_right = max(0, top + ch - h), max(0, left + cw - w)
    padded = F.pad(images, (pad_left, pad_right, pad_top, pad_bottom))
    return padded[..., top + pad_top : top + pad_top + ch, left + pad_left : left + pad_left + cw]


def center_crop(images: Tensor, crop_hw: tuple[int, int]) -> Tensor:
    """torchvision `CenterCrop`: zero-pads (left/top floor, right/bottom ceil) when the crop is larger."""
    ch, cw = crop_hw
    h, w = images.shape[-2:]
    if ch > h or cw > w:
        pad_h, pad_w = max(ch - h, 0), max(cw - w, 0)
        images = F.pad(images, (pad_w // 2, (pad_w + 1) // 2, pad_h // 2, (pad_h + 1) // 2))
        h, w = images.shape[-2:]
    top, left = center_crop_offsets((h, w), (ch, cw))
    return images[..., top : top + ch, left : left + cw]


class ImageCropResize(nn.Module):
    """Optional resize, then optional crop (random in train mode when `crop_is_random`, else center).

    One random offset is drawn per call and applied to the whole `(M, C, H, W)` batch.
    """

    def __init__(
        self,
        crop_shape: tuple[int, int] | None = None,
        crop_is_random: bool = True,
        resize_shape: tuple[int, int] | None = None,
    ):
        super().__init__()
        self.crop_shape = tuple(crop_shape) if crop_shape is not None else None
        self.crop_is_random = crop_is_random
        self.resize_shape = tuple(resize_shape) if resize_shape is not None else None

    def output_shape(self, image_hw: tuple[int, int]) -> tuple[int, int]:
        """Spatial size after this block, for an input of size `image_hw`."""
        if self.crop_shape is not None:
            return self.crop_shape
        if self.resize_shape is not None:
            return self.resize_shape
        return tuple(image_hw)

    def forward(self, images: Tensor) -> Tensor:  # (M, C, H, W) -> (M, C, h', w')
        if self.resize_shape is not None:
            images = resize_images(images, self.resize_shape)
        if self.crop_shape is None:
            return images
        if self.training and self.crop_is_random:
            top, left = random_crop_offsets(tuple(images.shape[-2:]), self.crop_shape)
            return crop_images(images, top, left, self.crop_shape)
        return center_crop(images, self.crop_shape)


class SpatialSoftmax(nn.Module):
    """Spatial soft-argmax (Levine et al. 2016, "Deep Spatial Autoencoders").

    Input `(M, C, h, w)`; with `num_kp` set, a 1x1 conv (`nets`) first maps C -> K channels, else K = C.
    Output `(M, K, 2)`: the softmax-weighted mean (x, y) position of each keypoint map, with x and y in
    [-1, 1] (x along columns). `pos_grid` is a buffer of shape (h*w, 2), row-major positions.
    """

    def __init__(self, input_shape: tuple[int, int, int], num_kp: int | None = None):
        super().__init__()
        if len(input_shape) != 3:
            raise ValueError(f"SpatialSoftmax expects a (C, H, W) input_shape, got {input_shape}.")
        self._in_c, self._in_h, self._in_w = (int(s) for s in input_shape)
        if num_kp is not None:
            self.nets = nn.Conv2d(self._in_c, num_kp, kernel_size=1)
            self._out_c = num_kp
        else:
            self.nets = None
            self._out_c = self._in_c
        # Built in float64 then stored as float32, like the reference.
        pos_x, pos_y = torch.meshgrid(
            torch.linspace(-1.0, 1.0, self._in_w, dtype=torch.float64),
            torch.linspace(-1.0, 1.0, self._in_h, dtype=torch.float64),
            indexing="xy",
        )  # both (h, w): pos_x varies along columns, pos_y along rows
        grid = torch.stack([pos_x.reshape(-1), pos_y.reshape(-1)], dim=1).float()  # (h*w, 2)
        self.register_buffer("pos_grid", grid)

    @property
    def num_keypoints(self) -> int:
        return self._out_c

    def forward(self, features: Tensor) -> Tensor:
        if self.nets is not None:
            features = self.nets(features)  # (M, K, h, w)
        m = features.shape[0]
        features = features.reshape(-1, self._in_h * self._in_w)  # (M*K, h*w)
        attention = F.softmax(features, dim=-1)
        keypoints = attention @ self.pos_grid  # (M*K, 2)
        return keypoints.view(m, self._out_c, 2)


class SpatialSoftmaxRgbEncoder(nn.Module):
    """ResNet trunk -> spatial soft-argmax -> Linear -> ReLU (Diffusion `rgb_encoder`, VQ-BeT too).

    State-dict names: `backbone.{0,1,4,5,6,7}.*` (torchvision ResNet children without avgpool/fc, indexed),
    `pool.pos_grid`, `pool.nets.*`, `out.*`.

    Args:
        image_shape: (C, H, W) of the camera images given to `forward`.
        vision_backbone: torchvision ResNet constructor name ("resnet18", ...).
        pretrained_backbone_weights: None (random init) or a weights source understood by
            `lerobot.policies.resnet` (file/dir/Hub id of torchvision-named safetensors weights).
        use_group_norm: replace every BatchNorm2d by GroupNorm(n/16, n) (not with pretrained weights).
        num_keypoints: K; the output feature width is 2K.
        crop_shape, crop_is_random, resize_shape: see `ImageCropResize`.

    forward: `(M, C, H, W)` float -> `(M, 2K)`.
    """

    def __init__(
        self,
        image_shape: tuple[int, int, int],
        vision_backbone: str = "resnet18",
        pretrained_backbone_weights: str | None = None,
        use_group_norm: bool = True,
        num_keypoints: int = 32,
        crop_shape: tuple[int, int] | None = None,
        crop_is_random: bool = True,
        resize_shape: tuple[int, int] | None = None,
    ):
        super().__init__()
        if use_group_norm and pretrained_backbone_weights:
            raise ValueError(
                "use_group_norm=True cannot be combined with pretrained_backbone_weights: the pretrained "
                "BatchNorm statistics would be thrown away. Set use_group_norm=False or "
                "pretrained_backbone_weights=None."
            )
        self.crop_resize = ImageCropResize(crop_shape, crop_is_random, resize_shape)
        # The torchvision children without avgpool and fc, as an indexed Sequential (keys `backbone.0...`).
        trunk = resnet(vision_backbone, weights=pretrained_backbone_weights)
        backbone = nn.Sequential(*list(trunk.children())[:-2])
        if use_group_norm:
            backbone = replace_batchnorm_with_groupnorm(backbone)
        self.backbone = backbone
        # Dry run on zeros (no randomness) to find the feature-map size the pool is built for. Departure:
        # the reference runs it in train mode, so with BatchNorm (use_group_norm=False) it records one
        # batch of statistics (running_var 0.9, num_batches_tracked 1) and fails for images whose layer4
        # map is 1x1; here it runs in eval mode and leaves the statistics alone.
        h, w = self.crop_resize.output_shape(tuple(image_shape[1:]))
        was_training = backbone.training
        feat_shape = get_output_shape(backbone.eval(), (1, image_shape[0], h, w))[1:]
        backbone.train(was_training)
        self.pool = SpatialSoftmax(feat_shape, num_kp=num_keypoints)
        self.feature_dim = num_keypoints * 2
        self.out = nn.Linear(self.feature_dim, self.feature_dim)
        self.relu = nn.ReLU()

    def forward(self, images: Tensor) -> Tensor:  # (M, C, H, W) -> (M, 2K)
        images = self.crop_resize(images)
        features = torch.flatten(self.pool(self.backbone(images)), start_dim=1)  # (M, 2K): x0, y0, x1, ...
        return self.relu(self.out(features))


__all__ = [
    "ImageCropResize",
    "SpatialSoftmax",
    "SpatialSoftmaxRgbEncoder",
    "center_crop",
    "center_crop_offsets",
    "crop_images",
    "random_crop_offsets",
    "replace_batchnorm_with_groupnorm",
    "resize_images",
]
