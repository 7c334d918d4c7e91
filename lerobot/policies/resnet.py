"""ResNet-18/34/50/101/152 with torchvision's parameter names, without torchvision.

- `resnet(name, norm_layer=nn.BatchNorm2d, replace_stride_with_dilation=(False, False, False))` builds
  the full network (`conv1, bn1, relu, maxpool, layer1..layer4, avgpool, fc`) initialised like
  torchvision (kaiming-normal fan_out convs, norm weight 1 / bias 0, default Linear init).
- `FrozenBatchNorm2d`: the four buffers `weight, bias, running_mean, running_var`, eps 1e-5,
  `y = x * scale + shift` in train and eval mode; drops `num_batches_tracked` when loading.
- `replace_batchnorm_with_groupnorm(module)`: every BatchNorm2d(n) -> GroupNorm(n // 16, n).
- `load_pretrained_backbone_weights(model, source)`: ImageNet weights from a safetensors file, a folder
  holding `model.safetensors`, a Hub repo id (`timm/resnet18.tv_in1k` has torchvision's names) or a
  torchvision weights name (`ResNet18_Weights.IMAGENET1K_V1` -> `timm/resnet18.tv_in1k`), read from the
  local HF cache when offline; nothing is downloaded behind the user's back and a missing file gives
  an error saying where to put it.

Shapes: input (B, 3, H, W); `layer4` output (B, 512 | 2048, ceil(H/32), ceil(W/32)).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch
from torch import Tensor, nn

# torchvision weight enum names -> Hub repos holding the same weights under torchvision's names.
TORCHVISION_WEIGHTS_ON_HUB = {
    "ResNet18_Weights.IMAGENET1K_V1": "timm/resnet18.tv_in1k",
    "ResNet34_Weights.IMAGENET1K_V1": "timm/resnet34.tv_in1k",
    "ResNet50_Weights.IMAGENET1K_V1": "timm/resnet50.tv_in1k",
    "ResNet50_Weights.IMAGENET1K_V2": "timm/resnet50.tv2_in1k",
    "ResNet101_Weights.IMAGENET1K_V1": "timm/resnet101.tv_in1k",
    "ResNet101_Weights.IMAGENET1K_V2": "timm/resnet101.tv2_in1k",
    "ResNet152_Weights.IMAGENET1K_V1": "timm/resnet152.tv_in1k",
    "ResNet152_Weights.IMAGENET1K_V2": "timm/resnet152.tv2_in1k",
}
TORCHVISION_WEIGHTS_ON_HUB.update(
    {
        "ResNet18_Weights.DEFAULT": "timm/resnet18.tv_in1k",
        "ResNet34_Weights.DEFAULT": "timm/resnet34.tv_in1k",
        "ResNet50_Weights.DEFAULT": "timm/resnet50.tv2_in1k",
        "ResNet101_Weights.DEFAULT": "timm/resnet101.tv2_in1k",
        "ResNet152_Weights.DEFAULT": "timm/resnet152.tv2_in1k",
    }
)


class FrozenBatchNorm2d(nn.Module):
    """BatchNorm2d with fixed statistics and affine parameters (all buffers, nothing trainable)."""

    def __init__(self, num_features: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.register_buffer("weight", torch.ones(num_features))
        self.register_buffer("bias", torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing, unexpected, errors):
        state_dict.pop(prefix + "num_batches_tracked", None)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing, unexpected, errors)

    def forward(self, x: Tensor) -> Tensor:
        # (C,) -> (1, C, 1, 1) so it broadcasts over (B, C, H, W).
        w = self.weight.reshape(1, -1, 1, 1)
        b = self.bias.reshape(1, -1, 1, 1)
        rv = self.running_var.reshape(1, -1, 1, 1)
        rm = self.running_mean.reshape(1, -1, 1, 1)
        scale = w * (rv + self.eps).rsqrt()
        shift = b - rm * scale
        return x * scale + shift

    def extra_repr(self) -> str:
        return f"{self.weight.shape[0]}, eps={self.eps}"


def _conv3x3(cin: int, cout: int, stride: int = 1, dilation: int = 1, groups: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, stride, padding=dilation, groups=groups, bias=False, dilation=dilation)


def _conv1x1(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 1, stride, bias=False)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, cin, width, stride=1, downsample=None, dilation=1, norm_layer=nn.BatchNorm2d):
        super().__init__()
        if dilation > 1:
            raise NotImplementedError(
                "Dilation > 1 not supported in BasicBlock: replace_final_stride_with_dilation needs a "
                "Bottleneck ResNet (resnet50 or deeper)."
            )
        self.conv1 = _conv3x3(cin, width, stride)
        self.bn1 = norm_layer(width)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = _conv3x3(width, width)
        self.bn2 = norm_layer(width)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, width, stride=1, downsample=None, dilation=1, norm_layer=nn.BatchNorm2d):
        super().__init__()
        self.conv1 = _conv1x1(cin, width)
        self.bn1 = norm_layer(width)
        self.conv2 = _conv3x3(width, width, stride, dilation)
        self.bn2 = norm_layer(width)
        self.conv3 = _conv1x1(width, width * self.expansion)
        self.bn3 = norm_layer(width * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


_ARCHS: dict[str, tuple[type[nn.Module], list[int]]] = {
    "resnet18": (BasicBlock, [2, 2, 2, 2]),
    "resnet34": (BasicBlock, [3, 4, 6, 3]),
    "resnet50": (Bottleneck, [3, 4, 6, 3]),
    "resnet101": (Bottleneck, [3, 4, 23, 3]),
    "resnet152": (Bottleneck, [3, 8, 36, 3]),
}


class ResNet(nn.Module):
    """torchvision's ResNet layout; `fc.in_features` is the trunk's output width (512 or 2048)."""

    def __init__(
        self,
        block: type[nn.Module],
        layers: list[int],
        num_classes: int = 1000,
        norm_layer: Callable[[int], nn.Module] = nn.BatchNorm2d,
        replace_stride_with_dilation: tuple[bool, bool, bool] = (False, False, False),
    ):
        super().__init__()
        if len(replace_stride_with_dilation) != 3:
            raise ValueError("replace_stride_with_dilation must have 3 booleans (for layer2..layer4).")
        self._norm_layer = norm_layer
        self.inplanes = 64
        self.dilation = 1
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = norm_layer(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], 2, replace_stride_with_dilation[0])
        self.layer3 = self._make_layer(block, 256, layers[2], 2, replace_stride_with_dilation[1])
        self.layer4 = self._make_layer(block, 512, layers[3], 2, replace_stride_with_dilation[2])
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        self._num_features = 512 * block.expansion
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def _make_layer(self, block, planes: int, blocks: int, stride: int = 1, dilate: bool = False):
        norm_layer = self._norm_layer
        downsample = None
        previous_dilation = self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                _conv1x1(self.inplanes, planes * block.expansion, stride),
                norm_layer(planes * block.expansion),
            )
        layers = [block(self.inplanes, planes, stride, downsample, previous_dilation, norm_layer)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, dilation=self.dilation, norm_layer=norm_layer))
        return nn.Sequential(*layers)

    def forward_features(self, x: Tensor) -> Tensor:
        """(B, 3, H, W) -> layer4 feature map (B, C, H/32, W/32)."""
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))

    def forward(self, x: Tensor) -> Tensor:
        """Logits (B, num_classes), or the layer4 feature map once `drop_head()` was called."""
        if self.fc is None:
            return self.forward_features(x)
        return self.fc(torch.flatten(self.avgpool(self.forward_features(x)), 1))

    @property
    def num_features(self) -> int:
        """Channels of the layer4 feature map (512 for resnet18/34, 2048 for resnet50+)."""
        return self._num_features

    def drop_head(self) -> ResNet:
        """Remove `avgpool` and `fc` (no keys left for them); `forward` then returns the layer4 map."""
        self.avgpool = None
        self.fc = None
        return self


def resnet(
    name: str,
    norm_layer: Callable[[int], nn.Module] = nn.BatchNorm2d,
    replace_stride_with_dilation: tuple[bool, bool, bool] | list[bool] = (False, False, False),
    weights: str | None = None,
) -> ResNet:
    """Build `name` ("resnet18", ...) and load `weights` (see `load_pretrained_backbone_weights`) if given."""
    if name not in _ARCHS:
        raise ValueError(f"Unknown vision backbone '{name}'; expected one of {sorted(_ARCHS)}.")
    block, layers = _ARCHS[name]
    model = ResNet(
        block,
        layers,
        norm_layer=norm_layer,
        replace_stride_with_dilation=tuple(bool(x) for x in replace_stride_with_dilation),
    )
    if weights:
        load_pretrained_backbone_weights(model, weights)
    return model


def replace_batchnorm_with_groupnorm(module: nn.Module) -> nn.Module:
    """Replace every BatchNorm2d(n) (also inside downsample branches) by GroupNorm(n // 16, n), in place."""
    for name, child in list(module.named_children()):
        if isinstance(child, nn.BatchNorm2d):
            setattr(module, name, nn.GroupNorm(child.num_features // 16, child.num_features))
        else:
            replace_batchnorm_with_groupnorm(child)
    return module


def resolve_backbone_weights_file(source: str) -> Path:
    """Local safetensors file / folder / Hub repo id / torchvision weights name -> a local safetensors file."""
    path = Path(source).expanduser()
    if path.is_file():
        return path
    if path.is_dir():
        file = path / "model.safetensors"
        if not file.is_file():
            raise FileNotFoundError(f"Backbone weights folder {path} has no model.safetensors.")
        return file
    repo_id = TORCHVISION_WEIGHTS_ON_HUB.get(source, source)
    if "/" not in repo_id:
        raise ValueError(
            f"pretrained_backbone_weights='{source}' is neither a local file/folder, a Hub repo id nor a "
            f"known torchvision weights name ({sorted(TORCHVISION_WEIGHTS_ON_HUB)}); use null for random init."
        )
    from lerobot.policies.utils import download_file

    try:
        return download_file(repo_id, "model.safetensors")
    except FileNotFoundError as e:
        raise FileNotFoundError(
            f"ImageNet backbone weights '{source}' (Hub repo '{repo_id}') are not available: {e} "
            "Put them in the HF cache (huggingface-cli download " + repo_id + "), pass a local "
            "safetensors file, or set pretrained_backbone_weights to null."
        ) from e


def load_pretrained_backbone_weights(model: ResNet, source: str) -> None:
    """Load ImageNet weights into `model` by torchvision names; `fc` may be absent or differ in size."""
    from safetensors.torch import load_file

    file = resolve_backbone_weights_file(source)
    state = load_file(str(file))
    own = model.state_dict()
    state = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked") or k in own}
    trunk = {k for k in own if not k.startswith("fc.")}
    missing = sorted(trunk - set(state))
    wrong = [k for k in trunk & set(state) if tuple(state[k].shape) != tuple(own[k].shape)]
    if missing or wrong:
        raise ValueError(
            f"Backbone weights {file} do not fit this ResNet: missing {missing[:10]}"
            f"{'...' if len(missing) > 10 else ''}, wrong shapes {wrong[:10]}."
        )
    trunk_state = {k: state[k] for k in trunk}
    fc_keys = [k for k in own if k.startswith("fc.")]
    if fc_keys and all(k in state and tuple(state[k].shape) == tuple(own[k].shape) for k in fc_keys):
        trunk_state.update({k: state[k] for k in own if k.startswith("fc.")})
    model.load_state_dict(trunk_state, strict=False)
