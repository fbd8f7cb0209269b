"""The degradation problem of He et al. 2015: a deep plain net trains worse than a shallow one,
even with batch norm and healthy gradients."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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


class DegradationRun:
    """The degradation demo one training step at a time, so a page can show progress and stop it.

    Plain and residual nets of each depth in ``depths`` train on the digits, one depth after the
    other; every :meth:`step` advances both nets of the current depth by one SGD step.
    """

    def __init__(
        self, steps: int = 400, seed: int = 0, depths: Sequence[int] = DEMO_DEPTHS, device: torch.device | str = "cpu"
    ) -> None:
        self.steps, self.seed, self.depths, self.device = steps, seed, tuple(depths), device
        self.total = steps * len(self.depths)
        self.done = 0
        self._losses: dict[str, list[float]] = {}
        self._accuracy: dict[str, list[float]] = {}
        self._training = iter(())

    def step(self) -> bool:
        """Advance by one step; False (and nothing done) once every net has trained ``steps`` steps."""
        if self.done >= self.total:
            return False
        if self.done % self.steps == 0:
            depth = self.depths[self.done // self.steps]
            self._training = train(degradation_config(depth, self.steps, self.seed), record=False, device=self.device)
            self._labels = [net_label(name == "residual", depth) for name in NETS]
        for label, record in zip(self._labels, next(self._training), strict=True):
            self._losses.setdefault(label, []).append(record.loss)
            self._accuracy.setdefault(label, []).append(record.accuracy)
        self.done += 1
        return True

    def curves(self) -> dict[str, Curve]:
        """The curves of every net trained so far, by label (``plain-20``, ``ResNet-20``, …)."""
        return {label: Curve(label, tuple(loss), tuple(self._accuracy[label])) for label, loss in self._losses.items()}


def degradation_demo(
    steps: int = 400, seed: int = 0, depths: Sequence[int] = DEMO_DEPTHS, device: torch.device | str = "cpu"
) -> dict[str, Curve]:
    """Train plain and residual nets of each depth on the digits; their curves by label.

    With the default depths: ``plain-20``, ``ResNet-20``, ``plain-56``, ``ResNet-56``. All
    nets see the same batches, on ``device``. The deep plain net ends with a clearly higher training loss than
    the shallow one and than the residual net of its own depth (He et al. 2015, Fig. 1 and 4).
    """
    run = DegradationRun(steps, seed, depths, device)
    while run.step():
        pass
    return run.curves()


CURVES_SHAPE = {str: {"loss": [float], "accuracy": [float]}}  # curves_to_results', for recordings.load


def curves_to_results(curves: Mapping[str, Curve]) -> dict:
    """The curves as plain JSON-ready data (for a recording)."""
    return {label: {"loss": list(c.loss), "accuracy": list(c.accuracy)} for label, c in curves.items()}


def curves_from_results(results: Mapping[str, Mapping[str, list[float]]]) -> dict[str, Curve]:
    """The curves of a recording."""
    return {label: Curve(label, tuple(c["loss"]), tuple(c["accuracy"])) for label, c in results.items()}
