"""Captum's attribution methods beside the one-pass Grad-CAM.

Captum's layer methods and guided backpropagation register hooks on the model. The explorer's
models are shared by every browser session, so every captum call holds that model's lock: two
sessions never hook one model at the same time. (The one-pass trace needs no lock.) Captum is
imported when a method first runs, not with this module.
"""

from __future__ import annotations

import threading
import warnings
import weakref
from collections.abc import Callable
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


def integrated_gradients(model: ResNet, x: Tensor, target: int, steps: int = 32) -> Tensor:
    """captum Integrated Gradients from a black baseline, |attribution| summed over colour, (N, H, W)."""
    from captum.attr import IntegratedGradients

    attribution = IntegratedGradients(model).attribute(
        x, baselines=torch.zeros_like(x), target=target, n_steps=steps, internal_batch_size=8
    )
    return attribution.detach().abs().sum(dim=1)


def occlusion(model: ResNet, x: Tensor, target: int, window: int | None = None) -> Tensor:
    """captum Occlusion: how much the target score drops when a grey square hides each region, (N, H, W)."""
    side = x.shape[-1]
    window = window or max(8, side // 7)
    stride = max(4, window // 2)
    from captum.attr import Occlusion

    attribution = Occlusion(model).attribute(
        x,
        sliding_window_shapes=(x.shape[1], window, window),
        strides=(x.shape[1], stride, stride),
        target=target,
        baselines=0.0,
        perturbations_per_eval=16,
    )
    return attribution.detach().mean(dim=1)


@dataclass(frozen=True)
class InputMethod:
    """A captum method that attributes the class score to the input pixels, and what it does in words."""

    description: str
    attribute: Callable[[ResNet, Tensor, int, str], Tensor]


METHODS: dict[str, InputMethod] = {
    "Guided Grad-CAM": InputMethod(
        "Grad-CAM of the chosen block times guided backpropagation: fine detail, class-aware.", guided_grad_cam
    ),
    "Integrated Gradients": InputMethod(
        "Gradients averaged along a path from a black image to this one (32 steps).",
        lambda model, x, target, _block: integrated_gradients(model, x, target),
    ),
    "Occlusion": InputMethod(
        "How much the class score drops when a grey square hides each region (many forward passes).",
        lambda model, x, target, _block: occlusion(model, x, target),
    ),
}


def input_attribution(method: str, model: ResNet, x: Tensor, target: int, block: str) -> Tensor:
    """One of :data:`METHODS` as a per-pixel map, (N, H, W); ``block`` is used by Guided Grad-CAM."""
    if method not in METHODS:
        raise ValueError(f"unknown attribution method {method!r}: choose one of {', '.join(METHODS)}")
    return METHODS[method].attribute(model, x, target, block)
