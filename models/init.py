"""Weight initialisation schemes, applied to any model after it is built, and seeded draws that leave the
process's random state alone.

``he`` and ``xavier`` draw from normal distributions and zero the biases; ``default`` is what
PyTorch's own layers do (``reset_parameters()``: kaiming-uniform with a = √5, i.e. weights
uniform in ±1/√fan_in, a third of He's variance). Batch norm always starts as the identity map
(weight 1, bias 0, fresh running statistics).

:func:`seeded` makes every random draw of a block of code come from a private generator: a server's
sessions build seeded models in several threads at once, and seeding torch's one global generator would
hand each of them the others' numbers.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any, Literal

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

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

    Batch norm gets weight 1 and bias 0. With a ``seed`` the result depends only on the seed (the same
    numbers as after ``torch.manual_seed(seed)``) and the global random state is neither read nor changed
    (:func:`seeded`); with ``None`` the global generator is used (and advanced).
    """
    if scheme not in INIT_SCHEMES:  # models/ knows nothing of the explorer's user errors: a caller checks first
        raise ValueError(f"initialisation must be one of {', '.join(INIT_SCHEMES)}; got {scheme!r}")
    with seeded(seed) if seed is not None else nullcontext():
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


# The random draws of torch that take a ``generator``: those whose signature Python can read (``nn.init``'s), and
# the tensor methods and functions written in C++ (whose signature it cannot).
_DRAWS_IN_CPP = frozenset(
    {
        torch.Tensor.uniform_, torch.Tensor.normal_, torch.Tensor.random_, torch.Tensor.bernoulli_,
        torch.Tensor.exponential_, torch.Tensor.cauchy_, torch.Tensor.log_normal_, torch.Tensor.geometric_,
        torch.rand, torch.randn, torch.randint, torch.randperm, torch.normal, torch.bernoulli, torch.multinomial,
    }
)  # fmt: skip


@functools.cache
def _draws(func: Callable[..., Any]) -> bool:
    """Whether ``func`` draws random numbers from a ``generator`` it can be given."""
    if func in _DRAWS_IN_CPP:
        return True
    try:
        return "generator" in inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False


class _PrivateDraws(TorchFunctionMode):
    """Gives every random draw that names no generator of its own the generator ``generator``."""

    def __init__(self, generator: torch.Generator) -> None:
        super().__init__()
        self.generator = generator

    def __torch_function__(
        self, func: Callable[..., Any], types: Any, args: tuple = (), kwargs: dict | None = None
    ) -> Any:
        kwargs = dict(kwargs or {})
        if _draws(func) and kwargs.get("generator") is None:
            kwargs["generator"] = self.generator
        return func(*args, **kwargs)


@contextmanager
def seeded(seed: int) -> Iterator[torch.Generator]:
    """Within the block, and in this thread only, every random draw on the CPU that names no generator of its own
    comes from a private generator seeded with ``seed`` (yielded): the same numbers ``torch.manual_seed(seed)``
    would give, while torch's global generator, shared by every thread of the process, is neither read nor
    advanced. (Torch-function modes are thread-local, so other threads' draws are untouched.)"""
    generator = torch.Generator().manual_seed(seed)
    with _PrivateDraws(generator):
        yield generator
