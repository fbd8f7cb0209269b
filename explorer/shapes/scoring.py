"""Score what each block's Grad-CAM points at, on Shapes images whose object box and mask are known.

* Pointing game (Zhang et al. 2016): a hit when the map's peak lies inside the object's box.
* Energy in mask: the share of the map's total (non-negative) mass that lies on the object's pixels.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass

import numpy as np
import torch

from explorer.images import normalise
from explorer.language import N_, _
from explorer.render import tensor_map
from explorer.shapes import dataset
from explorer.shapes.dataset import Sample, ShapesConfig
from explorer.trace import block_cams, trace, upsample
from models import ResNet


@dataclass(frozen=True)
class MapScore:
    """How one map relates to one object."""

    hit: bool
    energy_in_mask: float


@dataclass(frozen=True)
class BlockScore:
    """One block's scores over many images."""

    block: str
    paper_name: str
    pointing_accuracy: float
    energy_in_mask: float
    images: int


def score_map(cam: np.ndarray, sample: Sample) -> MapScore:
    """Score one non-negative map (at the image's resolution) against the sample's box and mask."""
    total = float(cam.sum())
    if total <= 0:
        return MapScore(False, 0.0)
    y, x = np.unravel_index(int(cam.argmax()), cam.shape)
    x0, y0, x1, y1 = sample.box
    return MapScore(bool(x0 <= x < x1 and y0 <= y < y1), float(cam[sample.mask].sum()) / total)


CHUNK = 100  # images scored by one batched trace


def score_samples(model: ResNet, samples: list[Sample]) -> list[list[MapScore]]:
    """Grad-CAM of every block for each sample's true class, scored: one list per block (one batched trace)."""
    device = next(model.parameters()).device
    x = normalise(np.stack([s.image for s in samples])).to(device)
    labels = torch.tensor([s.label for s in samples], device=device)
    result = trace(model, x, labels)
    scores = []
    for cam in block_cams(result):
        full = upsample(cam, tuple(x.shape[-2:]))
        scores.append([score_map(tensor_map(full[i]), s) for i, s in enumerate(samples)])
    return scores


def scoring_steps(model: ResNet, config: ShapesConfig, count: int, start: int = 0) -> Iterator[list[BlockScore]]:
    """Score ``count`` images of ``config`` :data:`CHUNK` at a time; yields every block's scores so far after
    each chunk (so a page can show progress and stop)."""
    per_block: list[list[MapScore]] = [[] for _ in model.blocks()]
    for first in range(start, start + count, CHUNK):
        chunk = dataset.samples(config, first, min(CHUNK, start + count - first))
        for block, scores in enumerate(score_samples(model, chunk)):
            per_block[block] += scores
        yield _summaries(model, per_block)


def _summaries(model: ResNet, per_block: list[list[MapScore]]) -> list[BlockScore]:
    names = [name for name, _ in model.blocks()]
    return [
        BlockScore(
            block=name,
            paper_name=paper,
            pointing_accuracy=sum(s.hit for s in scores) / len(scores),
            energy_in_mask=sum(s.energy_in_mask for s in scores) / len(scores),
            images=len(scores),
        )
        for name, paper, scores in zip(names, model.paper_block_names(), per_block, strict=True)
    ]


def score_model(model: ResNet, config: ShapesConfig, count: int, start: int = 0) -> list[BlockScore]:
    """Pointing accuracy and mean energy-in-mask of every block over ``count`` images of ``config``."""
    *_steps, scores = scoring_steps(model, config, count, start)
    return scores


def scores_table(named: dict[str, list[BlockScore]]) -> list[dict[str, object]]:
    """Rows for display: one per block, a pointing and an energy column per model."""
    first = next(iter(named.values()))
    rows = []
    for i, block in enumerate(first):
        row: dict[str, object] = {N_("block"): block.paper_name}
        for label, scores in named.items():
            row[_("{model} pointing").format(model=label)] = f"{scores[i].pointing_accuracy:.1%}"
            row[_("{model} energy in mask").format(model=label)] = f"{scores[i].energy_in_mask:.1%}"
        rows.append(row)
    return rows


def scores_json(named: dict[str, list[BlockScore]]) -> dict[str, list[dict]]:
    """A JSON-ready form of the scores of several models."""
    return {label: [asdict(s) for s in scores] for label, scores in named.items()}
