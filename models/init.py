"""Weight initialisation schemes, applied to any model after it is built.

``he`` and ``xavier`` draw from normal distributions and zero the biases; ``default`` is what
PyTorch's own layers do (``reset_parameters()``: kaiming-uniform with a = √5, i.e. weights
uniform in ±1/√fan_in, a third of He's variance). Batch norm always starts as the identity map
(weight 1, bias 0, fresh running statistics).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

import torch
from torch import nn

InitScheme = Literal["he", "xavier", "default"]
INIT_SCHEMES: tuple[InitScheme, ...] = ("he", "xavier", "default")


def initialize(model: nn.Module, scheme: InitScheme, seed: int | None = None) -> None:
    """Re-initialise every convolution, linear and batch-norm layer of ``model`` in place.

    * ``he``: kaiming normal, std = √(2 / fan_in) (``mode="fan_in"``). With fan_in the forward
      variance is kept, and so is the *norm* of the backward signal of a plain ReLU net, also
      across the CIFAR stage transitions (channels ×2, map area ÷4); ``fan_out`` would halve
      the gradient norm at each transition. Biases are zeroed.
    * ``xavier``: Glorot normal, std = √(2 / (fan_in + fan_out)), gain 1. Biases are zeroed.
    * ``default``: each layer's own ``reset_parameters()`` (PyTorch's kaiming-uniform, a = √5).

    Batch norm gets weight 1 and bias 0. With a ``seed`` the result depends only on the seed and
    the global random state is left as it was (``torch.random.fork_rng``); with ``None`` the
    global generator is used (and advanced).
    """
    if scheme not in INIT_SCHEMES:
        raise ValueError(f"initialisation must be one of {', '.join(INIT_SCHEMES)}; got {scheme!r}")
    with _seeded(seed):
        for module in model.modules():
            if isinstance(module, nn.Conv2d | nn.Linear):
                _init_layer(module, scheme)
            elif isinstance(module, nn.BatchNorm1d | nn.BatchNorm2d | nn.BatchNorm3d):
                module.reset_parameters()


def _init_layer(layer: nn.Conv2d | nn.Linear, scheme: InitScheme) -> None:
    """One weighted layer under ``scheme``."""
    if scheme == "default":
        layer.reset_parameters()
        return
    if scheme == "he":
        nn.init.kaiming_normal_(layer.weight, mode="fan_in", nonlinearity="relu")
    else:
        nn.init.xavier_normal_(layer.weight)
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)


@contextmanager
def _seeded(seed: int | None) -> Iterator[None]:
    """Run the block with every random generator forked and seeded by ``seed`` (or untouched)."""
    if seed is None:
        yield
        return
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        yield
