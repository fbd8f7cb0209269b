"""A landscape computation for a trained pair, step by step, and its form on disk (a recording)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Literal

from explorer.landscape.slices import (
    BATCH_IMAGES,
    DEFAULT_RESOLUTION,
    DEFAULT_SPAN,
    Slice,
    axis,
    direction,
    line_steps,
    plane_steps,
)
from explorer.lesions.nets import LabelledSet, TrainedPair
from explorer.spec import SpecError

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
        if self.kind not in ("line", "plane"):
            raise SpecError(f"kind must be line or plane; got {self.kind!r}")
        try:
            axis(self.resolution, self.span)
        except ValueError as error:
            raise SpecError(str(error)) from None
        if not isinstance(self.seed, int) or not 0 <= self.seed < 2**31:
            raise SpecError(f"seed must be a whole number from 0 to 2**31 - 1; got {self.seed!r}")
        if not isinstance(self.images, int) or not 1 <= self.images <= MAX_IMAGES:
            raise SpecError(f"images must be from 1 to {MAX_IMAGES}; got {self.images!r}")

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
        d1 = direction(model, settings.seed)
        if settings.kind == "line":
            steps = line_steps(model, images, labels, d1, alphas)
        else:
            steps = plane_steps(model, images, labels, d1, direction(model, settings.seed + 1), alphas, alphas)
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


def to_results(slices: dict[str, Slice]) -> dict:
    """JSON-ready slices (for a recording)."""
    return {label: asdict(s) for label, s in slices.items()}


def from_results(results: dict) -> dict[str, Slice]:
    """The slices of a recording."""
    return {
        label: Slice(tuple(s["alphas"]), tuple(s["betas"]), tuple(tuple(row) for row in s["losses"]))
        for label, s in results.items()
    }
