"""One forward and one backward pass that record every residual block.

The forward pass is the explorer's one walk (:func:`explorer.walk.walk`), each block called through its
``branches``/``merge`` methods, so the trace needs no hooks: it keeps no state on the model and
any number of sessions can trace one shared, cached model at the same time.

For every block the trace keeps its input, its residual branch F(x), its shortcut, its output
and the gradient of the target class score with respect to that output; Grad-CAM and all the
per-block statistics are computed from those tensors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F
from torch import Tensor

from explorer.walk import BlockPass, walk
from models import ResNet


@dataclass(frozen=True)
class Trace:
    """The result of :func:`trace`: logits, the targets explained, and every block's pass (detached, with the
    gradient of the explained score with respect to its output)."""

    logits: Tensor
    targets: Tensor
    blocks: tuple[BlockPass, ...]

    @property
    def probabilities(self) -> Tensor:
        """Softmax of the logits."""
        return self.logits.softmax(dim=1)

    def top(self, k: int = 5, image: int = 0) -> list[tuple[int, float]]:
        """The ``k`` most probable classes of one image as (class index, probability)."""
        probs = self.probabilities[image]
        values, indices = probs.topk(min(k, probs.numel()))
        return list(zip(indices.tolist(), values.tolist(), strict=True))


Target = int | Sequence[int | None] | Tensor | None


def _targets(logits: Tensor, target: Target) -> Tensor:
    """One class per image: ``target`` for all, one per image, or each image's top class where it is None."""
    n, classes = logits.shape
    top = logits.argmax(dim=1)
    if target is None:
        return top
    if isinstance(target, Sequence):
        if len(target) != n:
            raise ValueError(f"one target per image is needed: got {len(target)} for {n} images")
        target = [int(top[i]) if t is None else t for i, t in enumerate(target)]
    targets = torch.as_tensor(target, dtype=torch.long, device=logits.device).reshape(-1)
    if targets.numel() == 1:
        targets = targets.expand(n)
    if targets.numel() != n:
        raise ValueError(f"one target per image is needed: got {targets.numel()} for {n} images")
    if (targets < 0).any() or (targets >= classes).any():
        raise ValueError(f"target class must be from 0 to {classes - 1}")
    return targets


def trace(model: ResNet, x: Tensor, target: Target = None) -> Trace:
    """Run ``model`` on ``x`` once forward and once backward, recording every residual block.

    ``target`` is the class whose score is explained (one for all images, or one per image);
    ``None`` explains each image's top prediction, and so does a None in a list of targets. The
    model must be in eval mode (batch norm with running statistics), which is how the explorer keeps
    its shared models.
    """
    if model.training:
        raise ValueError("trace needs the model in eval mode")
    with torch.enable_grad():
        walked = walk(model, x.detach().requires_grad_(True))
        logits = walked.logits
        targets = _targets(logits.detach(), target)
        score = logits.gather(1, targets[:, None]).sum()
        grads = torch.autograd.grad(score, [p.output for p in walked.blocks]) if walked.blocks else ()
    blocks = tuple(
        replace(p, input=p.input.detach(), residual=_detached(p.residual), shortcut=_detached(p.shortcut),
                output=p.output.detach(), grad=grad.detach())
        for p, grad in zip(walked.blocks, grads, strict=True)
    )  # fmt: skip
    return Trace(logits.detach(), targets, blocks)


def _detached(t: Tensor | None) -> Tensor | None:
    return None if t is None else t.detach()


def grad_cam(activation: Tensor, grad: Tensor) -> Tensor:
    """Grad-CAM at the layer's resolution: ReLU of the channel-weighted activations, (N, H, W).

    Channel weights are the gradients averaged over space, as in Selvaraju et al. 2017 and
    captum's ``LayerGradCam(relu_attributions=True)``.
    """
    weights = grad.mean(dim=(2, 3), keepdim=True)
    return F.relu((weights * activation).sum(dim=1))


def upsample(maps: Tensor, size: tuple[int, int]) -> Tensor:
    """Bilinear upsampling of (N, H, W) maps to ``size``."""
    return F.interpolate(maps[:, None], size=size, mode="bilinear", align_corners=False)[:, 0]


def block_cams(result: Trace) -> list[Tensor]:
    """Grad-CAM of every block's output at the block's resolution, (N, H, W) each."""
    return [grad_cam(b.output, b.grad) for b in result.blocks]
