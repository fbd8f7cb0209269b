"""ResNet builders: the ImageNet family, the CIFAR-10 family, and their plain counterparts."""

from models.init import INIT_SCHEMES, InitScheme, initialize, seeded
from models.resnet import (
    ACTIVATIONS,
    IMAGENET_BUILDERS,
    SHORTCUT_OPTIONS,
    BasicBlock,
    BlockOptions,
    Bottleneck,
    ResidualBlock,
    ResNet,
    Section,
    ZeroPadShortcut,
    cifar_resnet,
)

__all__ = [
    "ACTIVATIONS",
    "IMAGENET_BUILDERS",
    "INIT_SCHEMES",
    "SHORTCUT_OPTIONS",
    "BasicBlock",
    "BlockOptions",
    "Bottleneck",
    "InitScheme",
    "ResNet",
    "ResidualBlock",
    "Section",
    "ZeroPadShortcut",
    "cifar_resnet",
    "initialize",
    "seeded",
]
