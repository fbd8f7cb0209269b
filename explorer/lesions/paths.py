"""Veit et al. 2016, §5: a residual net of n blocks is a collection of 2^n paths, and most of its gradient
comes from the short ones.

Each block offers two ways through it, its residual branch F and its shortcut, so a path is the set of
blocks whose F it takes; its length is the size of that set, and path lengths follow Binomial(n, ½).
The gradient that flows along paths of length k is measured as in the paper: one normal forward pass,
and in the backward pass k randomly chosen blocks let the gradient through their residual branch only
and every other block through its shortcut only. The norm of what reaches the first block's input is
the gradient of one path of length k; times the number of such paths, C(n, k), it estimates how much
of the whole gradient comes from paths of that length.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from explorer.errors import check_range
from explorer.walk import Branches, walk
from models import ResidualBlock, ResNet

DEFAULT_SAMPLES = 16
DEFAULT_IMAGES = 32  # test images per measurement
MAX_SAMPLES = 200


def path_counts(blocks: int) -> list[int]:
    """How many of the 2^n paths through ``blocks`` residual blocks have each length 0 … n: C(n, k)."""
    return [math.comb(blocks, k) for k in range(blocks + 1)]


def path_share(blocks: int) -> list[float]:
    """The share of all paths that has each length 0 … n: Binomial(n, ½)."""
    return [count / 2**blocks for count in path_counts(blocks)]


@dataclass(frozen=True)
class PathGradients:
    """Per path length k = 0 … n: the norms measured for single paths of that length (one per sample)."""

    blocks: int
    samples: tuple[tuple[float, ...], ...]  # samples[k]: the measured norms for length k (may be empty)

    @property
    def lengths(self) -> list[int]:
        """The path lengths that have been measured."""
        return [k for k, values in enumerate(self.samples) if values]

    def per_path(self) -> list[float]:
        """The mean gradient norm of one path, for each measured length."""
        return [sum(self.samples[k]) / len(self.samples[k]) for k in self.lengths]

    def total(self) -> list[float]:
        """Each measured length's share of the whole gradient: mean norm of one path × C(n, k), normalised."""
        counts = path_counts(self.blocks)
        weighted = [mean * counts[k] for k, mean in zip(self.lengths, self.per_path(), strict=True)]
        whole = sum(weighted)
        return [w / whole if whole > 0 else 0.0 for w in weighted]

    def shortest_holding(self, share: float) -> int:
        """The smallest length m such that paths of length ≤ m carry at least ``share`` of the gradient."""
        running = 0.0
        for k, part in zip(self.lengths, self.total(), strict=True):
            running += part
            if running >= share - 1e-12:
                return k
        return self.lengths[-1]


def _residual_blocks(model: ResNet) -> list[ResidualBlock]:
    blocks = [block for _, block in model.blocks()]
    if not all(block.skip for block in blocks):
        raise ValueError("paths exist only in a residual net: a plain net has one path, through every block")
    return blocks


def path_gradient_vectors(model: ResNet, x: Tensor, y: Tensor, paths: Sequence[Sequence[int]]) -> Tensor:
    """For each path (the blocks whose residual branch it takes; every other block's shortcut), the loss
    gradient that reaches the first block's input along that path alone: (paths, images, channels, height, width).

    The backward pass is linear, so these over all 2^n paths add up to the whole gradient.

    All paths are measured in one pass: the batch is repeated once per path and each copy's gradient is
    gated by its own path (batch norm in eval mode keeps the copies independent). The model must be in
    eval mode.
    """
    if model.training:
        raise ValueError("path gradients need the model in eval mode")
    blocks = _residual_blocks(model)
    copies, batch = len(paths), len(x)
    takes = torch.zeros(len(blocks), copies, device=x.device)
    for copy, path in enumerate(paths):
        takes[list(path), copy] = 1.0

    def gated(position: int, block: ResidualBlock, h: Tensor) -> Branches:
        residual, shortcut = block.branches(h)
        gate = takes[position].repeat_interleave(batch)[:, None, None, None]
        residual = residual * gate + residual.detach() * (1 - gate)
        shortcut = shortcut * (1 - gate) + shortcut.detach() * gate
        return residual, shortcut, block.merge(residual, shortcut)

    with torch.enable_grad():
        walked = walk(model, x, gated, stem=lambda h: h.detach().repeat(copies, 1, 1, 1).requires_grad_(True))
        loss = F.cross_entropy(walked.logits, y.repeat(copies), reduction="sum") / batch
        (grad,) = torch.autograd.grad(loss, walked.stem)
    return grad.reshape(copies, batch, *walked.stem.shape[1:])


def path_gradient(model: ResNet, x: Tensor, y: Tensor, paths: Sequence[Sequence[int]]) -> list[float]:
    """The norm of each path's gradient (see :func:`path_gradient_vectors`)."""
    return path_gradient_vectors(model, x, y, paths).reshape(len(paths), -1).norm(dim=1).tolist()


def path_gradient_steps(
    model: ResNet, x: Tensor, y: Tensor, samples: int = DEFAULT_SAMPLES, lengths: Sequence[int] | None = None,
    seed: int = 0,
) -> Iterator[PathGradients]:  # fmt: skip
    """Measure ``samples`` random paths of every length in ``lengths`` (default 0 … n), one length at a time
    (one pass each); yields the measurements so far after each length (so a page can show progress and stop)."""
    check_range("samples", samples, 1, MAX_SAMPLES)
    n = len(_residual_blocks(model))
    wanted = range(n + 1) if lengths is None else lengths
    device = next(model.parameters()).device
    x, y = x.to(device), y.to(device)
    rng = random.Random(seed)
    measured: list[list[float]] = [[] for _ in range(n + 1)]
    for k in wanted:
        paths = [rng.sample(range(n), k) for _ in range(min(samples, math.comb(n, k)))]
        measured[k] = path_gradient(model, x, y, paths)
        yield PathGradients(n, tuple(tuple(values) for values in measured))


def path_gradients(
    model: ResNet, x: Tensor, y: Tensor, samples: int = DEFAULT_SAMPLES, lengths: Sequence[int] | None = None,
    seed: int = 0,
) -> PathGradients:  # fmt: skip
    """The gradient carried by paths of each length: see :func:`path_gradient_steps`."""
    *_, result = path_gradient_steps(model, x, y, samples, lengths, seed)
    return result
