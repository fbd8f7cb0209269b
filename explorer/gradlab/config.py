"""A gradient-lab setting, and the two nets it describes (plain and residual, same weights).

Two CIFAR-style nets of depth 6n+2, plain and residual, with the same width, initialisation,
seed and data order: :func:`build_pair` makes them and :func:`training_data` is the stream of
batches both see.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import torch
from torch import Tensor

from explorer.gradlab.data import DATA_KINDS, IMAGE_SIZES, NUM_CLASSES, DataKind, batches, dataset
from explorer.spec import ModelSpec, SpecError
from models import ACTIVATIONS, ResNet
from models.init import INIT_SCHEMES, InitScheme, initialize, seeded
from models.resnet import Activation

Optimiser = Literal["sgd", "adam"]
OPTIMISERS: tuple[Optimiser, ...] = ("sgd", "adam")
NETS: tuple[str, str] = ("plain", "residual")
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
    """One gradient-lab setting; invalid values raise :class:`SpecError` with a one-line message.

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
        if not _whole(self.depth) or not MIN_DEPTH <= self.depth <= MAX_DEPTH or (self.depth - 2) % 6:
            raise SpecError(
                f"depth must be 6n+2 from {MIN_DEPTH} to {MAX_DEPTH} (8, 14, 20, ..., 56, ..., 110); got {self.depth!r}"
            )
        for name in ("skip", "batch_norm", "preact"):
            if not isinstance(getattr(self, name), bool):
                raise SpecError(f"{name.replace('_', ' ')} must be true or false; got {getattr(self, name)!r}")
        _choice("activation", self.activation, tuple(ACTIVATIONS))
        _choice("initialisation", self.init, INIT_SCHEMES)
        _choice("optimiser", self.optimiser, OPTIMISERS)
        _choice("data", self.data, DATA_KINDS)
        _choice("image size", self.image_size, IMAGE_SIZES)
        if not _real(self.lr) or not 0 < self.lr <= MAX_LR:
            raise SpecError(f"learning rate must be a number above 0 and at most {MAX_LR:g}; got {self.lr!r}")
        if not _real(self.momentum) or not 0 <= self.momentum < 1:
            raise SpecError(f"momentum must be a number from 0 up to (not including) 1; got {self.momentum!r}")
        if not _whole(self.batch_size) or not 1 <= self.batch_size <= MAX_BATCH:
            raise SpecError(f"batch size must be a whole number from 1 to {MAX_BATCH}; got {self.batch_size!r}")
        if not _whole(self.steps) or not 0 <= self.steps <= MAX_STEPS:
            raise SpecError(f"steps must be a whole number from 0 to {MAX_STEPS}; got {self.steps!r}")
        if not _whole(self.seed) or not 0 <= self.seed < 2**63:
            raise SpecError(f"seed must be a whole number from 0 to 2**63 - 1; got {self.seed!r}")

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


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _real(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _choice(name: str, value: object, allowed: Sequence[object]) -> None:
    if value not in allowed or isinstance(value, bool):
        raise SpecError(f"{name} must be one of {', '.join(map(str, allowed))}; got {value!r}")


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
