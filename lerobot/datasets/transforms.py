"""Image augmentations for camera frames, in plain torch (no torchvision dependency).

Inputs are float images in [0, 1] of shape (..., C, H, W) with C = 3 (RGB), e.g. a dataset item's
(C, H, W) frame or a (T, C, H, W) time window; outputs keep shape and dtype and stay in [0, 1].

The colour operations follow torchvision's definitions (`adjust_brightness`, `adjust_contrast`,
`adjust_saturation`, `adjust_hue`, `adjust_sharpness`) and `ColorJitter` draws its parameters in the same
order (a `randperm(4)` then one `uniform_` per enabled factor), so a seeded run makes the same RNG calls.
The five `adjust_*` functions were checked bit-identical (max abs difference 0.0 on random (2, 3, 24, 32)
images) against torchvision 0.28's tensor implementations in a one-off comparison; torchvision is not a
dependency, so the tests check the definitions directly.
"""

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

# --------------------------------------------------------------------------------------------------
# Functional ops (torchvision semantics for float images)
# --------------------------------------------------------------------------------------------------


def _check_image(img: Tensor) -> None:
    if not isinstance(img, Tensor) or not img.is_floating_point():
        raise TypeError(
            "image transforms need float tensors in [0, 1] of shape (..., 3, H, W), got "
            f"{getattr(img, 'dtype', type(img).__name__)} (with return_uint8=True, convert frames first)."
        )
    if img.ndim < 3 or img.shape[-3] != 3:
        raise ValueError(f"image transforms need shape (..., 3, H, W), got {tuple(img.shape)}.")


def _blend(img1: Tensor, img2: Tensor, ratio: float) -> Tensor:
    return (ratio * img1 + (1.0 - ratio) * img2).clamp(0.0, 1.0)


def rgb_to_grayscale(img: Tensor) -> Tensor:
    """(..., 3, H, W) -> (..., 1, H, W) with the ITU-R 601 luma weights."""
    r, g, b = img.unbind(dim=-3)
    return (0.2989 * r + 0.587 * g + 0.114 * b).unsqueeze(dim=-3)


def adjust_brightness(img: Tensor, factor: float) -> Tensor:
    return _blend(img, torch.zeros_like(img), factor)


def adjust_contrast(img: Tensor, factor: float) -> Tensor:
    mean = rgb_to_grayscale(img).mean(dim=(-3, -2, -1), keepdim=True)
    return _blend(img, mean, factor)


def adjust_saturation(img: Tensor, factor: float) -> Tensor:
    return _blend(img, rgb_to_grayscale(img), factor)


def _rgb_to_hsv(img: Tensor) -> Tensor:
    r, g, b = img.unbind(dim=-3)
    maxc = torch.max(img, dim=-3).values
    minc = torch.min(img, dim=-3).values
    eqc = maxc == minc
    cr = maxc - minc
    ones = torch.ones_like(maxc)
    s = cr / torch.where(eqc, ones, maxc)
    cr_divisor = torch.where(eqc, ones, cr)
    rc = (maxc - r) / cr_divisor
    gc = (maxc - g) / cr_divisor
    bc = (maxc - b) / cr_divisor
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = torch.fmod((hr + hg + hb) / 6.0 + 1.0, 1.0)
    return torch.stack((h, s, maxc), dim=-3)


def _hsv_to_rgb(img: Tensor) -> Tensor:
    h, s, v = img.unbind(dim=-3)
    i = torch.floor(h * 6.0)
    f = (h * 6.0) - i
    i = i.to(dtype=torch.int32)
    p = (v * (1.0 - s)).clamp(0.0, 1.0)
    q = (v * (1.0 - s * f)).clamp(0.0, 1.0)
    t = (v * (1.0 - s * (1.0 - f))).clamp(0.0, 1.0)
    i = i % 6
    mask = i.unsqueeze(dim=-3) == torch.arange(6, device=i.device).view(-1, 1, 1)
    a1 = torch.stack((v, q, p, p, t, v), dim=-3)
    a2 = torch.stack((t, v, v, q, p, p), dim=-3)
    a3 = torch.stack((p, p, t, v, v, q), dim=-3)
    a4 = torch.stack((a1, a2, a3), dim=-4)
    return torch.einsum("...ijk, ...xijk -> ...xjk", mask.to(dtype=img.dtype), a4)


def adjust_hue(img: Tensor, factor: float) -> Tensor:
    """Rotate the hue by `factor` turns (in [-0.5, 0.5])."""
    if not -0.5 <= factor <= 0.5:
        raise ValueError(f"hue factor {factor} must be in [-0.5, 0.5].")
    hsv = _rgb_to_hsv(img)
    h, s, v = hsv.unbind(dim=-3)
    h = (h + factor) % 1.0
    return _hsv_to_rgb(torch.stack((h, s, v), dim=-3))


def adjust_sharpness(img: Tensor, factor: float) -> Tensor:
    """Blend with a 3x3-smoothed copy (kernel [[1,1,1],[1,5,1],[1,1,1]] / 13); the 1-pixel border is kept."""
    if img.shape[-1] <= 2 or img.shape[-2] <= 2:
        return img
    shape = img.shape
    flat = img.reshape(-1, 3, shape[-2], shape[-1])
    kernel = torch.ones((3, 3), dtype=img.dtype, device=img.device)
    kernel[1, 1] = 5.0
    kernel = (kernel / kernel.sum()).expand(3, 1, 3, 3)
    blurred = torch.nn.functional.conv2d(flat, kernel, groups=3)
    degenerate = flat.clone()
    degenerate[..., 1:-1, 1:-1] = blurred
    return _blend(flat, degenerate, factor).reshape(shape)


# --------------------------------------------------------------------------------------------------
# Random transforms
# --------------------------------------------------------------------------------------------------


def _check_range(value, name: str, center: float, bound: tuple[float, float], clip_first: bool = True):
    """A number `v` -> (center - v, center + v) (clipped at bound[0]); a pair is checked against `bound`."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"{name}: a single number must be non-negative, got {value}.")
        lo, hi = center - value, center + value
        if clip_first:
            lo = max(lo, bound[0])
    elif isinstance(value, Sequence) and len(value) == 2:
        lo, hi = float(value[0]), float(value[1])
    else:
        raise ValueError(f"{name} must be a number or a (min, max) pair, got {value!r}.")
    if not bound[0] <= lo <= hi <= bound[1]:
        raise ValueError(f"{name} range ({lo}, {hi}) must satisfy {bound[0]} <= min <= max <= {bound[1]}.")
    return None if lo == hi == center else (lo, hi)


def _uniform(lo: float, hi: float) -> float:
    return float(torch.empty(1).uniform_(lo, hi))


class ColorJitter(nn.Module):
    """Random brightness, contrast, saturation and hue, applied in a random order (torchvision semantics)."""

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        super().__init__()
        inf = float("inf")
        self.brightness = _check_range(brightness, "brightness", 1.0, (0.0, inf))
        self.contrast = _check_range(contrast, "contrast", 1.0, (0.0, inf))
        self.saturation = _check_range(saturation, "saturation", 1.0, (0.0, inf))
        self.hue = _check_range(hue, "hue", 0.0, (-0.5, 0.5), clip_first=False)

    def forward(self, img: Tensor) -> Tensor:
        _check_image(img)
        order = torch.randperm(4)
        factors = [
            None if r is None else _uniform(*r)
            for r in (self.brightness, self.contrast, self.saturation, self.hue)
        ]
        ops = (adjust_brightness, adjust_contrast, adjust_saturation, adjust_hue)
        for i in order.tolist():
            if factors[i] is not None:
                img = ops[i](img, factors[i])
        return img

    def extra_repr(self) -> str:
        return f"brightness={self.brightness}, contrast={self.contrast}, saturation={self.saturation}, hue={self.hue}"


class SharpnessJitter(nn.Module):
    """Sharpness factor drawn uniformly in a range (a number `s` means (1 - s, 1 + s), floored at 0)."""

    def __init__(self, sharpness: float | Sequence[float]):
        super().__init__()
        rng = _check_range(sharpness, "sharpness", 1.0, (0.0, float("inf")))
        self.sharpness = rng if rng is not None else (1.0, 1.0)

    def forward(self, img: Tensor) -> Tensor:
        _check_image(img)
        return adjust_sharpness(img, _uniform(*self.sharpness))

    def extra_repr(self) -> str:
        return f"sharpness={self.sharpness}"


def affine(img: Tensor, angle: float, translate: tuple[int, int], scale: float = 1.0) -> Tensor:
    """torchvision's `affine` (no shear, nearest interpolation, fill 0) on (..., C, H, W) float images:
    rotate by `angle` degrees clockwise about the image centre, scale, then shift by `translate` = (tx, ty)
    pixels (right, down). The output pixel grid is mapped through the inverse matrix and sampled with
    `grid_sample(mode="nearest", padding_mode="zeros", align_corners=False)`, as torchvision does."""
    _check_image(img)
    h, w = img.shape[-2:]
    rot = torch.deg2rad(torch.tensor(float(angle), dtype=torch.float64))
    cos, sin = float(torch.cos(rot)), float(torch.sin(rot))
    tx, ty = float(translate[0]), float(translate[1])
    # inverse of [rotate(angle) * scale] then translate, about the centre (torchvision's _get_inverse_affine_matrix)
    m = [cos / scale, sin / scale, 0.0, -sin / scale, cos / scale, 0.0]
    m[2] += m[0] * -tx + m[1] * -ty
    m[5] += m[3] * -tx + m[4] * -ty
    theta = torch.tensor(m, dtype=img.dtype).view(1, 2, 3)
    # output pixel centres relative to the image centre, then normalised to [-1, 1] (torchvision's _gen_affine_grid)
    xs = torch.linspace(-w * 0.5 + 0.5, w * 0.5 - 0.5, steps=w, dtype=img.dtype)
    ys = torch.linspace(-h * 0.5 + 0.5, h * 0.5 - 0.5, steps=h, dtype=img.dtype)
    base = torch.stack([xs.expand(h, w), ys[:, None].expand(h, w), torch.ones(h, w, dtype=img.dtype)], -1)
    scale_xy = torch.tensor([0.5 * w, 0.5 * h], dtype=img.dtype)
    grid = (base.view(1, h * w, 3) @ (theta.transpose(1, 2) / scale_xy)).view(1, h, w, 2)
    flat = img.reshape(-1, *img.shape[-3:])
    out = nn.functional.grid_sample(
        flat, grid.expand(flat.shape[0], h, w, 2), mode="nearest", padding_mode="zeros", align_corners=False
    )
    return out.reshape(img.shape)


class RandomAffine(nn.Module):
    """torchvision's `RandomAffine(degrees, translate, scale)` without shear: an angle drawn in `degrees` (a
    number d means (-d, d)), a shift of up to `translate` = (fx, fy) times the width / height (rounded to whole
    pixels), a scale drawn in `scale`; drawn in that order, one `uniform_` each, as torchvision does. Pixels
    shifted in from outside the image are 0. (The reference's 0.4 configs list it as the `affine` transform.)"""

    def __init__(
        self, degrees, translate: Sequence[float] | None = None, scale: Sequence[float] | None = None
    ):
        super().__init__()
        if isinstance(degrees, (int, float)) and not isinstance(degrees, bool):
            if degrees < 0:
                raise ValueError(f"degrees: a single number must be non-negative, got {degrees}.")
            degrees = (-float(degrees), float(degrees))
        if not (isinstance(degrees, Sequence) and len(degrees) == 2):
            raise ValueError(f"degrees must be a number or a (min, max) pair, got {degrees!r}.")
        self.degrees = (float(degrees[0]), float(degrees[1]))
        if translate is not None and (len(translate) != 2 or not all(0 <= t <= 1 for t in translate)):
            raise ValueError(f"translate must be a pair of fractions in [0, 1], got {translate!r}.")
        if scale is not None and (len(scale) != 2 or not 0 < scale[0] <= scale[1]):
            raise ValueError(f"scale must be a (min, max) pair with 0 < min <= max, got {scale!r}.")
        self.translate = None if translate is None else (float(translate[0]), float(translate[1]))
        self.scale = None if scale is None else (float(scale[0]), float(scale[1]))

    def forward(self, img: Tensor) -> Tensor:
        _check_image(img)
        h, w = img.shape[-2:]
        angle = _uniform(*self.degrees)
        tx = ty = 0
        if self.translate is not None:
            max_dx, max_dy = self.translate[0] * w, self.translate[1] * h
            tx, ty = round(_uniform(-max_dx, max_dx)), round(_uniform(-max_dy, max_dy))
        scale = _uniform(*self.scale) if self.scale is not None else 1.0
        return affine(img, angle, (tx, ty), scale)

    def extra_repr(self) -> str:
        return f"degrees={self.degrees}, translate={self.translate}, scale={self.scale}"


class Identity(nn.Module):
    def forward(self, img: Tensor) -> Tensor:
        return img


class RandomSubsetApply(nn.Module):
    """Apply `n_subset` of `transforms`, drawn without replacement with probabilities ∝ `p`.

    The draw is one `torch.multinomial(p, n_subset)`; the chosen transforms run in index order unless
    `random_order` (then in draw order).
    """

    def __init__(
        self,
        transforms: Sequence[Callable],
        p: Sequence[float] | None = None,
        n_subset: int | None = None,
        random_order: bool = False,
    ):
        super().__init__()
        if not transforms:
            raise ValueError("RandomSubsetApply needs at least one transform.")
        n = len(transforms)
        p = [1.0] * n if p is None else [float(x) for x in p]
        if len(p) != n:
            raise ValueError(f"{n} transforms but {len(p)} weights: give one weight per transform.")
        if any(x < 0 for x in p) or sum(p) <= 0:
            raise ValueError(f"weights must be non-negative with a positive sum, got {p}.")
        n_subset = n if n_subset is None else n_subset
        if not 1 <= n_subset <= n:
            raise ValueError(f"n_subset must be in [1, {n}] (the number of transforms), got {n_subset}.")
        self.transforms = list(transforms)
        for i, tf in enumerate(self.transforms):
            if isinstance(tf, nn.Module):
                self.add_module(str(i), tf)
        total = sum(p)
        self.p = [x / total for x in p]
        self.n_subset = n_subset
        self.random_order = random_order

    def forward(self, img: Tensor) -> Tensor:
        selected = torch.multinomial(torch.tensor(self.p), self.n_subset).tolist()
        if not self.random_order:
            selected = sorted(selected)
        for i in selected:
            img = self.transforms[i](img)
        return img

    def extra_repr(self) -> str:
        return f"p={self.p}, n_subset={self.n_subset}, random_order={self.random_order}"


# --------------------------------------------------------------------------------------------------
# Configuration (CLI: --dataset.image_transforms.*)
# --------------------------------------------------------------------------------------------------

TRANSFORM_TYPES: dict[str, type[nn.Module]] = {
    "Identity": Identity,
    "ColorJitter": ColorJitter,
    "SharpnessJitter": SharpnessJitter,
    "RandomAffine": RandomAffine,
}


@dataclass
class ImageTransformConfig:
    """One named transform: its sampling weight, its `type` (a TRANSFORM_TYPES key) and constructor kwargs."""

    # Relative probability of picking this transform.
    weight: float = 1.0
    # Transform name, e.g. ColorJitter, SharpnessJitter, RandomAffine, Identity.
    type: str = "Identity"
    # Keyword arguments of the transform, e.g. {brightness: [0.8, 1.2]}.
    kwargs: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.type not in TRANSFORM_TYPES:
            close = difflib.get_close_matches(self.type, list(TRANSFORM_TYPES), n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise ValueError(
                f"Unknown image transform type '{self.type}'; known: {list(TRANSFORM_TYPES)}.{hint}"
            )
        if self.weight < 0:
            raise ValueError(f"image transform weight must be >= 0 (0 disables it), got {self.weight}.")


def _default_tfs() -> dict[str, ImageTransformConfig]:
    return {
        "brightness": ImageTransformConfig(1.0, "ColorJitter", {"brightness": (0.8, 1.2)}),
        "contrast": ImageTransformConfig(1.0, "ColorJitter", {"contrast": (0.8, 1.2)}),
        "saturation": ImageTransformConfig(1.0, "ColorJitter", {"saturation": (0.5, 1.5)}),
        "hue": ImageTransformConfig(1.0, "ColorJitter", {"hue": (-0.05, 0.05)}),
        "sharpness": ImageTransformConfig(1.0, "SharpnessJitter", {"sharpness": (0.5, 1.5)}),
    }


@dataclass
class ImageTransformsConfig:
    """Camera-frame augmentation at training time (off by default).

    At most `max_num_transforms` of `tfs` are applied to each frame, drawn without replacement with
    probabilities proportional to their weights, in the order of `tfs` unless `random_order`.
    """

    # Apply random camera-frame augmentation during training.
    enable: bool = False
    # Transforms applied per frame (at most; drawn by weight).
    max_num_transforms: int = 3
    # Apply the drawn transforms in random order.
    random_order: bool = False
    # Available transforms: name -> {weight, type, kwargs}.
    tfs: dict[str, ImageTransformConfig] = field(default_factory=_default_tfs)

    def __post_init__(self):
        if self.max_num_transforms < 0:
            raise ValueError(f"max_num_transforms must be >= 0, got {self.max_num_transforms}.")
        for name, tf in self.tfs.items():
            if isinstance(tf, dict):
                self.tfs[name] = ImageTransformConfig(**tf)


def make_transform_from_config(cfg: ImageTransformConfig) -> nn.Module:
    cls = TRANSFORM_TYPES[cfg.type]
    try:
        return cls(**cfg.kwargs)
    except TypeError as e:
        raise ValueError(f"Bad kwargs {cfg.kwargs} for image transform type '{cfg.type}': {e}") from e


class ImageTransforms(nn.Module):
    """The dataset's `image_transforms` callable built from an ImageTransformsConfig."""

    def __init__(self, cfg: ImageTransformsConfig):
        super().__init__()
        self._cfg = cfg
        self.weights: list[float] = []
        self.transforms: dict[str, nn.Module] = {}
        for name, tf_cfg in cfg.tfs.items():
            if tf_cfg.weight <= 0.0:
                continue
            self.transforms[name] = make_transform_from_config(tf_cfg)
            self.weights.append(tf_cfg.weight)
        n_subset = min(len(self.transforms), cfg.max_num_transforms)
        if n_subset == 0 or not cfg.enable:
            self.tf: nn.Module = Identity()
        else:
            self.tf = RandomSubsetApply(
                list(self.transforms.values()),
                p=self.weights,
                n_subset=n_subset,
                random_order=cfg.random_order,
            )

    def forward(self, img: Tensor) -> Tensor:
        return self.tf(img)
