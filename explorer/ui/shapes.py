"""The Shapes dataset page's computations, shared by every session."""

from __future__ import annotations

import math
from collections.abc import Iterator

from explorer.language import N_
from explorer.shapes import shipped
from explorer.shapes.scoring import CHUNK, BlockScore, scoring_steps
from explorer.ui.server import shared, shared_model, with_progress
from explorer.weights import ShippedWeights


def scores(count: int) -> dict[str, list[BlockScore]]:
    """Pointing-game and energy scores of every shipped model on ``count`` of its test images: computed once
    for every session, :data:`CHUNK` images per queue job, with progress, the time left and a stop button."""

    def compute() -> dict[str, list[BlockScore]]:
        found = list(shipped.shipped_models().values())
        models = [shared_model(m.spec, ShippedWeights()).model for m in found]  # loaded here, not inside a job
        scored: dict[str, list[BlockScore]] = {}

        def each() -> Iterator[None]:
            for m, model in zip(found, models, strict=True):
                for so_far in scoring_steps(model, m.test_config, count):
                    scored[str(m.spec.label)] = so_far  # a shipped spec's label is its net's name alone
                    yield None

        total = len(found) * math.ceil(count / CHUNK)
        for _step in with_progress(each(), total, N_("Scoring every block"), "shapes.stop"):
            pass
        return scored

    return shared(("shapes.scores", count), compute)
