"""Veit et al. 2016's lesion study: test error against the number of blocks deleted (or swapped) at random."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from torch import Tensor

from explorer.errors import check_choice, check_range
from explorer.lesions.lesion import Lesion, deletable, error, swappable
from explorer.provenance import csv_text
from models import ResNet

DEFAULT_DRAWS = 5
MAX_DRAWS = 50


@dataclass(frozen=True)
class CurvePoint:
    """Test error with ``k`` blocks deleted (or ``k`` neighbour swaps), over several random draws."""

    k: int
    errors: tuple[float, ...]

    @property
    def mean(self) -> float:
        """Mean error over the draws."""
        return sum(self.errors) / len(self.errors)

    @property
    def spread(self) -> float:
        """Standard deviation of the error over the draws (0 for one draw)."""
        if len(self.errors) < 2:
            return 0.0
        return math.sqrt(sum((e - self.mean) ** 2 for e in self.errors) / (len(self.errors) - 1))


def random_lesions(model: ResNet, kind: str, ks: Sequence[int], draws: int, seed: int) -> list[tuple[int, Lesion]]:
    """The lesions of a curve, seeded: for each k, ``draws`` random sets of k deleted blocks (``kind="delete"``)
    or ``draws`` sequences of k random neighbour swaps (``kind="swap"``); for k = 0 one intact model."""
    check_range("draws", draws, 1, MAX_DRAWS)
    count = len(model.blocks())
    rng = random.Random(seed)
    lesions = []
    for k in ks:
        if k == 0:
            lesions.append((0, Lesion()))
            continue
        for _ in range(draws):
            if kind == "delete":
                lesions.append((k, Lesion.delete(rng.sample(deletable(model), k))))
            elif kind == "swap":
                lesions.append((k, Lesion.swap(rng.choices(swappable(model), k=k), count)))
            else:
                check_choice("kind", kind, ("delete", "swap"))
    return lesions


def curve_ks(model: ResNet, kind: str, points: int = 10) -> list[int]:
    """About ``points`` values of k from 0 up to every block (deletions) or twice the swappable pairs (swaps),
    always with k = 1 and 2, where the residual and the plain net differ most."""
    top = len(deletable(model)) if kind == "delete" else 2 * len(swappable(model))
    step = max(1, math.ceil(top / points))
    return sorted({*range(0, top + 1, step), *(k for k in (1, 2) if k <= top), top})


def curve_steps(
    model: ResNet, images: Tensor, labels: Tensor, lesions: Sequence[tuple[int, Lesion]]
) -> Iterator[list[CurvePoint]]:
    """Evaluate ``lesions`` one at a time; yields the curve so far after each (so a page can show progress and
    stop)."""
    errors: dict[int, list[float]] = {}
    for k, lesion in lesions:
        errors.setdefault(k, []).append(error(model, images, labels, lesion))
        yield [CurvePoint(k, tuple(values)) for k, values in errors.items()]


def lesion_curve(
    model: ResNet,
    images: Tensor,
    labels: Tensor,
    kind: str = "delete",
    ks: Sequence[int] | None = None,
    draws: int = DEFAULT_DRAWS,
    seed: int = 0,
) -> list[CurvePoint]:
    """Test error against k: k random blocks deleted (``kind="delete"``) or k random neighbour swaps."""
    lesions = random_lesions(model, kind, curve_ks(model, kind) if ks is None else ks, draws, seed)
    *_, points = curve_steps(model, images, labels, lesions)
    return points


def curves_csv(curves: Mapping[str, Sequence[CurvePoint]], kind: str, details: Mapping[str, object]) -> str:
    """The curves as CSV: one row per net and k, with the mean, the spread and every draw; after a ``#`` header
    block of ``details`` (the nets, the test set)."""
    k = "blocks deleted" if kind == "delete" else "swaps"
    rows = [
        {"net": net, k: p.k, "mean error": f"{p.mean:.4f}", "spread": f"{p.spread:.4f}",
         "draws": " ".join(f"{e:.4f}" for e in p.errors)}
        for net, points in curves.items() for p in points
    ]  # fmt: skip
    return csv_text(["net", k, "mean error", "spread", "draws"], rows, details)
