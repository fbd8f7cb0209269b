"""A model with blocks deleted or reordered, as a walk over the shared model: no copy, no hooks.

:func:`forward` is the explorer's one walk (:func:`explorer.walk.walk`) with a step that may run another
block at a position (a reordering) or only what a deleted block leaves behind. Nothing is written to
the model, so any number of sessions can lesion one shared, cached model at the same time, and a
lesion of no blocks computes exactly what the intact model does.

What a deleted block leaves behind (Veit et al. 2016, §4): a residual block's shortcut, that is its
input itself, or, where the block changes the shape (the first block of a stage), its projection or
zero-padding, which has to stay for the next block to fit. A plain block has no shortcut: deleting
it passes its input on where the shape allows, and where the block changes the shape the input is
subsampled and padded with zero channels (option A, no parameters) -- the least a plain net needs to
go on at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import torch
from torch import Tensor

from explorer.errors import UserError, check_range
from explorer.walk import Branches, through, walk
from models import ResidualBlock, ResNet
from models.resnet import ZeroPadShortcut


@dataclass(frozen=True)
class Lesion:
    """Which blocks are deleted and in which order the rest run, by block index (0 = the first block).

    ``order[p]`` is the block that runs at position ``p``; ``None`` keeps the model's own order.
    """

    deleted: frozenset[int] = frozenset()
    order: tuple[int, ...] | None = None

    @staticmethod
    def delete(blocks: Iterable[int]) -> Lesion:
        """The lesion that deletes ``blocks`` and keeps the order."""
        return Lesion(frozenset(blocks))

    @staticmethod
    def swap(pairs: Iterable[int], count: int) -> Lesion:
        """Of ``count`` blocks, swap each block ``p`` in ``pairs`` with block ``p + 1``, one swap after the other."""
        order = list(range(count))
        for p in pairs:
            order[p], order[p + 1] = order[p + 1], order[p]
        return Lesion(order=tuple(order))

    def check(self, count: int) -> None:
        """Raise UserError unless this lesion fits a model of ``count`` blocks."""
        for block in sorted(self.deleted):
            check_range("a deleted block", block, 0, count - 1)
        if self.order is not None and sorted(self.order) != list(range(count)):
            raise UserError(f"the order must hold every block from 0 to {count - 1} once")


def changes_shape(block: ResidualBlock) -> bool:
    """Whether the block's output differs in shape from its input (a stride or a change of width)."""
    convs = block.branch_convs()
    strided = any(conv.stride != (1, 1) for conv in convs)
    return strided or convs[0].in_channels != convs[-1].out_channels


def bypass(block: ResidualBlock, x: Tensor) -> Tensor:
    """What is left of ``block`` when it is deleted: its shortcut, or for a plain block x itself (or x
    subsampled and zero-padded where the block changes the shape)."""
    if block.skip:
        return block.shortcut(x)
    if not changes_shape(block):
        return x
    convs = block.branch_convs()
    stride = max(max(conv.stride) for conv in convs)
    return ZeroPadShortcut(convs[0].in_channels, convs[-1].out_channels, stride)(x)


def deletable(model: ResNet) -> list[int]:
    """Every block index: all blocks can be deleted (those that change the shape keep their shortcut)."""
    return list(range(len(model.blocks())))


def swappable(model: ResNet) -> list[int]:
    """Positions ``p`` where blocks ``p`` and ``p + 1`` can trade places: same stage, neither changes the shape."""
    blocks = [block for _, block in model.blocks()]
    stage_of = [i for i, stage in enumerate(model.stages) for _ in stage]
    return [
        p
        for p in range(len(blocks) - 1)
        if stage_of[p] == stage_of[p + 1] and not changes_shape(blocks[p]) and not changes_shape(blocks[p + 1])
    ]


def forward(model: ResNet, x: Tensor, lesion: Lesion = Lesion()) -> Tensor:
    """The logits of ``model`` on ``x`` with ``lesion`` applied (the model itself is not changed)."""
    blocks = [block for _, block in model.blocks()]
    lesion.check(len(blocks))
    order = lesion.order or tuple(range(len(blocks)))

    def step(position: int, _block: ResidualBlock, h: Tensor) -> Branches:
        chosen = order[position]
        if chosen in lesion.deleted:
            return None, None, bypass(blocks[chosen], h)
        return through(position, blocks[chosen], h)

    return walk(model, x, step).logits


@torch.no_grad()
def predict(model: ResNet, images: Tensor, lesion: Lesion = Lesion(), batch_size: int = 500) -> Tensor:
    """The predicted class of every image under ``lesion``, on the CPU; the model must be in eval mode."""
    if model.training:
        raise ValueError("lesions need the model in eval mode (batch norm with its running statistics)")
    device = next(model.parameters()).device
    chunks = [
        forward(model, images[start : start + batch_size].to(device), lesion).argmax(dim=1).cpu()
        for start in range(0, len(images), batch_size)
    ]
    return torch.cat(chunks)


def error(model: ResNet, images: Tensor, labels: Tensor, lesion: Lesion = Lesion()) -> float:
    """The share of ``images`` misclassified under ``lesion``."""
    return float((predict(model, images, lesion) != labels.cpu()).float().mean())


def block_labels(model: ResNet) -> list[str]:
    """How the page names each block: its paper name, marked where it changes the shape."""
    names = model.paper_block_names()
    return [
        f"{name} ↓" if changes_shape(block) else name for name, (_, block) in zip(names, model.blocks(), strict=True)
    ]
