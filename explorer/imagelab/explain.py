"""An image explained block by block: predictions, Grad-CAM of every block, and per-block statistics.

Everything comes from one :func:`explorer.trace.trace` call; the image lab page and the
``explain`` command both use :func:`explain`.
"""

from __future__ import annotations

import csv
import difflib
import io
from dataclasses import asdict, dataclass

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from explorer.render import overlay, tensor_map, to_unit
from explorer.trace import Trace, block_cams, trace, upsample
from models import ResNet


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
class Explanation:
    """A traced image: the trace, the image the network saw, class names, Grad-CAMs and stats."""

    trace: Trace
    image: Image.Image
    class_names: tuple[str, ...]
    cams: tuple[np.ndarray, ...]  # one per block, upsampled to the image, unscaled
    stats: tuple[BlockStats, ...]

    @property
    def target(self) -> int:
        """The class the maps explain."""
        return int(self.trace.targets[0])

    @property
    def target_name(self) -> str:
        """The name of the explained class."""
        return self.class_names[self.target]

    def predictions(self, k: int = 5) -> list[Prediction]:
        """The ``k`` most probable classes."""
        return [Prediction(i, self.class_names[i], p) for i, p in self.trace.top(k)]

    def overlays(self, shared_scale: bool = False) -> dict[str, Image.Image]:
        """Grad-CAM of each block over the image, keyed by the paper's block name."""
        units = to_unit(list(self.cams), shared_scale)
        return {s.paper_name: overlay(self.image, u) for s, u in zip(self.stats, units, strict=True)}

    def stats_csv(self) -> str:
        """The per-block statistics as CSV text."""
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(BlockStats.__dataclass_fields__))
        writer.writeheader()
        for row in self.stats:
            writer.writerow(asdict(row))
        return buffer.getvalue()

    def summary(self) -> dict:
        """A JSON-ready summary: predictions, the target, and per-block statistics."""
        return {
            "target": {"index": self.target, "name": self.target_name},
            "predictions": [asdict(p) for p in self.predictions()],
            "blocks": [asdict(s) for s in self.stats],
        }


def _norm(t: Tensor) -> float:
    return float(t.float().norm())


def _stats(result: Trace, coarse: list[Tensor], full: list[Tensor], image: int) -> list[BlockStats]:
    rows = []
    for record, cam, cam_full in zip(result.blocks, coarse, full, strict=True):
        raw = tensor_map(cam_full[image])
        peak_y, peak_x = np.unravel_index(int(raw.argmax()), raw.shape)
        shortcut = None if record.shortcut is None else _norm(record.shortcut[image])
        residual = _norm(record.residual[image])
        rows.append(
            BlockStats(
                block=record.name,
                paper_name=record.paper_name,
                shape="×".join(str(n) for n in record.output.shape[1:]),
                residual_norm=residual,
                shortcut_norm=shortcut,
                residual_to_shortcut=None if not shortcut else residual / shortcut,
                output_norm=_norm(record.output[image]),
                grad_norm=_norm(record.grad[image]),
                cam_max=float(cam[image].max()),
                cam_mean=float(cam[image].mean()),
                peak_x=int(peak_x),
                peak_y=int(peak_y),
            )
        )
    return rows


def explain(
    model: ResNet, x: Tensor, image: Image.Image, class_names: list[str] | tuple[str, ...], target: int | None = None
) -> Explanation:
    """Trace one image (``x`` of shape (1, 3, H, W), ``image`` what it shows) and explain ``target``.

    ``target=None`` explains the top prediction.
    """
    if len(class_names) != model.fc.out_features:
        raise ValueError(f"{len(class_names)} class names for a model with {model.fc.out_features} classes")
    result = trace(model, x, target)
    coarse = block_cams(result)
    full = [upsample(c, tuple(x.shape[-2:])) for c in coarse]
    return Explanation(
        trace=result,
        image=image,
        class_names=tuple(class_names),
        cams=tuple(tensor_map(c[0]) for c in full),
        stats=tuple(_stats(result, coarse, full, 0)),
    )


def parse_target(text: str, class_names: list[str] | tuple[str, ...]) -> int:
    """A class given by index or by name (case-insensitive, or a unique part of a name)."""
    text = text.strip()
    if text.lstrip("-").isdigit():
        index = int(text)
        if not 0 <= index < len(class_names):
            raise ValueError(f"class index must be from 0 to {len(class_names) - 1}; got {index}")
        return index
    lowered = [n.lower() for n in class_names]
    if text.lower() in lowered:
        return lowered.index(text.lower())
    partial = [i for i, n in enumerate(lowered) if text.lower() in n]
    if len(partial) == 1:
        return partial[0]
    if partial:
        names = ", ".join(class_names[i] for i in partial[:5])
        raise ValueError(f"class {text!r} is ambiguous: {names}{' …' if len(partial) > 5 else ''}")
    close = difflib.get_close_matches(text.lower(), lowered, n=3)
    hint = f"; did you mean {', '.join(class_names[lowered.index(c)] for c in close)}?" if close else ""
    raise ValueError(f"no class called {text!r}{hint}")


def feature_channels(activation: Tensor, k: int) -> list[int]:
    """The ``k`` channels of a (C, H, W) activation with the highest mean, most active first."""
    means = activation.float().mean(dim=(1, 2))
    return means.topk(min(k, means.numel())).indices.tolist()


def channel_stats(activation: Tensor, channels: list[int]) -> list[dict[str, float]]:
    """Mean, maximum and active fraction (share of positions > 0) of some channels of (C, H, W)."""
    return [
        {
            "channel": c,
            "mean": float(activation[c].mean()),
            "max": float(activation[c].max()),
            "active": float((activation[c] > 0).float().mean()),
        }
        for c in channels
    ]


@torch.no_grad()
def branch_maps(trace_result: Trace, block: int, channel: int | None = None) -> dict[str, np.ndarray | None]:
    """F(x), shortcut and output of one block as 2-D maps: one channel, or the mean over channels."""
    record = trace_result.blocks[block]

    def pick(t: Tensor | None) -> np.ndarray | None:
        if t is None:
            return None
        return tensor_map(t[0, channel] if channel is not None else t[0].mean(dim=0))

    return {"F(x)": pick(record.residual), "shortcut": pick(record.shortcut), "output": pick(record.output)}
