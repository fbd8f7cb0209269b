"""The profile of the backward signal: per-layer gradient norms of one batch.

For one batch, :func:`layer_gradients` measures at the stem and at every block the norm of the
gradient of the loss with respect to the layer's *output* (the backward signal), the norm of the
gradient with respect to the layer's *parameters*, and the standard deviation of the output.

Models are walked by the explorer's one walk (:func:`explorer.walk.walk`), with no module hooks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from explorer.gradlab.config import NETS, STEM, GradLabConfig, build, probe_batch
from explorer.walk import walk
from models import ResNet


@dataclass(frozen=True)
class LayerGradient:
    """The stem (``conv1``) or one block (``layer2.0`` ...) on one batch.

    ``signal`` is ‖∂L/∂output‖, the backward signal leaving the layer towards the input;
    ``weight`` is ‖∂L/∂θ‖ over the layer's ``parameters`` weights (convolutions and batch norm);
    ``relative`` is ‖∂L/∂W‖ / ‖W‖ over the layer's convolution kernels, how far one step moves them
    (for a layer followed by batch norm, which ignores the kernels' scale, this is what counts);
    ``activation_std`` is the standard deviation of the layer's output.
    """

    name: str
    signal: float
    weight: float
    relative: float
    activation_std: float
    parameters: int

    @property
    def weight_rms(self) -> float:
        """The root-mean-square gradient of one weight: ``weight`` / √``parameters``.

        Blocks of the last CIFAR stage hold 16 times as many weights as those of the first, so
        this, not ``weight``, is the figure to compare between stages.
        """
        return self.weight / math.sqrt(self.parameters)


@dataclass(frozen=True)
class GradientProfile:
    """The cross-entropy loss of a batch and one :class:`LayerGradient` per layer, stem first."""

    loss: float
    layers: tuple[LayerGradient, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """Layer names, stem first."""
        return tuple(layer.name for layer in self.layers)

    @property
    def signal(self) -> tuple[float, ...]:
        """Gradient norms with respect to the layers' outputs (activations)."""
        return tuple(layer.signal for layer in self.layers)

    @property
    def weight(self) -> tuple[float, ...]:
        """Gradient norms with respect to the layers' parameters (weights)."""
        return tuple(layer.weight for layer in self.layers)

    @property
    def weight_rms(self) -> tuple[float, ...]:
        """Root-mean-square gradient of one weight, per layer."""
        return tuple(layer.weight_rms for layer in self.layers)

    @property
    def relative(self) -> tuple[float, ...]:
        """‖∂L/∂W‖ / ‖W‖ of the layers' convolution kernels."""
        return tuple(layer.relative for layer in self.layers)

    @property
    def activation_std(self) -> tuple[float, ...]:
        """Standard deviations of the layers' outputs (the forward signal)."""
        return tuple(layer.activation_std for layer in self.layers)


def layer_groups(model: ResNet) -> list[tuple[str, list[nn.Parameter]]]:
    """The stem and every block with its parameters, in forward order."""
    stem = model.sections()[0]
    return [
        (STEM, [p for module in stem.modules for p in module.parameters()]),
        *((name, list(block.parameters())) for name, block in model.blocks()),
    ]


def group_norms(tensors: Sequence[Tensor], group_of: Tensor, groups: int) -> Tensor:
    """Per group, the norm of all its tensors together: one foreach norm and one scatter-add."""
    squares = torch.stack(torch._foreach_norm(list(tensors))).square()
    return squares.new_zeros(groups).index_add_(0, group_of, squares).sqrt()


def group_index(groups: Sequence[tuple[str, list[nn.Parameter]]], device: torch.device) -> Tensor:
    """For each parameter, in group order, the index of its group."""
    return torch.tensor([i for i, (_, params) in enumerate(groups) for _ in params], device=device)


def layer_gradients(model: ResNet, x: Tensor, y: Tensor) -> GradientProfile:
    """One forward and one backward pass of the cross-entropy of ``(x, y)``, measured per layer.

    The gradients come from ``torch.autograd.grad``: nothing is written to the parameters'
    ``.grad`` and no hooks are registered. The model is used in its current mode; in training
    mode batch norm uses the batch's statistics and, as any training forward, updates its
    running statistics.
    """
    groups = layer_groups(model)
    params = [p for _, group in groups for p in group]
    with torch.enable_grad():
        walked = walk(model, x)
        logits, outputs = walked.logits, walked.outputs
        loss = F.cross_entropy(logits, y)
        grads = torch.autograd.grad(loss, [*outputs, *params])
    signal = torch.stack(torch._foreach_norm(list(grads[: len(outputs)])))
    weight_grads = grads[len(outputs) :]
    weight = group_norms(weight_grads, group_index(groups, signal.device), len(groups))
    kernels = [(g, p) for g, p in zip(weight_grads, params, strict=True) if p.dim() > 1]  # convolution weights
    kernel_groups = [(name, [p for p in group if p.dim() > 1]) for name, group in groups]
    kernel_index = group_index(kernel_groups, signal.device)
    moved = group_norms([g for g, _ in kernels], kernel_index, len(groups))
    size = group_norms([p.detach() for _, p in kernels], kernel_index, len(groups))
    std = torch.stack([out.detach().std() for out in outputs])
    sizes = [sum(p.numel() for p in group) for _, group in groups]
    columns = torch.stack([signal, weight, moved / size, std]).tolist()
    rows = zip((name for name, _ in groups), *columns, sizes, strict=True)
    return GradientProfile(loss.item(), tuple(LayerGradient(*row) for row in rows))


def first_to_last_ratio(
    profile: GradientProfile, quantity: Literal["signal", "weight", "weight_rms", "relative"] = "signal"
) -> float:
    """How much the gradient grows (> 1) or vanishes (< 1) from the last block back to the first.

    For ``signal`` (gradient w.r.t. activations): ‖∂L/∂x‖ entering the first block (x = the stem's
    output) over ‖∂L/∂y‖ at the last block's output, so every block's backward Jacobian counts.
    For ``weight``, ``weight_rms`` and ``relative`` (gradient w.r.t. parameters): the first block's
    figure over the last block's. docs/reference.md's depth-20 table is reproduced (within a factor of 3,
    except the residual net without batch norm) on one batch of 64 standard-normal 3×32×32
    images with random labels: ``probe_batch(GradLabConfig(data="random", image_size=32))``.
    """
    values = getattr(profile, quantity)
    first = values[0] if quantity == "signal" else values[1]
    return first / values[-1]


def initial_profile(config: GradLabConfig, net: str, device: torch.device | str = "cpu") -> GradientProfile:
    """The profile of ``config``'s ``plain`` or ``residual`` net at initialisation, on its probe batch."""
    x, y = (t.to(device) for t in probe_batch(config))
    return layer_gradients(build(replace(config, skip=net == "residual"), device), x, y)


def initial_profiles(config: GradLabConfig, device: torch.device | str = "cpu") -> dict[str, GradientProfile]:
    """The profiles of the plain and the residual net of ``config`` at initialisation, on its probe batch."""
    return {net: initial_profile(config, net, device) for net in NETS}
