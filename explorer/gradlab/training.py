"""Training the plain and the residual net side by side, recording per-layer gradient norms at every step."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, replace

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from explorer.gradlab.config import PROFILE_IMAGE_SIZE, GradLabConfig, build_pair, probe_batch, training_data
from explorer.gradlab.profiles import GradientProfile, group_index, group_norms, layer_gradients, layer_groups
from explorer.language import N_, _
from explorer.provenance import csv_text
from explorer.walk import walk
from models import ResNet


@dataclass(frozen=True)
class StepRecord:
    """One training step of one net: loss and accuracy on the training batch before the update,
    and (when recorded) per-layer gradient norms w.r.t. outputs (``signal``) and parameters
    (``weight``), in the order of ``layers``."""

    step: int
    net: str
    loss: float
    accuracy: float
    layers: tuple[str, ...] = ()
    signal: tuple[float, ...] = ()
    weight: tuple[float, ...] = ()


class _Learner:
    """A model, its optimiser and its parameter grouping for cheap per-step norms."""

    def __init__(self, name: str, model: ResNet, config: GradLabConfig) -> None:
        self.name = name
        self.model = model
        groups = layer_groups(model)
        self.layers = tuple(layer for layer, _ in groups)
        self.params = [p for _, group in groups for p in group]
        self.group_of = group_index(groups, self.params[0].device)
        self.optimiser = make_optimiser(config, model.parameters())

    def step(self, step: int, x: Tensor, y: Tensor, record: bool) -> StepRecord:
        """One SGD/Adam step on ``(x, y)``; the norms are read from the gradients of this step."""
        self.optimiser.zero_grad(set_to_none=True)
        if record:
            walked = walk(self.model, x)
            logits, outputs = walked.logits, walked.outputs
            for output in outputs:
                output.retain_grad()
        else:
            logits = self.model(x)
        loss = F.cross_entropy(logits, y)
        loss.backward()
        self.optimiser.step()
        correct = (logits.detach().argmax(dim=1) == y).float().mean()
        if not record:
            loss_value, accuracy = torch.stack([loss.detach(), correct]).tolist()
            return StepRecord(step, self.name, loss_value, accuracy)
        signal = torch.stack(torch._foreach_norm([out.grad for out in outputs]))
        weight = group_norms([p.grad for p in self.params], self.group_of, len(self.layers))
        values = torch.cat([torch.stack([loss.detach(), correct]), signal, weight]).tolist()
        count = len(self.layers)
        return StepRecord(
            step, self.name, values[0], values[1], self.layers, tuple(values[2 : 2 + count]), tuple(values[2 + count :])
        )


def make_optimiser(config: GradLabConfig, params: Iterable[nn.Parameter]) -> torch.optim.Optimizer:
    """SGD with ``config.momentum``, or Adam, at ``config.lr``."""
    if config.optimiser == "adam":
        return torch.optim.Adam(params, lr=config.lr)
    return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum)


def train(
    config: GradLabConfig,
    models: Mapping[str, ResNet] | None = None,
    record: bool = True,
    device: torch.device | str = "cpu",
) -> Iterator[tuple[StepRecord, ...]]:
    """Train nets side by side for ``config.steps`` steps, yielding one record per net per step.

    ``models`` defaults to :func:`build_pair` (``plain`` then ``residual``) on ``device``; pass
    your own to keep them afterwards (the batches then go to the device of their parameters).
    Every net sees the same batches in the same order. Each yield comes after a complete step of
    every net, so a caller may stop iterating at any point: the nets then have taken the same
    number of steps, their gradients are cleared and their train/eval modes are restored. The
    optimisers live as long as the iterator. ``record=False`` skips the per-layer norms.
    """
    nets = models if models is not None else build_pair(config, device)
    target = next(next(iter(nets.values())).parameters()).device
    learners = [_Learner(name, model, config) for name, model in nets.items()]
    modes = [model.training for model in nets.values()]
    stream = training_data(config)
    try:
        for model in nets.values():
            model.train()
        for step in range(1, config.steps + 1):
            x, y = (t.to(target, non_blocking=True) for t in next(stream))
            yield tuple(learner.step(step, x, y, record) for learner in learners)
    finally:
        for model, mode in zip(nets.values(), modes, strict=True):
            model.zero_grad(set_to_none=True)
            model.train(mode)


EARLY_STEPS: tuple[int, ...] = (0, 5, 20)


def early_profiles(
    config: GradLabConfig, checkpoints: Sequence[int] = EARLY_STEPS, device: torch.device | str = "cpu"
) -> Iterator[tuple[int, dict[int, dict[str, GradientProfile]]]]:
    """How the profiles change over the first training steps: both nets train on ``config``'s data at the
    profile size (32×32), and after each number of steps in ``checkpoints`` both are measured on the probe
    batch (in training mode, as at initialisation). Yields ``(steps done, profiles by step so far)`` after
    every step, so a page can show progress and stop."""
    config = replace(config, image_size=PROFILE_IMAGE_SIZE, steps=max(checkpoints))
    nets = build_pair(config, device)
    x, y = (t.to(device) for t in probe_batch(config))
    measured: dict[int, dict[str, GradientProfile]] = {}
    if 0 in checkpoints:
        measured[0] = {name: layer_gradients(model, x, y) for name, model in nets.items()}
    yield 0, measured
    for records in train(config, nets, record=False):
        step = records[0].step
        if step in checkpoints:
            measured[step] = {name: layer_gradients(model, x, y) for name, model in nets.items()}
        yield step, measured


# --- export -----------------------------------------------------------------------------------


RECORDS_SHAPE = {  # records_to_results', for recordings.load
    "records": [{"step": int, "net": str, "loss": float, "accuracy": float, "layers": [str], "signal": [float],
                 "weight": [float]}]
}  # fmt: skip


def records_to_results(records: Sequence[StepRecord]) -> dict:
    """The records of a run as plain JSON-ready data (for a recording)."""
    return {"records": [asdict(r) for r in records]}


def records_from_results(results: Mapping[str, list[dict]]) -> list[StepRecord]:
    """The records of a recording."""
    return [
        StepRecord(**{key: tuple(value) if isinstance(value, list) else value for key, value in r.items()})
        for r in results["records"]
    ]


def records_to_csv(records: Iterable[StepRecord], config: GradLabConfig) -> str:
    """The records as CSV: step, net, loss, accuracy, then ``signal:<layer>`` and ``weight:<layer>``
    columns for every recorded layer (empty where a record lacks that layer), after a ``#`` header block with the
    settings of the run."""
    rows: list[dict[str, object]] = []
    columns: dict[str, None] = dict.fromkeys(("step", "net", "loss", "accuracy"))
    for r in records:
        row: dict[str, object] = {"step": r.step, "net": r.net, "loss": _num(r.loss), "accuracy": _num(r.accuracy)}
        for kind, values in (("signal", r.signal), ("weight", r.weight)):
            row.update({f"{kind}:{layer}": _num(v) for layer, v in zip(r.layers, values, strict=True)})
        columns.update(dict.fromkeys(row))
        rows.append(row)
    return csv_text(list(columns), rows, {N_("page"): _("Gradient lab, a live run of both nets"), **asdict(config)})


def _num(value: float) -> str:
    return format(value, ".6g")
