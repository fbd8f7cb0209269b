"""Attribution to the input pixels beside the one-pass Grad-CAM: captum's Grad-CAM and Guided Grad-CAM,
and Integrated Gradients and Occlusion computed here in chunks (so a page shows progress and can stop
them; the tests check them against captum's own).

Captum's layer methods and guided backpropagation register hooks on the model. The explorer's
models are shared by every browser session, so every captum call holds that model's lock: two
sessions never hook one model at the same time. (The one-pass trace needs no lock.) Captum is
imported when a method first runs, not with this module.
"""

from __future__ import annotations

import threading
import warnings
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch
from torch import Tensor

from models import ResNet

warnings.filterwarnings("ignore", message="Setting backward hooks on ReLU activations", module="captum")
warnings.filterwarnings("ignore", message="Input Tensor 0 did not already require gradients", module="captum")

_LOCKS: weakref.WeakKeyDictionary[ResNet, threading.Lock] = weakref.WeakKeyDictionary()
_LOCKS_GUARD = threading.Lock()


def model_lock(model: ResNet) -> threading.Lock:
    """The lock that serialises hook-based methods on ``model``."""
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(model, threading.Lock())


def _block(model: ResNet, name: str) -> torch.nn.Module:
    return dict(model.blocks())[name]


def captum_grad_cam(model: ResNet, x: Tensor, target: int, block: str) -> Tensor:
    """captum ``LayerGradCam(relu_attributions=True)`` of one block, (N, H, W) at its resolution."""
    from captum.attr import LayerGradCam

    with model_lock(model):
        cam = LayerGradCam(model, _block(model, block)).attribute(x, target=target, relu_attributions=True)
    return cam[:, 0].detach()


def guided_grad_cam(model: ResNet, x: Tensor, target: int, block: str) -> Tensor:
    """captum Guided Grad-CAM: guided backpropagation times the block's Grad-CAM, (N, H, W) over pixels."""
    from captum.attr import GuidedGradCam

    with model_lock(model):
        attribution = GuidedGradCam(model, _block(model, block)).attribute(x, target=target)
    return attribution.detach().abs().sum(dim=1)


Steps = Iterator[tuple[int, int, Tensor | None]]


def integrated_gradients(model: ResNet, x: Tensor, target: int, steps: int = 32, chunk: int = 2) -> Steps:
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


def occlusion(model: ResNet, x: Tensor, target: int, window: int | None = None, per_eval: int = 4) -> Steps:
    """Occlusion: how much the target score drops when an average-colour square hides each region.

    Squares of ``window`` pixels slide with a stride of half a window; each pixel gets the mean drop of
    the squares that cover it (as captum's ``Occlusion`` with a zero baseline). ``per_eval`` occluded
    images are scored per forward pass. Yields ``(passes done, passes, None)`` and the (N, H, W) map with
    the last.
    """
    _, _, height, width = x.shape
    window = window or max(8, width // 7)
    stride = max(4, window // 2)
    # as many places as captum: the last square may hang over the edge (it is cut there)
    tops = [i * stride for i in range(-(-(height - window) // stride) + 1)]
    lefts = [i * stride for i in range(-(-(width - window) // stride) + 1)]
    places = [(top, left) for top in tops for left in lefts]
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
    """A method that attributes the class score to the input pixels, what it does in words, and its steps."""

    description: str
    steps: Callable[[ResNet, Tensor, int, str], Steps]


METHODS: dict[str, InputMethod] = {
    "Guided Grad-CAM": InputMethod(
        "Grad-CAM of the chosen block times guided backpropagation (captum): fine detail, class-aware.",
        _guided_grad_cam_steps,
    ),
    "Integrated Gradients": InputMethod(
        "Gradients averaged along a straight path from an average-colour image to this one (32 points).",
        lambda model, x, target, _block: integrated_gradients(model, x, target),
    ),
    "Occlusion": InputMethod(
        "How much the class score drops when an average-colour square hides each region (many forward passes).",
        lambda model, x, target, _block: occlusion(model, x, target),
    ),
}


def input_attribution_steps(method: str, model: ResNet, x: Tensor, target: int, block: str) -> Steps:
    """One of :data:`METHODS`, step by step: ``(done, total, None)`` and, with the last, the (N, H, W) map.

    ``block`` is used by Guided Grad-CAM.
    """
    if method not in METHODS:
        raise ValueError(f"unknown attribution method {method!r}: choose one of {', '.join(METHODS)}")
    return METHODS[method].steps(model, x, target, block)


def input_attribution(method: str, model: ResNet, x: Tensor, target: int, block: str) -> Tensor:
    """One of :data:`METHODS` as a per-pixel map, (N, H, W), computed at once."""
    for _, _, result in input_attribution_steps(method, model, x, target, block):
        if result is not None:
            return result
    raise RuntimeError("the method gave no result")
