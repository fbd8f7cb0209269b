"""The degradation problem of He et al. 2015: a deep plain net trains worse than a shallow one,
even with batch norm and healthy gradients."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from explorer.gradlab.config import DEMO_BATCH, DEMO_DEPTHS, DEMO_LR, NETS, GradLabConfig, net_label
from explorer.gradlab.training import train


@dataclass(frozen=True)
class Curve:
    """Training-batch loss and accuracy of one net, one value per step."""

    label: str
    loss: tuple[float, ...]
    accuracy: tuple[float, ...]

    def final_loss(self, last: int = 50) -> float:
        """Mean training loss over the last ``last`` steps."""
        return _mean(self.loss[-last:])

    def final_error(self, last: int = 50) -> float:
        """Mean training error (1 - accuracy) over the last ``last`` steps."""
        return 1 - _mean(self.accuracy[-last:])


def _mean(values: Sequence[float]) -> float:
    if not values:
        raise ValueError("no steps to average")
    return sum(values) / len(values)


def degradation_config(depth: int, steps: int, seed: int = 0) -> GradLabConfig:
    """The degradation recipe: digits at 8×8, batch norm, He init, SGD (lr 0.05, momentum 0.9), batch 64."""
    return GradLabConfig(
        depth=depth,
        batch_norm=True,
        init="he",
        optimiser="sgd",
        lr=DEMO_LR,
        momentum=0.9,
        batch_size=DEMO_BATCH,
        steps=steps,
        data="digits",
        image_size=8,
        seed=seed,
    )


def degradation_demo(
    steps: int = 400, seed: int = 0, depths: Sequence[int] = DEMO_DEPTHS, device: torch.device | str = "cpu"
) -> dict[str, Curve]:
    """Train plain and residual nets of each depth on the digits; their curves by label.

    With the default depths: ``plain-20``, ``ResNet-20``, ``plain-56``, ``ResNet-56``. All
    nets see the same batches, on ``device``. The deep plain net ends with a clearly higher training loss than
    the shallow one and than the residual net of its own depth (He et al. 2015, Fig. 1 and 4).
    """
    curves: dict[str, Curve] = {}
    for depth in depths:
        runs = list(train(degradation_config(depth, steps, seed), record=False, device=device))
        for index, name in enumerate(NETS):
            label = net_label(name == "residual", depth)
            loss = tuple(records[index].loss for records in runs)
            curves[label] = Curve(label, loss, tuple(records[index].accuracy for records in runs))
    return curves
