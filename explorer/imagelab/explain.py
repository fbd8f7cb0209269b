"""An image explained block by block: predictions, Grad-CAM of every block, and per-block statistics.

Everything comes from one :func:`explorer.trace.trace` call, for one image or a batch; the image
lab page and the ``explain`` command both use it. An :class:`Explanation` keeps only what the page
shows, a few megabytes for ResNet-50 at 224², not every block's activations.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
from PIL import Image
from torch import Tensor

from explorer.errors import UserError, check_range
from explorer.language import N_
from explorer.provenance import csv_text
from explorer.render import enlarged, overlay, tensor_map, to_unit
from explorer.trace import block_cams, trace, upsample
from explorer.walk import BlockPass
from models import ResNet

VIEW_CHANNELS = 32  # the most active channels of a block kept for the page


@dataclass(frozen=True)
class Prediction:
    """One class with its probability."""

    index: int
    name: str
    probability: float


@dataclass(frozen=True)
class BlockStats:
    """Per-block numbers for one image: branch norms, gradient, and where Grad-CAM points."""

    block: str
    paper_name: str
    shape: str
    residual_norm: float
    shortcut_norm: float | None
    residual_to_shortcut: float | None
    output_norm: float
    grad_norm: float
    cam_max: float
    cam_mean: float
    peak_x: int
    peak_y: int


@dataclass(frozen=True)
class BlockView:
    """What the page shows of one block for one image, kept small: its most active channels and channel means.

    ``channels`` are the output channels with the highest mean, most active first (at most
    :data:`VIEW_CHANNELS`); ``output``, ``residual`` and ``shortcut`` hold those channels, (k, H, W), and
    the ``mean_*`` maps average all channels, (H, W). ``shortcut`` is None in a plain block.
    """

    channels: tuple[int, ...]
    output: np.ndarray
    residual: np.ndarray
    shortcut: np.ndarray | None
    mean_output: np.ndarray
    mean_residual: np.ndarray
    mean_shortcut: np.ndarray | None

    def maps(self, channel: int | None = None) -> dict[str, np.ndarray | None]:
        """F(x), shortcut and output as 2-D maps: one of ``channels``, or the mean over all channels (None)."""
        if channel is None:
            return {"F(x)": self.mean_residual, "shortcut": self.mean_shortcut, "output": self.mean_output}
        i = self.channels.index(channel)
        shortcut = None if self.shortcut is None else self.shortcut[i]
        return {"F(x)": self.residual[i], "shortcut": shortcut, "output": self.output[i]}

    def channel_stats(self, count: int) -> list[dict[str, float]]:
        """Mean, maximum and active fraction (share of positions > 0) of the ``count`` most active channels."""
        return [
            {
                N_("channel"): c,
                N_("mean"): float(m.mean()),
                N_("max"): float(m.max()),
                N_("active"): float((m > 0).mean()),
            }
            for c, m in zip(self.channels[:count], self.output[:count], strict=True)
        ]


@dataclass(frozen=True)
class Explanation:
    """One image explained: what the network saw, its predictions, every block's Grad-CAM, stats and view.

    It keeps only what the image lab shows (no activations of whole blocks): ``probabilities`` of every
    class, ``cams`` upsampled to the image and unscaled, one :class:`BlockStats` and one
    :class:`BlockView` per block. :func:`explorer.trace.trace` gives the full tensors.
    """

    image: Image.Image
    class_names: tuple[str, ...]
    probabilities: np.ndarray
    target: int
    cams: tuple[np.ndarray, ...]
    stats: tuple[BlockStats, ...]
    views: tuple[BlockView, ...]

    @property
    def target_name(self) -> str:
        """The name of the explained class."""
        return self.class_names[self.target]

    def predictions(self, k: int = 5) -> list[Prediction]:
        """The ``k`` most probable classes."""
        order = np.argsort(-self.probabilities, kind="stable")[:k]
        return [Prediction(int(i), self.class_names[i], float(self.probabilities[i])) for i in order]

    def overlays(self, shared_scale: bool = False) -> dict[str, Image.Image]:
        """Grad-CAM of each block over the image, keyed by the paper's block name (small images enlarged)."""
        units = to_unit(list(self.cams), shared_scale)
        return {s.paper_name: enlarged(overlay(self.image, u)) for s, u in zip(self.stats, units, strict=True)}

    def stats_csv(self, details: Mapping[str, object]) -> str:
        """The per-block statistics as CSV text, after a ``#`` header block of ``details`` (model, weights, …)."""
        return csv_text(list(BlockStats.__dataclass_fields__), (asdict(row) for row in self.stats), details)

    def summary(self) -> dict:
        """A JSON-ready summary: predictions, the target, and per-block statistics."""
        return {
            "target": {"index": self.target, "name": self.target_name},
            "predictions": [asdict(p) for p in self.predictions()],
            "blocks": [asdict(s) for s in self.stats],
        }


def _norm(t: Tensor) -> float:
    return float(t.float().norm())


def _stats(record: BlockPass, cam: Tensor, cam_full: np.ndarray, image: int) -> BlockStats:
    peak_y, peak_x = np.unravel_index(int(cam_full.argmax()), cam_full.shape)
    shortcut = None if record.shortcut is None else _norm(record.shortcut[image])
    residual = _norm(record.residual[image])
    return BlockStats(
        block=record.name,
        paper_name=record.paper_name,
        shape="×".join(str(n) for n in record.output.shape[1:]),
        residual_norm=residual,
        shortcut_norm=shortcut,
        residual_to_shortcut=None if not shortcut else residual / shortcut,
        output_norm=_norm(record.output[image]),
        grad_norm=_norm(record.grad[image]),
        cam_max=float(cam.max()),
        cam_mean=float(cam.mean()),
        peak_x=int(peak_x),
        peak_y=int(peak_y),
    )


def _view(record: BlockPass, image: int) -> BlockView:
    output = record.output[image].float()
    channels = output.mean(dim=(1, 2)).topk(min(VIEW_CHANNELS, output.shape[0])).indices
    shortcut = None if record.shortcut is None else record.shortcut[image].float()

    def picked(t: Tensor) -> np.ndarray:
        return t[channels].cpu().numpy()

    return BlockView(
        channels=tuple(channels.tolist()),
        output=picked(output),
        residual=picked(record.residual[image].float()),
        shortcut=None if shortcut is None else picked(shortcut),
        mean_output=tensor_map(output.mean(dim=0)),
        mean_residual=tensor_map(record.residual[image].float().mean(dim=0)),
        mean_shortcut=None if shortcut is None else tensor_map(shortcut.mean(dim=0)),
    )


def explain_batch(
    model: ResNet,
    x: Tensor,
    images: Sequence[Image.Image],
    class_names: Sequence[str],
    targets: Sequence[int | None],
) -> list[Explanation]:
    """Explain a batch of images with one forward and one backward pass, each image on its own.

    ``x`` is (N, 3, H, W), ``images[i]`` what image i shows, ``targets[i]`` its class to explain
    (None: its top prediction). Batch norm runs in eval mode, so every image's explanation is its own
    (equal, up to rounding, to explaining it alone).
    """
    if len(class_names) != model.fc.out_features:
        raise ValueError(f"{len(class_names)} class names for a model with {model.fc.out_features} classes")
    if not len(images) == len(targets) == len(x):
        raise ValueError(f"{len(x)} inputs, {len(images)} images and {len(targets)} targets: one each is needed")
    result = trace(model, x, targets)
    coarse = block_cams(result)
    full = [upsample(c, tuple(x.shape[-2:])) for c in coarse]
    probabilities = result.probabilities.cpu().numpy()
    explained = []
    for i, image in enumerate(images):
        cams = tuple(tensor_map(f[i]) for f in full)
        explained.append(
            Explanation(
                image=image,
                class_names=tuple(class_names),
                probabilities=probabilities[i],
                target=int(result.targets[i]),
                cams=cams,
                stats=tuple(_stats(r, c[i], m, i) for r, c, m in zip(result.blocks, coarse, cams, strict=True)),
                views=tuple(_view(r, i) for r in result.blocks),
            )
        )
    return explained


def explain(
    model: ResNet, x: Tensor, image: Image.Image, class_names: Sequence[str], target: int | None = None
) -> Explanation:
    """Trace one image (``x`` of shape (1, 3, H, W), ``image`` what it shows) and explain ``target``.

    ``target=None`` explains the top prediction.
    """
    return explain_batch(model, x, [image], class_names, [target])[0]


def parse_target(text: str, class_names: list[str] | tuple[str, ...]) -> int:
    """A class given by index or by name (case-insensitive, or a unique part of a name)."""
    text = text.strip()
    if text.lstrip("-").isdigit():
        return check_range("class index", int(text), 0, len(class_names) - 1)
    lowered = [n.lower() for n in class_names]
    if text.lower() in lowered:
        return lowered.index(text.lower())
    partial = [i for i, n in enumerate(lowered) if text.lower() in n]
    if len(partial) == 1:
        return partial[0]
    if partial:
        names = ", ".join(class_names[i] for i in partial[:5])
        raise UserError(f"class {text!r} is ambiguous: {names}{' …' if len(partial) > 5 else ''}")
    close = difflib.get_close_matches(text.lower(), lowered, n=3)
    hint = f"; did you mean {', '.join(class_names[lowered.index(c)] for c in close)}?" if close else ""
    raise UserError(f"no class called {text!r}{hint}")
