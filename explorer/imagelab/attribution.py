"""Attribution to the input pixels beside the one-pass Grad-CAM: Guided Grad-CAM, Integrated Gradients and
Occlusion, computed here step by step (so a page shows progress and can stop them); the tests check each against
captum's own.

None of them registers a hook or changes a module: the models are shared by every browser session, and a hook
on a shared model (captum's way) would reach into every other session's passes. Guided backpropagation changes
only what the ReLUs pass backwards, and does so for the passes of one thread (:func:`guided_relus`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.overrides import TorchFunctionMode

from explorer.errors import check_choice
from explorer.language import N_
from explorer.trace import grad_cam
from explorer.walk import walk
from models import ResNet


class _GuidedReLU(torch.autograd.Function):
    """ReLU forward; backward, only the positive gradient where the input was positive (Springenberg et al. 2015)."""

    @staticmethod
    def forward(ctx: Any, x: Tensor) -> Tensor:
        out = x.clamp(min=0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (out,) = ctx.saved_tensors
        return torch.where(out > 0, grad.clamp(min=0), 0)


class _GuidedReLUs(TorchFunctionMode):
    """Every ReLU computed while this mode is on is a guided one."""

    def __torch_function__(
        self, func: Callable[..., Any], types: Any, args: tuple = (), kwargs: dict | None = None
    ) -> Any:
        if func in (F.relu, torch.relu):
            return _GuidedReLU.apply(args[0])
        return func(*args, **(kwargs or {}))


@contextmanager
def guided_relus() -> Iterator[None]:
    """Within the block, and in this thread only, the ReLUs of every model pass back only positive gradients where
    their input was positive (guided backpropagation); no module is touched, so other threads' passes through the
    same shared model are their ordinary selves. (Torch-function modes are thread-local.)"""
    with _GuidedReLUs():
        yield


def guided_backprop(model: ResNet, x: Tensor, target: int) -> Tensor:
    """The gradient of the ``target`` score with respect to ``x`` through guided ReLUs, (N, 3, H, W): captum's
    ``GuidedBackprop``."""
    with torch.enable_grad(), guided_relus():
        inputs = x.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(walk(model, inputs).logits[:, target].sum(), inputs)
    return grad


def block_grad_cam(model: ResNet, x: Tensor, target: int, block: str) -> Tensor:
    """Grad-CAM of one block (by state-dict prefix) for ``target``, (N, h, w) at the block's resolution."""
    names = [name for name, _ in model.blocks()]
    position = names.index(check_choice("block", block, names))
    with torch.enable_grad():
        walked = walk(model, x.detach().requires_grad_(True))
        output = walked.blocks[position].output
        (grad,) = torch.autograd.grad(walked.logits[:, target].sum(), output)
    return grad_cam(output.detach(), grad)


def guided_grad_cam(model: ResNet, x: Tensor, target: int, block: str) -> Tensor:
    """Guided Grad-CAM: guided backpropagation times the block's Grad-CAM (enlarged pixel for pixel, as captum's
    ``GuidedGradCam``), |attribution| summed over colour, (N, H, W)."""
    cam = block_grad_cam(model, x, target, block)
    enlarged = F.interpolate(cam[:, None], size=tuple(x.shape[-2:]), mode="nearest")
    return (guided_backprop(model, x, target) * enlarged).abs().sum(dim=1).detach()


Steps = Iterator[tuple[int, int, Tensor | None]]
IG_POINTS, IG_CHUNK = 32, 2  # Integrated Gradients: path points, and points per step
OCCLUDED_PER_PASS = 4


def integrated_gradients(model: ResNet, x: Tensor, target: int, steps: int = IG_POINTS, chunk: int = IG_CHUNK) -> Steps:
    """Integrated Gradients from the all-zero input (the average colour), in chunks of ``chunk`` path points.

    The integral is the midpoint Riemann sum over ``steps`` points (as captum's
    ``IntegratedGradients(method="riemann_middle")``); |attribution| is summed over colour. Yields
    ``(chunks done, chunks, None)`` after each chunk and the (N, H, W) map with the last.
    """
    baseline = torch.zeros_like(x)
    total = -(-steps // chunk)
    summed = torch.zeros_like(x)
    for done, start in enumerate(range(0, steps, chunk), start=1):
        alphas = (torch.arange(start, min(start + chunk, steps), device=x.device, dtype=x.dtype) + 0.5) / steps
        path = (baseline + alphas.view(-1, 1, 1, 1) * (x - baseline)).requires_grad_(True)
        with torch.enable_grad():
            (grad,) = torch.autograd.grad(model(path)[:, target].sum(), path)
        summed += grad.sum(dim=0, keepdim=True)
        result = ((x - baseline) * summed / steps).abs().sum(dim=1).detach() if done == total else None
        yield done, total, result


def occlusion_places(height: int, width: int, window: int | None = None) -> tuple[int, list[tuple[int, int]]]:
    """The side of the occluding square (a seventh of the width, at least 8, unless given) and the top-left corners
    it is put at: strides of half a square, as many as captum's (the last may hang over the edge, cut there)."""
    window = window or max(8, width // 7)
    stride = max(4, window // 2)
    tops = [i * stride for i in range(-(-(height - window) // stride) + 1)]
    lefts = [i * stride for i in range(-(-(width - window) // stride) + 1)]
    return window, [(top, left) for top in tops for left in lefts]


def occlusion(
    model: ResNet, x: Tensor, target: int, window: int | None = None, per_eval: int = OCCLUDED_PER_PASS
) -> Steps:
    """Occlusion: how much the target score drops when an average-colour square hides each region.

    Squares of ``window`` pixels slide with a stride of half a window; each pixel gets the mean drop of
    the squares that cover it (as captum's ``Occlusion`` with a zero baseline). ``per_eval`` occluded
    images are scored per forward pass. Yields ``(passes done, passes, None)`` and the (N, H, W) map with
    the last.
    """
    _, _, height, width = x.shape
    window, places = occlusion_places(height, width, window)
    drops = torch.zeros(height, width, device=x.device)
    covered = torch.zeros(height, width, device=x.device)
    with torch.no_grad():
        base = model(x)[0, target]
    total = -(-len(places) // per_eval)
    for done, start in enumerate(range(0, len(places), per_eval), start=1):
        chunk = places[start : start + per_eval]
        batch = x.repeat(len(chunk), 1, 1, 1)
        for i, (top, left) in enumerate(chunk):
            batch[i, :, top : top + window, left : left + window] = 0
        with torch.no_grad():
            scores = model(batch)[:, target]
        for (top, left), score in zip(chunk, scores, strict=True):
            drops[top : top + window, left : left + window] += base - score
            covered[top : top + window, left : left + window] += 1
        yield done, total, (drops / covered.clamp(min=1))[None] if done == total else None


def _guided_grad_cam_steps(model: ResNet, x: Tensor, target: int, block: str) -> Steps:
    yield 1, 1, guided_grad_cam(model, x, target, block)


@dataclass(frozen=True)
class InputMethod:
    """A method that attributes the class score to the input pixels, what it does in words, its steps, and how
    many steps it takes for an input."""

    description: str
    steps: Callable[[ResNet, Tensor, int, str], Steps]
    count: Callable[[Tensor], int]


METHODS: dict[str, InputMethod] = {
    N_("Guided Grad-CAM"): InputMethod(
        N_("Grad-CAM of the chosen block times guided backpropagation: fine detail, class-aware."),
        _guided_grad_cam_steps,
        lambda x: 1,
    ),
    N_("Integrated Gradients"): InputMethod(
        N_("Gradients averaged along a straight path from an average-colour image to this one (32 points)."),
        lambda model, x, target, _block: integrated_gradients(model, x, target),
        lambda x: -(-IG_POINTS // IG_CHUNK),
    ),
    N_("Occlusion"): InputMethod(
        N_("How much the class score drops when an average-colour square hides each region (many forward passes)."),
        lambda model, x, target, _block: occlusion(model, x, target),
        lambda x: -(-len(occlusion_places(*x.shape[-2:])[1]) // OCCLUDED_PER_PASS),
    ),
}


def input_attribution_steps(method: str, model: ResNet, x: Tensor, target: int, block: str) -> Steps:
    """One of :data:`METHODS`, step by step: ``(done, total, None)`` and, with the last, the (N, H, W) map.

    ``block`` is used by Guided Grad-CAM.
    """
    return METHODS[check_choice("attribution method", method, METHODS)].steps(model, x, target, block)


def input_attribution(method: str, model: ResNet, x: Tensor, target: int, block: str) -> Tensor:
    """One of :data:`METHODS` as a per-pixel map, (N, H, W), computed at once."""
    for _, _, result in input_attribution_steps(method, model, x, target, block):
        if result is not None:
            return result
    raise RuntimeError("the method gave no result")
