"""A landscape computation for a trained pair, step by step, and its form on disk (a recording)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Literal

from explorer.errors import check_choice, check_range
from explorer.landscape.slices import (
    BATCH_IMAGES,
    DEFAULT_RESOLUTION,
    DEFAULT_SPAN,
    Probe,
    Slice,
    axis,
    direction,
    line_steps,
    plane_steps,
)
from explorer.lesions.nets import LabelledSet, TrainedPair

Kind = Literal["line", "plane"]
MAX_IMAGES = 1_397  # the digits' training split


@dataclass(frozen=True)
class LandscapeSettings:
    """What a landscape is computed from; invalid values raise :class:`SpecError` with a one-line message."""

    nets: str = "shapes-20"
    kind: Kind = "plane"
    resolution: int = DEFAULT_RESOLUTION
    span: float = DEFAULT_SPAN
    seed: int = 0
    images: int = BATCH_IMAGES

    def __post_init__(self) -> None:
        check_choice("kind", self.kind, ("line", "plane"))
        axis(self.resolution, self.span)
        check_range("seed", self.seed, 0, 2**31 - 1)
        check_range("images", self.images, 1, MAX_IMAGES)

    @property
    def points(self) -> int:
        """Losses per net: the resolution, or its square for a plane."""
        return self.resolution if self.kind == "line" else self.resolution**2

    def recording(self) -> dict:
        """The settings a recording is kept under."""
        return asdict(self)


def landscape_steps(pair: TrainedPair, train: LabelledSet, settings: LandscapeSettings) -> Iterator[dict[str, Slice]]:
    """Both nets' slices, on the same seed's directions: yields everything so far after every point."""
    alphas = axis(settings.resolution, settings.span)
    images, labels = train.images[: settings.images], train.labels[: settings.images]
    done: dict[str, Slice] = {}
    for label, model in pair.nets().items():
        probe = Probe(model)
        d1 = direction(model, settings.seed)
        if settings.kind == "line":
            steps = line_steps(probe, images, labels, d1, alphas)
        else:
            steps = plane_steps(probe, images, labels, d1, direction(model, settings.seed + 1), alphas, alphas)
        for so_far in steps:
            done[label] = so_far
            yield dict(done)


def landscape(pair: TrainedPair, train: LabelledSet, settings: LandscapeSettings) -> dict[str, Slice]:
    """Both nets' slices, computed at once: see :func:`landscape_steps`."""
    *_, done = landscape_steps(pair, train, settings)
    return done


def step_count(pair: TrainedPair, settings: LandscapeSettings) -> int:
    """How many steps :func:`landscape_steps` yields."""
    return settings.points * len(pair.nets())


SLICES_SHAPE = {str: {"alphas": [float], "betas": [float], "losses": [[float]]}}  # to_results', for recordings.load


def to_results(slices: dict[str, Slice]) -> dict:
    """JSON-ready slices (for a recording)."""
    return {label: asdict(s) for label, s in slices.items()}


def from_results(results: dict) -> dict[str, Slice]:
    """The slices of a recording."""
    return {
        label: Slice(tuple(s["alphas"]), tuple(s["betas"]), tuple(tuple(row) for row in s["losses"]))
        for label, s in results.items()
    }
