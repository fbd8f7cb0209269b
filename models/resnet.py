"""Residual networks written to be read.

One class per block type, one ``ResNet`` that stacks them, and builders that are one line
each. Parameter and buffer names follow torchvision's ``resnet.py``, so torchvision's
ImageNet weights load into these models with ``strict=True``.

Beyond torchvision, every model can be built

* *plain* (``skip=False``): the same layers with the shortcuts removed;
* with the paper's shortcut options A (zero-padding), B (projection where the shape
  changes) or C (projection everywhere);
* with the bottleneck stride on the first 1x1 conv, as in the paper ("v1"), instead of on
  the 3x3 conv as torchvision does ("v1.5");
* with pre-activation blocks (He et al. 2016), without batch norm, or with tanh/sigmoid.

Every block exposes its two branches, ``residual(x)`` = F(x) and ``shortcut(x)``, and the
model exposes its forward pass as the rows of the paper's Table 1 (``sections()``), so the
explorer can trace and tabulate a model without hooks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import torch.nn.functional as F
from torch import Tensor, nn

ShortcutOption = Literal["A", "B", "C"]
Activation = Literal["relu", "tanh", "sigmoid"]
ShortcutKind = Literal["identity", "projection", "zero-pad", "none"]
PreactInput = Literal["residual", "both", "none"]

ACTIVATIONS: dict[str, type[nn.Module]] = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}
SHORTCUT_OPTIONS: dict[str, str] = {  # He et al. 2015, §3.3
    "A": "zero-padding (no parameters)",
    "B": "projection where the shape changes",
    "C": "projection everywhere",
}


@dataclass(frozen=True)
class BlockOptions:
    """Choices that apply to every block of a model."""

    skip: bool = True
    preact: bool = False
    batch_norm: bool = True
    activation: Activation = "relu"
    stride_in_1x1: bool = False

    def norm(self, channels: int) -> nn.Module:
        """A batch norm over ``channels``, or an identity when batch norm is off."""
        return nn.BatchNorm2d(channels) if self.batch_norm else nn.Identity()

    def act(self) -> nn.Module:
        """A fresh activation module."""
        return ACTIVATIONS[self.activation]()


def conv3x3(in_planes: int, out_planes: int, stride: int = 1, groups: int = 1) -> nn.Conv2d:
    """3x3 convolution with padding 1 and no bias."""
    return nn.Conv2d(in_planes, out_planes, 3, stride=stride, padding=1, groups=groups, bias=False)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    """1x1 convolution with no bias."""
    return nn.Conv2d(in_planes, out_planes, 1, stride=stride, bias=False)


class ZeroPadShortcut(nn.Module):
    """Option A: subsample by ``stride`` and pad the new channels with zeros (no parameters)."""

    def __init__(self, in_planes: int, out_planes: int, stride: int) -> None:
        super().__init__()
        self.stride = stride
        extra = out_planes - in_planes
        self.pad = (extra // 2, extra - extra // 2)

    def forward(self, x: Tensor) -> Tensor:
        x = x[:, :, :: self.stride, :: self.stride]
        return F.pad(x, (0, 0, 0, 0, *self.pad))


class ResidualBlock(nn.Module):
    """A block computing ``merge(F(x), shortcut(x))``.

    Subclasses define the residual branch F (``transform``). ``downsample`` is the shortcut
    module (projection or zero-padding) or ``None`` for an identity shortcut; a plain block
    (``skip=False``) has no shortcut at all.

    A pre-activation block (He et al. 2016) begins with BN → activation (its ``bn1``), and
    ``preact_input`` says what that pre-activation feeds, as in fb.resnet.torch's
    ``preresnet.lua``: ``"residual"``, only the residual branch (the shortcut carries x itself);
    ``"both"``, both branches (the first block of a stage); ``"none"``, no pre-activation at all,
    because the input is already activated (the first block after the ImageNet stem).
    """

    expansion: ClassVar[int]

    def __init__(self, downsample: nn.Module | None, options: BlockOptions, preact_input: PreactInput) -> None:
        super().__init__()
        self.downsample = downsample
        self.skip = options.skip
        self.preact = options.preact
        self.preact_input: PreactInput | None = preact_input if options.preact else None
        self.act = options.act()

    def transform(self, x: Tensor) -> Tensor:
        """F of the residual branch's input (for pre-activation blocks, the pre-activated x)."""
        raise NotImplementedError

    def inputs(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """What the residual branch and the shortcut receive: x itself, or its pre-activation."""
        if self.preact_input in ("residual", "both"):
            h = self.act(self.bn1(x))
            return (h, h) if self.preact_input == "both" else (h, x)
        return x, x

    def _carry(self, x: Tensor) -> Tensor:
        return x if self.downsample is None else self.downsample(x)

    def residual(self, x: Tensor) -> Tensor:
        """The residual branch F(x)."""
        return self.transform(self.inputs(x)[0])

    def shortcut(self, x: Tensor) -> Tensor:
        """The shortcut branch: its input itself, or its projection/zero-padding."""
        return self._carry(self.inputs(x)[1])

    def branches(self, x: Tensor) -> tuple[Tensor, Tensor | None]:
        """Both branches (the pre-activation computed once); the shortcut is ``None`` in a plain block."""
        into_residual, into_shortcut = self.inputs(x)
        return self.transform(into_residual), self._carry(into_shortcut) if self.skip else None

    def merge(self, residual: Tensor, shortcut: Tensor | None) -> Tensor:
        """Add the branches (post-activation blocks apply the activation after the sum)."""
        out = residual if shortcut is None else residual + shortcut
        return out if self.preact else self.act(out)

    def forward(self, x: Tensor) -> Tensor:
        return self.merge(*self.branches(x))

    def _preact_norm(self, channels: int, options: BlockOptions) -> nn.Module | None:
        """The pre-activation batch norm over the block's input, or None where the block has none."""
        return options.norm(channels) if self.preact_input in ("residual", "both") else None

    @property
    def shortcut_kind(self) -> ShortcutKind:
        """``identity``, ``projection``, ``zero-pad``, or ``none`` for a plain block."""
        if not self.skip:
            return "none"
        if self.downsample is None:
            return "identity"
        return "zero-pad" if isinstance(self.downsample, ZeroPadShortcut) else "projection"

    def branch_convs(self) -> list[nn.Conv2d]:
        """The convolutions of the residual branch, in order."""
        return [m for name, m in self.named_children() if name.startswith("conv")]


class BasicBlock(ResidualBlock):
    """Two 3x3 convolutions (ResNet-18/34 and the CIFAR nets)."""

    expansion = 1

    def __init__(
        self,
        inplanes: int,
        planes: int,
        stride: int = 1,
        downsample: nn.Module | None = None,
        groups: int = 1,
        base_width: int = 64,
        options: BlockOptions = BlockOptions(),
        preact_input: PreactInput = "residual",
    ) -> None:
        if groups != 1 or base_width != 64:
            raise ValueError("BasicBlock supports only groups=1 and base_width=64")
        super().__init__(downsample, options, preact_input)
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = self._preact_norm(inplanes, options) if options.preact else options.norm(planes)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = options.norm(planes)

    def transform(self, x: Tensor) -> Tensor:
        if self.preact:
            return self.conv2(self.act(self.bn2(self.conv1(x))))
        x = self.act(self.bn1(self.conv1(x)))
        return self.bn2(self.conv2(x))


class Bottleneck(ResidualBlock):
    """1x1 reduce, 3x3 (optionally grouped), 1x1 expand (ResNet-50 and deeper, ResNeXt, WRN)."""

    expansion = 4

    def __init__(
        self,
        inplanes: int,
        planes: int,
        stride: int = 1,
        downsample: nn.Module | None = None,
        groups: int = 1,
        base_width: int = 64,
        options: BlockOptions = BlockOptions(),
        preact_input: PreactInput = "residual",
    ) -> None:
        super().__init__(downsample, options, preact_input)
        width = int(planes * (base_width / 64.0)) * groups
        stride_1x1, stride_3x3 = (stride, 1) if options.stride_in_1x1 else (1, stride)
        self.conv1 = conv1x1(inplanes, width, stride_1x1)
        self.bn1 = self._preact_norm(inplanes, options) if options.preact else options.norm(width)
        self.conv2 = conv3x3(width, width, stride_3x3, groups)
        self.bn2 = options.norm(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = options.norm(width if options.preact else planes * self.expansion)

    def transform(self, x: Tensor) -> Tensor:
        if self.preact:
            x = self.act(self.bn2(self.conv1(x)))
            return self.conv3(self.act(self.bn3(self.conv2(x))))
        x = self.act(self.bn1(self.conv1(x)))
        x = self.act(self.bn2(self.conv2(x)))
        return self.bn3(self.conv3(x))


@dataclass(frozen=True)
class Section:
    """One row of the paper's Table 1: a name and the modules it applies, in order."""

    name: str
    modules: tuple[nn.Module, ...]

    def __call__(self, x: Tensor) -> Tensor:
        for module in self.modules:
            x = module(x)
        return x


class ResNet(nn.Module):
    """A stem, residual stages and a pooled linear classifier.

    ``stem="imagenet"`` is the paper's 7x7/2 conv and 3x3/2 max pool; ``stem="cifar"`` is
    the single 3x3 conv of the CIFAR-10 nets (He et al. 2015, section 4.2).

    With pre-activation blocks the net follows fb.resnet.torch's ``preresnet.lua`` (He et al.
    2016): the ImageNet stem keeps its BN → activation, so the first block after it does not
    pre-activate again; the CIFAR stem is the conv alone, so the first block does; the first
    block of every later stage pre-activates once for both branches; projections are a 1x1
    conv without BN (their input is already normalised); the net ends with BN → activation →
    pool. One intended difference: option A pads the new channels half before and half after
    the old ones (as the widely used CIFAR implementations do, and as the shipped checkpoints
    were trained), where ``preresnet.lua`` appends them all after.
    """

    def __init__(
        self,
        block: type[ResidualBlock],
        layers: list[int],
        widths: tuple[int, ...] = (64, 128, 256, 512),
        *,
        stem: Literal["imagenet", "cifar"] = "imagenet",
        shortcut: ShortcutOption = "B",
        num_classes: int = 1000,
        in_channels: int = 3,
        groups: int = 1,
        width_per_group: int = 64,
        options: BlockOptions = BlockOptions(),
    ) -> None:
        super().__init__()
        if len(layers) != len(widths):
            raise ValueError("one block count per stage width is needed")
        self.block = block
        self.shortcut_option = shortcut
        self.options = options
        self.groups = groups
        self.base_width = width_per_group
        self.inplanes = widths[0]
        if stem == "imagenet":
            self.conv1 = nn.Conv2d(in_channels, self.inplanes, 7, stride=2, padding=3, bias=False)
            self.maxpool: nn.Module | None = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        else:
            self.conv1 = conv3x3(in_channels, self.inplanes)
            self.maxpool = None
        stem_activates = stem == "imagenet" or not options.preact
        self.bn1 = options.norm(self.inplanes) if stem_activates else None
        self.act = options.act()
        self.stages = [
            self._make_layer(
                width, count, stride=1 if i == 0 else 2, first_input="none" if i == 0 and stem_activates else "both"
            )
            for i, (width, count) in enumerate(zip(widths, layers, strict=True))
        ]
        for i, stage in enumerate(self.stages, start=1):
            self.add_module(f"layer{i}", stage)
        features = widths[-1] * block.expansion
        self.final_norm = options.norm(features) if options.preact else None
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten(1)
        self.fc = nn.Linear(features, num_classes)
        self._init_weights()

    def _shortcut(self, planes: int, stride: int) -> nn.Module | None:
        out = planes * self.block.expansion
        changes_shape = stride != 1 or self.inplanes != out
        if not self.options.skip or not (changes_shape or self.shortcut_option == "C"):
            return None
        if self.shortcut_option == "A" and changes_shape:
            return ZeroPadShortcut(self.inplanes, out, stride)
        projection = conv1x1(self.inplanes, out, stride)
        return nn.Sequential(projection) if self.options.preact else nn.Sequential(projection, self.options.norm(out))

    def _make_layer(self, planes: int, blocks: int, stride: int, first_input: PreactInput) -> nn.Sequential:
        layers = []
        for i in range(blocks):
            block_stride = stride if i == 0 else 1
            downsample = self._shortcut(planes, block_stride)
            layers.append(
                self.block(
                    self.inplanes,
                    planes,
                    block_stride,
                    downsample,
                    self.groups,
                    self.base_width,
                    self.options,
                    preact_input=first_input if i == 0 else "residual",
                )
            )
            self.inplanes = planes * self.block.expansion
        return nn.Sequential(*layers)

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def sections(self) -> list[Section]:
        """The forward pass as the rows of Table 1: conv1, conv2_x, ..., and the pool/fc head."""
        stem = (self.conv1,) if self.bn1 is None else (self.conv1, self.bn1, self.act)
        rows = [Section("conv1", stem)]
        for i, stage in enumerate(self.stages):
            pool = (self.maxpool,) if i == 0 and self.maxpool is not None else ()
            rows.append(Section(f"conv{i + 2}_x", (*pool, *stage)))
        final = (self.final_norm, self.act) if self.final_norm is not None else ()
        rows.append(Section("pool, fc", (*final, self.avgpool, self.flatten, self.fc)))
        return rows

    def blocks(self) -> list[tuple[str, ResidualBlock]]:
        """Every residual block with its state-dict prefix (``layer1.0`` ...), in order."""
        return [(f"layer{i}.{j}", b) for i, s in enumerate(self.stages, 1) for j, b in enumerate(s)]

    def paper_block_names(self) -> list[str]:
        """The paper's names of the blocks, in order: ``conv2_1``, ``conv2_2``, ..."""
        return [f"conv{i + 1}_{j + 1}" for i, s in enumerate(self.stages, 1) for j in range(len(s))]

    def forward(self, x: Tensor) -> Tensor:
        for section in self.sections():
            x = section(x)
        return x


def _imagenet(block: type[ResidualBlock], layers: list[int], **kwargs) -> ResNet:
    return ResNet(block, layers, stem="imagenet", **kwargs)


def resnet18(**kwargs) -> ResNet:
    """ResNet-18 (He et al. 2015, Table 1)."""
    return _imagenet(BasicBlock, [2, 2, 2, 2], **kwargs)


def resnet34(**kwargs) -> ResNet:
    """ResNet-34 (He et al. 2015, Table 1)."""
    return _imagenet(BasicBlock, [3, 4, 6, 3], **kwargs)


def resnet50(**kwargs) -> ResNet:
    """ResNet-50 (He et al. 2015, Table 1)."""
    return _imagenet(Bottleneck, [3, 4, 6, 3], **kwargs)


def resnet101(**kwargs) -> ResNet:
    """ResNet-101 (He et al. 2015, Table 1)."""
    return _imagenet(Bottleneck, [3, 4, 23, 3], **kwargs)


def resnet152(**kwargs) -> ResNet:
    """ResNet-152 (He et al. 2015, Table 1)."""
    return _imagenet(Bottleneck, [3, 8, 36, 3], **kwargs)


def wide_resnet50_2(**kwargs) -> ResNet:
    """Wide ResNet-50-2: bottlenecks twice as wide (Zagoruyko & Komodakis 2016)."""
    return _imagenet(Bottleneck, [3, 4, 6, 3], width_per_group=128, **kwargs)


def wide_resnet101_2(**kwargs) -> ResNet:
    """Wide ResNet-101-2: bottlenecks twice as wide (Zagoruyko & Komodakis 2016)."""
    return _imagenet(Bottleneck, [3, 4, 23, 3], width_per_group=128, **kwargs)


def resnext50_32x4d(**kwargs) -> ResNet:
    """ResNeXt-50 32x4d: 32 groups of width 4 in the 3x3 conv (Xie et al. 2017)."""
    return _imagenet(Bottleneck, [3, 4, 6, 3], groups=32, width_per_group=4, **kwargs)


def resnext101_32x8d(**kwargs) -> ResNet:
    """ResNeXt-101 32x8d: 32 groups of width 8 in the 3x3 conv (Xie et al. 2017)."""
    return _imagenet(Bottleneck, [3, 4, 23, 3], groups=32, width_per_group=8, **kwargs)


def cifar_resnet(depth: int, **kwargs) -> ResNet:
    """CIFAR-10 ResNet of depth 6n+2: 16/32/64 filters on 32/16/8 maps (He et al. 2015, 4.2)."""
    if depth < 8 or (depth - 2) % 6:
        raise ValueError(f"CIFAR ResNet depth must be 6n+2 with n >= 1 (8, 14, 20, ...); got {depth}")
    n = (depth - 2) // 6
    kwargs.setdefault("num_classes", 10)
    kwargs.setdefault("shortcut", "A")
    return ResNet(BasicBlock, [n, n, n], (16, 32, 64), stem="cifar", **kwargs)


IMAGENET_BUILDERS = {
    f.__name__: f
    for f in (
        resnet18,
        resnet34,
        resnet50,
        resnet101,
        resnet152,
        wide_resnet50_2,
        wide_resnet101_2,
        resnext50_32x4d,
        resnext101_32x8d,
    )
}
