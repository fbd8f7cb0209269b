"""The effective receptive field (Luo, Li, Urtasun and Zemel 2016): how strongly each input pixel moves the centre
unit of a block's output, measured as the gradient of that unit with respect to the input.

For every block, one backward pass from the sum over channels of the block's output at its centre position gives
``∂y/∂x``; its absolute value, summed over the input's colour channels and averaged over the images, is the block's
effective field. The forward pass is the explorer's one walk (:func:`explorer.walk.walk`): no hooks,
nothing stored on the model, so sessions can measure one shared model at once.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from explorer.provenance import csv_text
from explorer.receptive_fields.theory import Field, block_fields
from explorer.walk import walk
from models import ResNet

HOLDING = 0.9  # the share of the gradient the reported square holds


@dataclass(frozen=True)
class EffectiveField:
    """One block's effective field: ``gradient`` (H, W) over the input, scaled to sum 1 (all zeros when no gradient
    reached the input), ``total`` the unscaled sum, and the block's theoretical ``field``."""

    field: Field
    gradient: np.ndarray
    total: float

    @property
    def paper_name(self) -> str:
        """The block's paper name, e.g. ``conv3_1``."""
        return self.field.paper_name

    def centre_pixel(self) -> tuple[int, int]:
        """The input pixel (row, column) the centre unit's theoretical field is centred on, inside the image."""
        height, width = self.gradient.shape
        centre = round(self.field.centre())
        return min(max(centre, 0), height - 1), min(max(centre, 0), width - 1)

    def share_within(self, side: int) -> float:
        """The share of the gradient inside the square of ``side`` pixels centred on :meth:`centre_pixel`."""
        row, column = self.centre_pixel()
        half = side // 2
        return float(
            self.gradient[max(row - half, 0) : row + half + 1, max(column - half, 0) : column + half + 1].sum()
        )

    def side_holding(self, share: float = HOLDING) -> int | None:
        """The side (odd, in pixels) of the smallest centred square holding ``share`` of the gradient; None when no
        gradient reached the input."""
        if self.total <= 0:
            return None
        largest = 2 * max(self.gradient.shape) + 1
        return next((side for side in range(1, largest + 1, 2) if self.share_within(side) >= share - 1e-6), largest)


def effective_field_steps(model: ResNet, images: Tensor) -> Iterator[tuple[int, int, list[EffectiveField]]]:
    """Measure every block's effective field on ``images`` (N, 3, H, W, square), one block per step.

    Yields ``(blocks done, blocks in all, fields so far)``. One forward pass is kept for all the backward passes and
    dropped at the end. The model must be in eval mode (running batch-norm statistics).
    """
    if model.training:
        raise ValueError("effective fields need the model in eval mode")
    if images.shape[-1] != images.shape[-2]:
        raise ValueError(f"images must be square; got {tuple(images.shape[-2:])}")
    fields = block_fields(model, images.shape[-1])
    device = next(model.parameters()).device
    x = images.to(device).detach().requires_grad_(True)
    measured: list[EffectiveField] = []
    with torch.enable_grad():
        passes = walk(model, x).blocks
        for i, (field, block) in enumerate(zip(fields, passes, strict=True)):
            h, w = block.output.shape[-2:]
            centre = block.output[:, :, h // 2, w // 2].sum()
            (grad,) = torch.autograd.grad(centre, x, retain_graph=i < len(passes) - 1)
            magnitude = grad.abs().sum(dim=1).mean(dim=0).double().cpu().numpy()
            total = float(magnitude.sum())
            gradient = magnitude / total if total > 0 else np.zeros_like(magnitude)
            measured.append(EffectiveField(field, gradient, total))
            yield i + 1, len(passes), list(measured)


def effective_fields(model: ResNet, images: Tensor) -> list[EffectiveField]:
    """Every block's effective field on ``images``: :func:`effective_field_steps` run to the end."""
    *_, (_, _, fields) = effective_field_steps(model, images)
    return fields


def effective_csv(fields: Mapping[str, Sequence[EffectiveField]], details: Mapping[str, object]) -> str:
    """Every net's fields as CSV: block, theoretical side and jump, the side holding :data:`HOLDING` of the gradient,
    and the unscaled gradient sum; after a ``#`` header block of ``details`` (the nets, the images)."""
    holding = f"side_holding_{HOLDING:g}"
    rows = [
        {"net": label, "block": f.paper_name, "theoretical_side": f.field.size, "jump": f.field.jump,
         holding: f.side_holding(), "gradient_sum": f"{f.total:.6g}"}
        for label, measured in fields.items() for f in measured
    ]  # fmt: skip
    return csv_text(["net", "block", "theoretical_side", "jump", holding, "gradient_sum"], rows, details)


def stage_ends(fields: Sequence[EffectiveField]) -> list[EffectiveField]:
    """The fields of the last block of every stage (``conv2_3``, ``conv3_3``, … for a ResNet-20)."""
    stages = [f.paper_name.split("_")[0] for f in fields]
    return [f for i, f in enumerate(fields) if i == len(fields) - 1 or stages[i + 1] != stages[i]]
