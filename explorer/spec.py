"""What model to build: a validated, hashable description of a ResNet variant."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, replace
from typing import Literal

import torch

from explorer.errors import UserError, check_choice, check_range
from explorer.language import Message, lazy
from models import ACTIVATIONS, IMAGENET_BUILDERS, SHORTCUT_OPTIONS, BlockOptions, ResNet, cifar_resnet
from models.resnet import Activation, ShortcutOption

Family = Literal["imagenet", "cifar"]

IMAGENET_MODELS: tuple[str, ...] = tuple(IMAGENET_BUILDERS)
CIFAR_DEPTHS: tuple[int, ...] = (20, 32, 44, 56, 110)
CIFAR_MODELS: tuple[str, ...] = tuple(f"cifar_resnet{d}" for d in CIFAR_DEPTHS)
CIFAR_MAX_DEPTH = 1202
TABLE1_MODELS: tuple[str, ...] = ("resnet18", "resnet34", "resnet50", "resnet101", "resnet152")
BOTTLENECK_MODELS = frozenset(IMAGENET_MODELS) - {"resnet18", "resnet34"}
INPUT_SIZE_LIMITS: dict[Family, tuple[int, int]] = {"imagenet": (32, 4096), "cifar": (8, 4096)}
DEFAULT_INPUT_SIZE: dict[Family, int] = {"imagenet": 224, "cifar": 32}
DEFAULT_CLASSES: dict[Family, int] = {"imagenet": 1000, "cifar": 10}
_CIFAR_NAME = re.compile(r"cifar_resnet(\d+)")
_PRETTY = {
    "wide_resnet50_2": "Wide ResNet-50-2",
    "wide_resnet101_2": "Wide ResNet-101-2",
    "resnext50_32x4d": "ResNeXt-50 32x4d",
    "resnext101_32x8d": "ResNeXt-101 32x8d",
}


class SpecError(UserError):
    """A model description or setting that cannot be built; the message says why in one line."""


def family_of(name: str) -> Family:
    """``imagenet`` or ``cifar`` for a model name; raises SpecError for unknown names."""
    if name in IMAGENET_BUILDERS:
        return "imagenet"
    match = _CIFAR_NAME.fullmatch(name)
    if match:
        depth = int(match.group(1))
        if depth < 8 or depth > CIFAR_MAX_DEPTH or (depth - 2) % 6:
            raise SpecError(
                f"CIFAR ResNet depth must be 6n+2 between 8 and {CIFAR_MAX_DEPTH} (8, 14, 20, 26, ...); got {depth}"
            )
        return "cifar"
    known = [*IMAGENET_MODELS, *CIFAR_MODELS]
    close = difflib.get_close_matches(name, known, n=3)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    raise SpecError(
        f"unknown model {name!r}: {hint}choose one of {', '.join(IMAGENET_MODELS)} "
        f"or cifar_resnetD with D = 6n+2 (e.g. {', '.join(CIFAR_MODELS)})"
    )


@dataclass(frozen=True)
class ModelSpec:
    """A ResNet variant: the model name and every option that changes what is built.

    ``shortcut=None`` means the family's default: option B (projection where the shape
    changes, as torchvision) for ImageNet models, option A (zero-padding) for CIFAR models.
    ``stride_in_1x1`` puts a bottleneck's stride on its first 1x1 conv as in the paper
    ("v1"); the default puts it on the 3x3 conv as torchvision does ("v1.5").
    """

    name: str
    skip: bool = True
    shortcut: ShortcutOption | None = None
    stride_in_1x1: bool = False
    preact: bool = False
    batch_norm: bool = True
    activation: Activation = "relu"
    num_classes: int | None = None

    def __post_init__(self) -> None:
        family_of(self.name)
        if self.shortcut is not None:
            check_choice("shortcut option", self.shortcut, SHORTCUT_OPTIONS)
        check_choice("activation", self.activation, ACTIVATIONS)
        if self.num_classes is not None:
            check_range("number of classes", self.num_classes, 1, 100_000)

    @property
    def family(self) -> Family:
        """``imagenet`` (Table 1 and its relatives) or ``cifar`` (the 6n+2 nets)."""
        return family_of(self.name)

    @property
    def shortcut_option(self) -> ShortcutOption:
        """The shortcut option actually used."""
        return self.shortcut or ("B" if self.family == "imagenet" else "A")

    @property
    def has_bottleneck(self) -> bool:
        """Whether the blocks are bottlenecks (so stride placement matters)."""
        return self.name in BOTTLENECK_MODELS

    @property
    def class_count(self) -> int:
        """How many classes the classifier has: ``num_classes``, or the family's (1000 ImageNet, 10 CIFAR)."""
        return self.num_classes or DEFAULT_CLASSES[self.family]

    @property
    def default_input_size(self) -> int:
        """224 for ImageNet models, 32 for CIFAR models."""
        return DEFAULT_INPUT_SIZE[self.family]

    @property
    def label(self) -> Message:
        """A human name such as ``ResNet-50``, ``plain-34`` or ``ResNet-20 (CIFAR)``, its options said in the reader's
        language (``ResNet-50 (pre-activation)``): a :class:`~explorer.language.Message`, so that results shared
        by sessions of several languages can keep it."""
        if self.family == "cifar":
            depth = self.name.removeprefix("cifar_resnet")
            base = f"{'ResNet' if self.skip else 'plain'}-{depth} (CIFAR)"
        else:
            base = _PRETTY.get(self.name, f"ResNet-{self.name.removeprefix('resnet')}")
            if not self.skip:
                base = base.replace("ResNet", "plain", 1).replace("ResNeXt", "plain ResNeXt", 1)
        extras = (
            *([lazy("pre-activation")] if self.preact else []),
            *([lazy("paper stride (v1)")] if self.stride_in_1x1 and self.has_bottleneck else []),
            *([lazy("option {option}", option=self.shortcut_option)] if self.skip and self.shortcut else []),
            *([lazy("no BN")] if not self.batch_norm else []),
            *([self.activation] if self.activation != "relu" else []),
        )
        return lazy("{net} ({options})", net=base, options=extras) if extras else lazy(base)

    def with_options(self, **changes: object) -> ModelSpec:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)

    def block_options(self) -> BlockOptions:
        """The per-block options this spec implies."""
        return BlockOptions(
            skip=self.skip,
            preact=self.preact,
            batch_norm=self.batch_norm,
            activation=self.activation,
            stride_in_1x1=self.stride_in_1x1,
        )

    def build(self, device: torch.device | str = "cpu") -> ResNet:
        """Build the model, in eval mode, on ``device`` (``"meta"`` builds shapes only)."""
        kwargs: dict = {
            "shortcut": self.shortcut_option,
            "options": self.block_options(),
            "num_classes": self.class_count,
        }
        with torch.device(device):
            if self.family == "imagenet":
                model = IMAGENET_BUILDERS[self.name](**kwargs)
            else:
                model = cifar_resnet(int(self.name.removeprefix("cifar_resnet")), **kwargs)
        return model.eval()


def check_input_size(family: Family, size: int) -> int:
    """Return ``size`` if a model of ``family`` can take square inputs of that side, else raise."""
    low, high = INPUT_SIZE_LIMITS[family]
    return check_range(f"input size for {family} models (pixels)", size, low, high)
