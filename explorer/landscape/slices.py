"""Loss along filter-normalised random directions around trained weights (Li et al. 2018, §4).

A direction holds one random tensor per weight of the net, drawn from a seeded normal distribution,
with every *filter* (one output channel of a convolution, one row of the linear layer) rescaled to the
norm of the same filter of the trained weights, so that a step of 1 moves each filter by its own size
whatever its scale (batch norm makes a layer blind to that scale). Batch-norm weights and biases get no
direction (zero), as in Li et al.'s code. The loss at θ + α·d₁ + β·d₂ is computed on a :class:`Probe`, a
private copy of the net that one job moves point by point: the shared net, which other sessions are running at
the same moment, is never changed (not even for the duration of one pass).

A residual net and its plain counterpart have the same weight shapes (option-A shortcuts have none),
so one seed gives them directions drawn from the same numbers.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from explorer.errors import check_choice, check_range
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
def loss_at(model: ResNet, images: Tensor, labels: Tensor) -> float:
    """The mean cross-entropy of ``model`` (eval mode: batch norm with its running statistics) on the images."""
    if model.training:
        raise ValueError("the landscape needs the model in eval mode (batch norm with its running statistics)")
    device = next(model.parameters()).device
    return float(F.cross_entropy(model(images.to(device)), labels.to(device)))


class Probe:
    """A private copy of a trained net whose weights one job moves to θ + Σ α·d, point after point.

    The copy is made once per job (a CIFAR ResNet-56 is 3 MB); the net it copies, shared by every session, is only
    read, so a session running it meanwhile sees the trained weights every time.
    """

    def __init__(self, model: ResNet) -> None:
        self.model = copy.deepcopy(model).requires_grad_(False).eval()
        self.trained = {name: weight.detach().clone() for name, weight in self.model.named_parameters()}

    @torch.no_grad()
    def loss(self, images: Tensor, labels: Tensor, steps: Sequence[tuple[float, Direction]] = ()) -> float:
        """The loss at θ + Σ α·d (θ the trained weights; no steps: θ itself)."""
        for name, weight in self.model.named_parameters():
            trained = self.trained[name]
            weight.copy_(trained + sum((alpha * d[name] for alpha, d in steps), torch.zeros_like(trained)))
        return loss_at(self.model, images, labels)


def axis(resolution: int, span: float) -> list[float]:
    """``resolution`` evenly spaced steps from -span to +span (0 in the middle when the resolution is odd)."""
    check_choice("resolution", resolution, RESOLUTIONS)
    check_range("span", span, 0, MAX_SPAN, whole=False, above_low=True)
    return [span * (2 * i / (resolution - 1) - 1) for i in range(resolution)]


@dataclass(frozen=True)
class Slice:
    """Losses along one direction (``losses[i]`` at ``alphas[i]``) or over a plane (``losses[j][i]`` at
    ``(alphas[i], betas[j])``), as far as computed (the last row may be partial)."""

    alphas: tuple[float, ...]
    betas: tuple[float, ...]
    losses: tuple[tuple[float, ...], ...]


def line_steps(probe: Probe, images: Tensor, labels: Tensor, d: Direction, alphas: Sequence[float]) -> Iterator[Slice]:
    """The loss along ``d``, one point per step (so a page can show progress and stop)."""
    losses: list[float] = []
    for alpha in alphas:
        losses.append(probe.loss(images, labels, [(alpha, d)]))
        yield Slice(tuple(alphas), (), (tuple(losses),))


def plane_steps(
    probe: Probe, images: Tensor, labels: Tensor, d1: Direction, d2: Direction, alphas: Sequence[float],
    betas: Sequence[float],
) -> Iterator[Slice]:  # fmt: skip
    """The loss over the plane of ``d1`` and ``d2``, row by row (fixed β), one point per step (the last row
    of what is yielded may be partial)."""
    rows: list[tuple[float, ...]] = []
    for beta in betas:
        row: list[float] = []
        for alpha in alphas:
            row.append(probe.loss(images, labels, [(alpha, d1), (beta, d2)]))
            yield Slice(tuple(alphas), tuple(betas), (*rows, tuple(row)))
        rows.append(tuple(row))
