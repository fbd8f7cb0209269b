"""The Shapes dataset page's computations, shared by every session."""

from __future__ import annotations

import math
from collections.abc import Iterator

from explorer.shapes import shipped
from explorer.shapes.scoring import CHUNK, BlockScore, scoring_steps
from explorer.ui.server import device, results, with_progress


def scores(count: int) -> dict[str, list[BlockScore]]:
    """Pointing-game and energy scores of every shipped model on ``count`` of its test images: computed once
    for every session, :data:`CHUNK` images per queue job, with progress, the time left and a stop button."""
    key = ("shared", ("shapes.scores", count))
    if (done := results().get(key)) is not None:
        return done
    models = list(shipped.shipped_models().values())
    scored: dict[str, list[BlockScore]] = {}

    def each() -> Iterator[None]:
        for m in models:
            for so_far in scoring_steps(shipped.load_shipped(m, device()), m.test_config, count):
                scored[m.spec.label] = so_far
                yield None

    total = len(models) * math.ceil(count / CHUNK)
    for _ in with_progress(each(), total, f"Scoring every block on {count} test images", "shapes.stop"):
        pass
    results().put(key, scored)
    return scored
