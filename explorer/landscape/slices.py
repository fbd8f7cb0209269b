"""Loss along filter-normalised random directions around trained weights (Li et al. 2018, §4).

A direction holds one random tensor per weight of the net, drawn from a seeded normal distribution,
with every *filter* (one output channel of a convolution, one row of the linear layer) rescaled to the
norm of the same filter of the trained weights, so that a step of 1 moves each filter by its own size
whatever its scale (batch norm makes a layer blind to that scale). Batch-norm weights and biases get no
direction (zero), as in Li et al.'s code. The loss at θ + α·d₁ + β·d₂ is computed with
``torch.func.functional_call`` on the shared model: the model's own weights are never changed.

A residual net and its plain counterpart have the same weight shapes (option-A shortcuts have none),
so one seed gives them directions drawn from the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.func import functional_call

from models import ResNet

RESOLUTIONS: tuple[int, ...] = (11, 21, 31, 41)
DEFAULT_RESOLUTION = 11
DEFAULT_SPAN = 1.0  # from -span to +span along each direction
MAX_SPAN = 5.0
BATCH_IMAGES = 512  # training images the loss is measured on

Direction = dict[str, Tensor]


def has_direction(name: str, weight: Tensor) -> bool:
    """Whether a parameter gets a random direction: the weights of convolutions and of the linear layer
    (two or more dimensions), not batch-norm weights or any bias."""
    return weight.dim() >= 2 and name.endswith("weight")


def direction(model: ResNet, seed: int) -> Direction:
    """A filter-normalised random direction for ``model``'s parameters (zero where they get none)."""
    generator = torch.Generator().manual_seed(seed)
    chosen: Direction = {}
    for name, weight in model.named_parameters():
        trained = weight.detach().cpu()
        if not has_direction(name, trained):
            chosen[name] = torch.zeros_like(trained)
            continue
        d = torch.randn(trained.shape, generator=generator)
        filters, weight_filters = d.reshape(len(d), -1), trained.reshape(len(trained), -1)
        scale = weight_filters.norm(dim=1) / filters.norm(dim=1).clamp_min(1e-12)
        chosen[name] = (filters * scale[:, None]).reshape(trained.shape)
    device = next(model.parameters()).device
    return {name: d.to(device) for name, d in chosen.items()}


@torch.no_grad()
def loss_at(model: ResNet, images: Tensor, labels: Tensor, steps: Sequence[tuple[float, Direction]] = ()) -> float:
    """The mean cross-entropy of ``model`` (eval mode) on the images with its weights moved by Σ α·d."""
    if model.training:
        raise ValueError("the landscape needs the model in eval mode (batch norm with its running statistics)")
    moved = {
        name: weight + sum((alpha * d[name] for alpha, d in steps), torch.zeros_like(weight))
        for name, weight in model.named_parameters()
    }
    device = next(model.parameters()).device
    logits = functional_call(model, moved, (images.to(device),))
    return float(F.cross_entropy(logits, labels.to(device)))


def axis(resolution: int, span: float) -> list[float]:
    """``resolution`` evenly spaced steps from -span to +span (0 in the middle when the resolution is odd)."""
    if resolution not in RESOLUTIONS:
        raise ValueError(f"resolution must be one of {', '.join(map(str, RESOLUTIONS))}; got {resolution}")
    if not (isinstance(span, int | float) and math.isfinite(span) and 0 < span <= MAX_SPAN):
        raise ValueError(f"span must be above 0 and at most {MAX_SPAN:g}; got {span!r}")
    return [span * (2 * i / (resolution - 1) - 1) for i in range(resolution)]


@dataclass(frozen=True)
class Slice:
    """Losses along one direction (``losses[i]`` at ``alphas[i]``) or over a plane (``losses[j][i]`` at
    ``(alphas[i], betas[j])``), as far as computed (the last row may be partial)."""

    alphas: tuple[float, ...]
    betas: tuple[float, ...]
    losses: tuple[tuple[float, ...], ...]


def line_steps(model: ResNet, images: Tensor, labels: Tensor, d: Direction, alphas: Sequence[float]) -> Iterator[Slice]:
    """The loss along ``d``, one point per step (so a page can show progress and stop)."""
    losses: list[float] = []
    for alpha in alphas:
        losses.append(loss_at(model, images, labels, [(alpha, d)]))
        yield Slice(tuple(alphas), (), (tuple(losses),))


def plane_steps(
    model: ResNet, images: Tensor, labels: Tensor, d1: Direction, d2: Direction, alphas: Sequence[float],
    betas: Sequence[float],
) -> Iterator[Slice]:  # fmt: skip
    """The loss over the plane of ``d1`` and ``d2``, row by row (fixed β), one point per step (the last row
    of what is yielded may be partial)."""
    rows: list[tuple[float, ...]] = []
    for beta in betas:
        row: list[float] = []
        for alpha in alphas:
            row.append(loss_at(model, images, labels, [(alpha, d1), (beta, d2)]))
            yield Slice(tuple(alphas), tuple(betas), (*rows, tuple(row)))
        rows.append(tuple(row))
