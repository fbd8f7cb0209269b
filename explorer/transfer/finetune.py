"""Fine-tuning with stages frozen: the runs, their curves, Grad-CAM before and after, and how far each stage moved.

Every run starts from the same source weights (or, from scratch, the same seeded initialisation), gets a new
classifier with the same seeded initial weights, and sees the same batches in the same order. Frozen modules have
``requires_grad`` off and stay in eval mode (their batch-norm statistics do not move either), so their weights
come out bit for bit as they went in. The shared source model is never changed: each run trains its own model,
whose weights are what the run produces and exports.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from explorer.errors import UserError, check_choice, check_range
from explorer.language import N_, _
from explorer.render import tensor_map, to_unit
from explorer.spec import ModelSpec
from explorer.trace import block_cams, trace, upsample
from explorer.transfer.targets import TargetSet, to_input
from explorer.weights import random_model
from models import ResNet, seeded

CHOICES: dict[str, str] = {
    "head": N_("head only (feature extractor)"),
    "last": N_("head + last stage"),
    "last2": N_("head + last two stages"),
    "all": N_("everything"),
    "scratch": N_("from scratch (random initialisation)"),
}
CAM_IMAGES = 4
EVAL_BATCH = 250


class TransferError(UserError):
    """A fine-tuning setting that cannot be run; the message says why in one line."""


@dataclass(frozen=True)
class Run:
    """One fine-tuning run: which parts train (a key of :data:`CHOICES`) and whether the input gets the source's
    normalisation."""

    choice: str
    normalised: bool = True

    def __post_init__(self) -> None:
        check_choice("run", self.choice, CHOICES)

    @property
    def label(self) -> str:
        """How the page names the run, in the reader's language."""
        return _(CHOICES[self.choice]) + ("" if self.normalised else _(", without the normalisation"))


DEFAULT_RUNS: tuple[Run, ...] = (*(Run(c) for c in CHOICES), Run("head", normalised=False))


@dataclass(frozen=True)
class Recipe:
    """How every run trains: epochs over the training images, batch size, SGD learning rate (momentum 0.9), seed."""

    epochs: int = 8
    batch_size: int = 32
    lr: float = 0.01
    seed: int = 0

    def __post_init__(self) -> None:
        check_range("epochs", self.epochs, 1, 50)
        check_range("batch size", self.batch_size, 1, 512)
        check_range("learning rate", self.lr, 0, 1, whole=False, above_low=True)
        check_range("seed", self.seed, 0, 2**63 - 1)


@dataclass(frozen=True)
class EpochPoint:
    """Accuracy on the training and held-out images after an epoch, and the epoch's training time (seconds)."""

    epoch: int
    train_accuracy: float
    test_accuracy: float
    seconds: float


@dataclass(eq=False)  # compared by identity: it holds tensors
class RunResult:
    """What one run produced: its curve (epoch 0 is before training), trainable parameter count, ‖ΔW‖/‖W‖ per
    stage, Grad-CAM of the first held-out images before and after (scaled to [0, 1]) with the classes predicted,
    and the fine-tuned weights (on the CPU)."""

    run: Run
    trainable: int
    head: int
    curve: list[EpochPoint] = field(default_factory=list)
    moved: dict[str, float] = field(default_factory=dict)
    cams_before: list[np.ndarray] = field(default_factory=list)
    cams_after: list[np.ndarray] = field(default_factory=list)
    said_before: list[int] = field(default_factory=list)
    said_after: list[int] = field(default_factory=list)
    state: dict[str, Tensor] = field(default_factory=dict, repr=False)


def parts(model: ResNet) -> dict[str, list[nn.Module]]:
    """The model's parts as the page names them: the stem ``conv1``, the stages ``conv2_x`` …, and ``fc``."""
    stem = [m for m in (model.conv1, model.bn1) if m is not None]
    found: dict[str, list[nn.Module]] = {"conv1": stem}
    for i, stage in enumerate(model.stages, start=2):
        found[f"conv{i}_x"] = [stage]
    found["fc"] = [model.fc, *([model.final_norm] if model.final_norm is not None else [])]
    return found


def trainable_parts(model: ResNet, choice: str) -> list[str]:
    """The parts that train under ``choice``."""
    names = list(parts(model))
    stages = names[1:-1]
    return {"head": ["fc"], "last": [stages[-1], "fc"], "last2": [*stages[-2:], "fc"]}.get(choice, names)


def start_model(spec: ModelSpec, source: ResNet, run: Run, classes: int, seed: int, device: torch.device) -> ResNet:
    """The run's model before training: the source's weights (from scratch: the seeded initialisation) with a new
    classifier for ``classes`` classes, the same seeded one for every run; frozen parts have gradients off."""
    target = spec.with_options(num_classes=classes)
    model = random_model(target, seed)
    if run.choice != "scratch":
        state = {k: v for k, v in source.state_dict().items() if not k.startswith("fc.")}
        model.load_state_dict(state, strict=False)
    with seeded(seed):
        model.fc.reset_parameters()
    model.to(device).eval()
    training = set(trainable_parts(model, run.choice))
    for name, modules in parts(model).items():
        for module in modules:
            module.requires_grad_(name in training)
    return model


def _train_mode(model: ResNet, training: Sequence[str]) -> None:
    model.eval()
    for name, modules in parts(model).items():
        if name in training:
            for module in modules:
                module.train()


def accuracy(model: ResNet, x: Tensor, labels: Tensor) -> float:
    """The share of ``x`` the model (in eval mode) classifies as ``labels``."""
    device = next(model.parameters()).device
    correct = 0
    with torch.no_grad():
        for start in range(0, len(x), EVAL_BATCH):
            logits = model(x[start : start + EVAL_BATCH].to(device))
            correct += int((logits.argmax(1).cpu() == labels[start : start + EVAL_BATCH]).sum())
    return correct / max(len(x), 1)


def _cams(model: ResNet, x: Tensor) -> tuple[list[np.ndarray], list[int]]:
    """Grad-CAM of the last block for each image of ``x`` (its top class), at the input's resolution."""
    result = trace(model, x.to(next(model.parameters()).device))
    last = upsample(block_cams(result)[-1], tuple(x.shape[-2:]))
    return to_unit([tensor_map(m) for m in last], shared=False), result.targets.tolist()


def moved(before: dict[str, Tensor], model: ResNet) -> dict[str, float]:
    """‖ΔW‖/‖W‖ of each part: the change of its parameters against their values at the start."""
    names = {id(p): n for n, p in model.named_parameters()}
    found = {}
    for part, modules in parts(model).items():
        keys = [names[id(p)] for m in modules for p in m.parameters()]
        change = sum(float((model.get_parameter(k).detach().cpu() - before[k]).pow(2).sum()) for k in keys)
        size = sum(float(before[k].pow(2).sum()) for k in keys)
        found[part] = (change / size) ** 0.5 if size > 0 else 0.0
    return found


def run_steps(
    spec: ModelSpec, source: ResNet, target: TargetSet, run: Run, recipe: Recipe, device: torch.device | str = "cpu"
) -> Iterator[RunResult]:
    """Fine-tune for ``recipe.epochs`` epochs, yielding the result so far after every batch (its curve grows by one
    point per epoch); the last yield is the finished run."""
    device = torch.device(device)
    model = start_model(spec, source, run, len(target.class_names), recipe.seed, device)
    train_x, test_x = to_input(target.train_pictures, run.normalised), to_input(target.test_pictures, run.normalised)
    if recipe.batch_size > len(train_x):
        raise TransferError(f"batch size {recipe.batch_size} is more than the {len(train_x)} training images")
    training = trainable_parts(model, run.choice)
    params = [p for p in model.parameters() if p.requires_grad]
    result = RunResult(run, sum(p.numel() for p in params), sum(p.numel() for p in model.fc.parameters()))
    start = {n: p.detach().cpu().clone() for n, p in model.named_parameters()}
    result.cams_before, result.said_before = _cams(model, test_x[:CAM_IMAGES])
    result.curve.append(EpochPoint(0, accuracy(model, train_x, target.train_labels),
                                   accuracy(model, test_x, target.test_labels), 0.0))  # fmt: skip
    optimiser = torch.optim.SGD(params, lr=recipe.lr, momentum=0.9)
    order = torch.Generator().manual_seed(recipe.seed)
    per_epoch = len(train_x) // recipe.batch_size
    for epoch in range(1, recipe.epochs + 1):
        shuffled = torch.randperm(len(train_x), generator=order)
        seconds = 0.0
        for b in range(per_epoch):
            began = time.perf_counter()
            _train_mode(model, training)
            index = shuffled[b * recipe.batch_size : (b + 1) * recipe.batch_size]
            loss = F.cross_entropy(model(train_x[index].to(device)), target.train_labels[index].to(device))
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            model.eval()
            seconds += time.perf_counter() - began
            if b < per_epoch - 1:
                yield result
        result.curve.append(EpochPoint(epoch, accuracy(model, train_x, target.train_labels),
                                       accuracy(model, test_x, target.test_labels), seconds))  # fmt: skip
        if epoch < recipe.epochs:
            yield result
    model.zero_grad(set_to_none=True)
    result.moved = moved(start, model)
    result.cams_after, result.said_after = _cams(model, test_x[:CAM_IMAGES])
    result.state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    yield result


def steps_per_run(target: TargetSet, recipe: Recipe) -> int:
    """How many times :func:`run_steps` yields for one run."""
    return recipe.epochs * (len(target.train_pictures) // recipe.batch_size)


def fine_tune(
    spec: ModelSpec, source: ResNet, target: TargetSet, runs: Sequence[Run], recipe: Recipe,
    device: torch.device | str = "cpu",
) -> list[RunResult]:  # fmt: skip
    """Every run to the end, one after the other."""
    finished = []
    for run in runs:
        *_steps, last = run_steps(spec, source, target, run, recipe, device)
        finished.append(last)
    return finished


def exported(result: RunResult) -> bytes:
    """The run's fine-tuned weights as a state-dict file (``torch.save``), loadable in the image lab."""
    buffer = io.BytesIO()
    torch.save(result.state, buffer)
    return buffer.getvalue()
