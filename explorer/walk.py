"""The one walk over a model's blocks: its forward pass row by row, every block through ``branches``/``merge``.

Everything that needs what the blocks do calls :func:`walk`: the trace (Grad-CAM of every block), the gradient
lab's per-layer profiles, lesions (blocks deleted or reordered), paths (gradients gated block by block) and the
effective receptive fields. The walk registers no hooks and writes nothing to the model, so any number of
sessions can walk one shared model at the same time.

At each block a *step* decides what runs there: by default the block itself (:func:`through`), or another block,
what a deleted block leaves behind, or the branches with their gradients gated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import Tensor

from models import ResidualBlock, ResNet


@dataclass(frozen=True)
class BlockPass:
    """What one block position computed in a walk.

    ``residual`` is F(x) (None where the step ran no residual branch, as for a deleted block) and ``shortcut``
    the shortcut branch (None in a plain block). In a walk the tensors are attached to the autograd graph; in a
    :class:`~explorer.trace.Trace` they are detached and ``grad`` holds d(explained score) / d(output).
    """

    position: int  # 0 = the first block
    name: str  # state-dict prefix, e.g. "layer2.0"
    paper_name: str  # e.g. "conv3_1"
    input: Tensor
    residual: Tensor | None
    shortcut: Tensor | None
    output: Tensor
    grad: Tensor | None = None


Branches = tuple[Tensor | None, Tensor | None, Tensor]  # residual, shortcut, output
Step = Callable[[int, ResidualBlock, Tensor], Branches]


def through(position: int, block: ResidualBlock, x: Tensor) -> Branches:
    """The block itself: its residual branch, its shortcut and their merge (what ``block(x)`` computes)."""
    residual, shortcut = block.branches(x)
    return residual, shortcut, block.merge(residual, shortcut)


@dataclass(frozen=True)
class Walk:
    """The result of :func:`walk`: the logits, the stem's output (after ``stem``) and every block position's pass."""

    logits: Tensor
    stem: Tensor
    blocks: tuple[BlockPass, ...]

    @property
    def outputs(self) -> list[Tensor]:
        """The stem's output and every block's output, in order."""
        return [self.stem, *(b.output for b in self.blocks)]


def walk(model: ResNet, x: Tensor, step: Step = through, stem: Callable[[Tensor], Tensor] | None = None) -> Walk:
    """Run ``model`` on ``x`` row by row (its ``sections()``), calling ``step(position, block, input)`` at every
    block; ``stem``, when given, transforms the stem's output before the blocks see it (a detached copy to take
    gradients at, say). Nothing is registered on or written to the model."""
    names = [name for name, _ in model.blocks()]
    paper = model.paper_block_names()
    first, *rest = model.sections()
    h = start = first(x) if stem is None else stem(first(x))
    passes: list[BlockPass] = []
    for section in rest:
        for module in section.modules:
            if isinstance(module, ResidualBlock):
                position = len(passes)
                residual, shortcut, out = step(position, module, h)
                passes.append(BlockPass(position, names[position], paper[position], h, residual, shortcut, out))
                h = out
            else:
                h = module(h)
    return Walk(h, start, tuple(passes))
