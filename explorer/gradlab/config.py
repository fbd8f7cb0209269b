"""A gradient-lab setting, and the two nets it describes (plain and residual, same weights).

Two CIFAR-style nets of depth 6n+2, plain and residual, with the same width, initialisation,
seed and data order: :func:`build_pair` makes them and :func:`training_data` is the stream of
batches both see.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Literal

import torch
from torch import Tensor

from explorer.errors import check_choice, check_range
from explorer.gradlab.data import DATA_KINDS, IMAGE_SIZES, NUM_CLASSES, DataKind, batches, dataset
from explorer.language import N_
from explorer.spec import ModelSpec
from models import ACTIVATIONS, ResNet
from models.init import INIT_SCHEMES, InitScheme, initialize, seeded
from models.resnet import Activation

Optimiser = Literal["sgd", "adam"]
OPTIMISERS: tuple[Optimiser, ...] = ("sgd", "adam")
NETS: tuple[str, str] = (N_("plain"), N_("residual"))  # names, said in the reader's language where shown
MIN_DEPTH, MAX_DEPTH = 8, 110
MAX_LR = 10.0
MAX_BATCH = 1024
MAX_STEPS = 5000
STEM = "conv1"

PROFILE_IMAGE_SIZE = 32  # profiles at initialisation: on smaller maps zero padding distorts the 3x3 convolutions
DEMO_DEPTHS: tuple[int, int] = (20, 56)
DEMO_LR = 0.05
DEMO_BATCH = 64


@dataclass(frozen=True)
class GradLabConfig:
    """One gradient-lab setting; invalid values raise a UserError with a one-line message.

    ``skip`` chooses the net :func:`build` makes; :func:`train` always trains both. ``momentum``
    applies to SGD only. ``image_size`` is the side of the (3, S, S) inputs: the 8×8 digits are
    enlarged by pixel repetition for 16 or 32.
    """

    depth: int = 20
    skip: bool = True
    batch_norm: bool = True
    preact: bool = False
    activation: Activation = "relu"
    init: InitScheme = "he"
    optimiser: Optimiser = "sgd"
    lr: float = DEMO_LR
    momentum: float = 0.9
    batch_size: int = DEMO_BATCH
    steps: int = 300
    data: DataKind = "digits"
    image_size: int = 8
    seed: int = 0

    def __post_init__(self) -> None:
        check_choice("depth (6n+2)", self.depth, range(MIN_DEPTH, MAX_DEPTH + 1, 6))
        for name in ("skip", "batch_norm", "preact"):
            check_choice(name.replace("_", " "), getattr(self, name), (True, False))
        check_choice("activation", self.activation, tuple(ACTIVATIONS))
        check_choice("initialisation", self.init, INIT_SCHEMES)
        check_choice("optimiser", self.optimiser, OPTIMISERS)
        check_choice("data", self.data, DATA_KINDS)
        check_choice("image size", self.image_size, IMAGE_SIZES)
        check_range("learning rate", self.lr, 0, MAX_LR, whole=False, above_low=True)
        check_range("momentum", self.momentum, 0, 0.999, whole=False)
        check_range("batch size", self.batch_size, 1, MAX_BATCH)
        check_range("steps", self.steps, 0, MAX_STEPS)
        check_range("seed", self.seed, 0, 2**63 - 1)

    @property
    def spec(self) -> ModelSpec:
        """The model this config describes (CIFAR stem, option-A shortcuts, 10 classes)."""
        return ModelSpec(
            f"cifar_resnet{self.depth}",
            skip=self.skip,
            batch_norm=self.batch_norm,
            activation=self.activation,
            preact=self.preact,
            num_classes=NUM_CLASSES,
        )

    @property
    def label(self) -> str:
        """``ResNet-20`` or ``plain-20``."""
        return net_label(self.skip, self.depth)


def net_label(skip: bool, depth: int) -> str:
    """``ResNet-D`` for a net with shortcuts, ``plain-D`` without."""
    return f"{'ResNet' if skip else 'plain'}-{depth}"


def build(config: GradLabConfig, device: torch.device | str = "cpu") -> ResNet:
    """The net of ``config``, initialised with its scheme and seed, in training mode, on ``device``.

    A plain and a residual net built from the same config get identical weights: option-A
    shortcuts have no parameters, so both draw the same tensors in the same order. The weights
    are drawn on the CPU and then moved, so they are the same on every device. The global random
    state is left as it was.
    """
    with seeded(config.seed):  # the layers' own initialisation, replaced below, without the global generator
        model = config.spec.build("cpu")
    initialize(model, config.init, seed=config.seed)
    return model.to(device).train()


def build_pair(config: GradLabConfig, device: torch.device | str = "cpu") -> dict[str, ResNet]:
    """``{"plain": ..., "residual": ...}``: the two nets of ``config``, differing only in the shortcuts."""
    return {name: build(replace(config, skip=name == "residual"), device) for name in NETS}


def training_data(config: GradLabConfig) -> Iterator[tuple[Tensor, Tensor]]:
    """The endless, seeded stream of training batches of ``config`` (the same for both nets)."""
    return batches(*dataset(config.data, config.image_size, config.seed), config.batch_size, config.seed)


def probe_batch(config: GradLabConfig) -> tuple[Tensor, Tensor]:
    """The first training batch of ``config``: the batch the profiles at initialisation use."""
    return next(training_data(config))
