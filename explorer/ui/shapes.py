"""The Shapes dataset page's computations, shared by every session."""

from __future__ import annotations

from explorer.shapes import shipped
from explorer.shapes.scoring import BlockScore, score_model
from explorer.ui.server import device, shared_result


def scores(count: int) -> dict[str, list[BlockScore]]:
    """Pointing-game and energy scores of every shipped model on ``count`` of its test images."""

    def score() -> dict[str, list[BlockScore]]:
        return {
            m.spec.label: score_model(shipped.load_shipped(m, device()), m.test_config, count)
            for m in shipped.shipped_models().values()
        }

    return shared_result(("shapes.scores", count), score, f"Scoring every block on {count} test images")
