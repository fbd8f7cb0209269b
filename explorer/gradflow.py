"""The gradient lab: what skip connections do to the backward signal, and what they do not.

Two CIFAR-style nets of depth 6n+2, plain and residual, with the same width, initialisation,
seed and data order. For one batch, :func:`layer_gradients` measures at the stem and at every
block the norm of the gradient of the loss with respect to the layer's *output* (the backward
signal), the norm of the gradient with respect to the layer's *parameters*, and the standard
deviation of the output. :func:`train` trains both nets side by side and records the same norms
at every step, and :func:`degradation_demo` shows the degradation problem of He et al. 2015:
a deep plain net trains worse than a shallow one, even with batch norm and healthy gradients.

Models are walked through ``sections()`` and each block's ``branches``/``merge``, as in
:mod:`explorer.trace`, with no module hooks.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from explorer.lab_data import DATA_KINDS, IMAGE_SIZES, NUM_CLASSES, DataKind, batches, dataset
from explorer.spec import ModelSpec, SpecError
from explorer.trace import forward_blocks
from models import ACTIVATIONS, ResNet
from models.init import INIT_SCHEMES, InitScheme, initialize
from models.resnet import Activation

Optimiser = Literal["sgd", "adam"]
OPTIMISERS: tuple[Optimiser, ...] = ("sgd", "adam")
NETS: tuple[str, str] = ("plain", "residual")
MIN_DEPTH, MAX_DEPTH = 8, 110
MAX_LR = 10.0
MAX_BATCH = 1024
MAX_STEPS = 5000
STEM = "conv1"

PROFILE_IMAGE_SIZE = 32  # profiles at initialisation: on smaller maps zero padding distorts the 3x3 convolutions
DEMO_DEPTHS: tuple[int, int] = (20, 56)
DEMO_LR = 0.05
DEMO_BATCH = 64


@dataclass(frozen=True)
class GradflowConfig:
    """One gradient-lab setting; invalid values raise :class:`SpecError` with a one-line message.

    ``skip`` chooses the net :func:`build` makes; :func:`train` always trains both. ``momentum``
    applies to SGD only. ``image_size`` is the side of the (3, S, S) inputs: the 8×8 digits are
    enlarged by pixel repetition for 16 or 32.
    """

    depth: int = 20
    skip: bool = True
    batch_norm: bool = True
    preact: bool = False
    activation: Activation = "relu"
    init: InitScheme = "he"
    optimiser: Optimiser = "sgd"
    lr: float = DEMO_LR
    momentum: float = 0.9
    batch_size: int = DEMO_BATCH
    steps: int = 300
    data: DataKind = "digits"
    image_size: int = 8
    seed: int = 0

    def __post_init__(self) -> None:
        if not _whole(self.depth) or not MIN_DEPTH <= self.depth <= MAX_DEPTH or (self.depth - 2) % 6:
            raise SpecError(
                f"depth must be 6n+2 from {MIN_DEPTH} to {MAX_DEPTH} (8, 14, 20, ..., 56, ..., 110); got {self.depth!r}"
            )
        for name in ("skip", "batch_norm", "preact"):
            if not isinstance(getattr(self, name), bool):
                raise SpecError(f"{name.replace('_', ' ')} must be true or false; got {getattr(self, name)!r}")
        _choice("activation", self.activation, tuple(ACTIVATIONS))
        _choice("initialisation", self.init, INIT_SCHEMES)
        _choice("optimiser", self.optimiser, OPTIMISERS)
        _choice("data", self.data, DATA_KINDS)
        _choice("image size", self.image_size, IMAGE_SIZES)
        if not _real(self.lr) or not 0 < self.lr <= MAX_LR:
            raise SpecError(f"learning rate must be a number above 0 and at most {MAX_LR:g}; got {self.lr!r}")
        if not _real(self.momentum) or not 0 <= self.momentum < 1:
            raise SpecError(f"momentum must be a number from 0 up to (not including) 1; got {self.momentum!r}")
        if not _whole(self.batch_size) or not 1 <= self.batch_size <= MAX_BATCH:
            raise SpecError(f"batch size must be a whole number from 1 to {MAX_BATCH}; got {self.batch_size!r}")
        if not _whole(self.steps) or not 0 <= self.steps <= MAX_STEPS:
            raise SpecError(f"steps must be a whole number from 0 to {MAX_STEPS}; got {self.steps!r}")
        if not _whole(self.seed) or not 0 <= self.seed < 2**63:
            raise SpecError(f"seed must be a whole number from 0 to 2**63 - 1; got {self.seed!r}")

    @property
    def spec(self) -> ModelSpec:
        """The model this config describes (CIFAR stem, option-A shortcuts, 10 classes)."""
        return ModelSpec(
            f"cifar_resnet{self.depth}",
            skip=self.skip,
            batch_norm=self.batch_norm,
            activation=self.activation,
            preact=self.preact,
            num_classes=NUM_CLASSES,
        )

    @property
    def label(self) -> str:
        """``ResNet-20`` or ``plain-20``."""
        return net_label(self.skip, self.depth)


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _real(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _choice(name: str, value: object, allowed: Sequence[object]) -> None:
    if value not in allowed or isinstance(value, bool):
        raise SpecError(f"{name} must be one of {', '.join(map(str, allowed))}; got {value!r}")


def net_label(skip: bool, depth: int) -> str:
    """``ResNet-D`` for a net with shortcuts, ``plain-D`` without."""
    return f"{'ResNet' if skip else 'plain'}-{depth}"


def build(config: GradflowConfig, device: torch.device | str = "cpu") -> ResNet:
    """The net of ``config``, initialised with its scheme and seed, in training mode.

    A plain and a residual net built from the same config get identical weights: option-A
    shortcuts have no parameters, so both draw the same tensors in the same order. The global
    random state is left as it was.
    """
    with torch.random.fork_rng():  # the layers' own initialisation, replaced below
        model = config.spec.build(device)
    initialize(model, config.init, seed=config.seed)
    return model.train()


def build_pair(config: GradflowConfig, device: torch.device | str = "cpu") -> dict[str, ResNet]:
    """``{"plain": ..., "residual": ...}``: the two nets of ``config``, differing only in the shortcuts."""
    return {name: build(replace(config, skip=name == "residual"), device) for name in NETS}


def training_data(config: GradflowConfig) -> Iterator[tuple[Tensor, Tensor]]:
    """The endless, seeded stream of training batches of ``config`` (the same for both nets)."""
    return batches(*dataset(config.data, config.image_size, config.seed), config.batch_size, config.seed)


def probe_batch(config: GradflowConfig) -> tuple[Tensor, Tensor]:
    """The first training batch of ``config``: the batch the profiles at initialisation use."""
    return next(training_data(config))


# --- one batch: the profile of the backward signal -------------------------------------------


@dataclass(frozen=True)
class LayerGradient:
    """The stem (``conv1``) or one block (``layer2.0`` ...) on one batch.

    ``signal`` is ‖∂L/∂output‖, the backward signal leaving the layer towards the input;
    ``weight`` is ‖∂L/∂θ‖ over the layer's ``parameters`` weights (convolutions and batch norm);
    ``activation_std`` is the standard deviation of the layer's output.
    """

    name: str
    signal: float
    weight: float
    activation_std: float
    parameters: int

    @property
    def weight_rms(self) -> float:
        """The root-mean-square gradient of one weight: ``weight`` / √``parameters``.

        Blocks of the last CIFAR stage hold 16 times as many weights as those of the first, so
        this, not ``weight``, is the figure to compare between stages.
        """
        return self.weight / math.sqrt(self.parameters)


@dataclass(frozen=True)
class GradientProfile:
    """The cross-entropy loss of a batch and one :class:`LayerGradient` per layer, stem first."""

    loss: float
    layers: tuple[LayerGradient, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """Layer names, stem first."""
        return tuple(layer.name for layer in self.layers)

    @property
    def signal(self) -> tuple[float, ...]:
        """Gradient norms with respect to the layers' outputs (activations)."""
        return tuple(layer.signal for layer in self.layers)

    @property
    def weight(self) -> tuple[float, ...]:
        """Gradient norms with respect to the layers' parameters (weights)."""
        return tuple(layer.weight for layer in self.layers)

    @property
    def weight_rms(self) -> tuple[float, ...]:
        """Root-mean-square gradient of one weight, per layer."""
        return tuple(layer.weight_rms for layer in self.layers)

    @property
    def activation_std(self) -> tuple[float, ...]:
        """Standard deviations of the layers' outputs (the forward signal)."""
        return tuple(layer.activation_std for layer in self.layers)


def _walk(model: ResNet, x: Tensor) -> tuple[Tensor, list[Tensor]]:
    """The logits, and the outputs of the stem and of every block in order (no hooks)."""
    logits, stem, passes = forward_blocks(model, x)
    return logits, [stem, *(p.output for p in passes)]


def layer_groups(model: ResNet) -> list[tuple[str, list[nn.Parameter]]]:
    """The stem and every block with its parameters, in forward order."""
    stem = model.sections()[0]
    return [
        (STEM, [p for module in stem.modules for p in module.parameters()]),
        *((name, list(block.parameters())) for name, block in model.blocks()),
    ]


def _group_norms(tensors: Sequence[Tensor], group_of: Tensor, groups: int) -> Tensor:
    """Per group, the norm of all its tensors together: one foreach norm and one scatter-add."""
    squares = torch.stack(torch._foreach_norm(list(tensors))).square()
    return squares.new_zeros(groups).index_add_(0, group_of, squares).sqrt()


def _group_index(groups: Sequence[tuple[str, list[nn.Parameter]]], device: torch.device) -> Tensor:
    """For each parameter, in group order, the index of its group."""
    return torch.tensor([i for i, (_, params) in enumerate(groups) for _ in params], device=device)


def layer_gradients(model: ResNet, x: Tensor, y: Tensor) -> GradientProfile:
    """One forward and one backward pass of the cross-entropy of ``(x, y)``, measured per layer.

    The gradients come from ``torch.autograd.grad``: nothing is written to the parameters'
    ``.grad`` and no hooks are registered. The model is used in its current mode; in training
    mode batch norm uses the batch's statistics and, as any training forward, updates its
    running statistics.
    """
    groups = layer_groups(model)
    params = [p for _, group in groups for p in group]
    with torch.enable_grad():
        logits, outputs = _walk(model, x)
        loss = F.cross_entropy(logits, y)
        grads = torch.autograd.grad(loss, [*outputs, *params])
    signal = torch.stack(torch._foreach_norm(list(grads[: len(outputs)])))
    weight = _group_norms(grads[len(outputs) :], _group_index(groups, signal.device), len(groups))
    std = torch.stack([out.detach().std() for out in outputs])
    sizes = [sum(p.numel() for p in group) for _, group in groups]
    rows = zip((name for name, _ in groups), *torch.stack([signal, weight, std]).tolist(), sizes, strict=True)
    return GradientProfile(loss.item(), tuple(LayerGradient(*row) for row in rows))


def first_to_last_ratio(
    profile: GradientProfile, quantity: Literal["signal", "weight", "weight_rms"] = "signal"
) -> float:
    """How much the gradient grows (> 1) or vanishes (< 1) from the last block back to the first.

    For ``signal`` (gradient w.r.t. activations): ‖∂L/∂x‖ entering the first block (x = the stem's
    output) over ‖∂L/∂y‖ at the last block's output, so every block's backward Jacobian counts.
    For ``weight`` and ``weight_rms`` (gradient w.r.t. parameters): the first block's figure
    over the last block's. REFERENCE.md's depth-20 table is reproduced (within a factor of 3,
    except the residual net without batch norm) on one batch of 64 standard-normal 3×32×32
    images with random labels: ``probe_batch(GradflowConfig(data="random", image_size=32))``.
    """
    values = getattr(profile, quantity)
    first = values[0] if quantity == "signal" else values[1]
    return first / values[-1]


def initial_profiles(config: GradflowConfig) -> dict[str, GradientProfile]:
    """The profiles of the plain and the residual net of ``config`` at initialisation, on its probe batch."""
    x, y = probe_batch(config)
    return {name: layer_gradients(model, x, y) for name, model in build_pair(config).items()}


# --- training both nets side by side ---------------------------------------------------------


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

    def __init__(self, name: str, model: ResNet, config: GradflowConfig) -> None:
        self.name = name
        self.model = model
        groups = layer_groups(model)
        self.layers = tuple(layer for layer, _ in groups)
        self.params = [p for _, group in groups for p in group]
        self.group_of = _group_index(groups, self.params[0].device)
        self.optimiser = make_optimiser(config, model.parameters())

    def step(self, step: int, x: Tensor, y: Tensor, record: bool) -> StepRecord:
        """One SGD/Adam step on ``(x, y)``; the norms are read from the gradients of this step."""
        self.optimiser.zero_grad(set_to_none=True)
        if record:
            logits, outputs = _walk(self.model, x)
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
        weight = _group_norms([p.grad for p in self.params], self.group_of, len(self.layers))
        values = torch.cat([torch.stack([loss.detach(), correct]), signal, weight]).tolist()
        count = len(self.layers)
        return StepRecord(
            step, self.name, values[0], values[1], self.layers, tuple(values[2 : 2 + count]), tuple(values[2 + count :])
        )


def make_optimiser(config: GradflowConfig, params: Iterable[nn.Parameter]) -> torch.optim.Optimizer:
    """SGD with ``config.momentum``, or Adam, at ``config.lr``."""
    if config.optimiser == "adam":
        return torch.optim.Adam(params, lr=config.lr)
    return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum)


def train(
    config: GradflowConfig, models: Mapping[str, ResNet] | None = None, record: bool = True
) -> Iterator[tuple[StepRecord, ...]]:
    """Train nets side by side for ``config.steps`` steps, yielding one record per net per step.

    ``models`` defaults to :func:`build_pair` (``plain`` then ``residual``); pass your own to
    keep them afterwards. Every net sees the same batches in the same order. Each yield comes
    after a complete step of every net, so a caller may stop iterating at any point: the nets
    then have taken the same number of steps, their gradients are cleared and their
    train/eval modes are restored. The optimisers live as long as the iterator.
    ``record=False`` skips the per-layer norms.
    """
    nets = models if models is not None else build_pair(config)
    learners = [_Learner(name, model, config) for name, model in nets.items()]
    modes = [model.training for model in nets.values()]
    stream = training_data(config)
    try:
        for model in nets.values():
            model.train()
        for step in range(1, config.steps + 1):
            x, y = next(stream)
            yield tuple(learner.step(step, x, y, record) for learner in learners)
    finally:
        for model, mode in zip(nets.values(), modes, strict=True):
            model.zero_grad(set_to_none=True)
            model.train(mode)


# --- the degradation problem ----------------------------------------------------------------


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


def degradation_config(depth: int, steps: int, seed: int = 0) -> GradflowConfig:
    """The degradation recipe: digits at 8×8, batch norm, He init, SGD (lr 0.05, momentum 0.9), batch 64."""
    return GradflowConfig(
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


def degradation_demo(steps: int = 400, seed: int = 0, depths: Sequence[int] = DEMO_DEPTHS) -> dict[str, Curve]:
    """Train plain and residual nets of each depth on the digits; their curves by label.

    With the default depths: ``plain-20``, ``ResNet-20``, ``plain-56``, ``ResNet-56``. All
    nets see the same batches. The deep plain net ends with a clearly higher training loss than
    the shallow one and than the residual net of its own depth (He et al. 2015, Fig. 1 and 4).
    """
    curves: dict[str, Curve] = {}
    for depth in depths:
        runs = list(train(degradation_config(depth, steps, seed), record=False))
        for index, name in enumerate(NETS):
            label = net_label(name == "residual", depth)
            loss = tuple(records[index].loss for records in runs)
            curves[label] = Curve(label, loss, tuple(records[index].accuracy for records in runs))
    return curves


# --- classroom presets ---------------------------------------------------------------------

PRESETS: dict[str, dict[str, object]] = {
    "vanishing: plain-56, sigmoid, no BN": {
        "depth": 56, "batch_norm": False, "preact": True, "activation": "sigmoid", "init": "xavier",
        "optimiser": "sgd", "lr": 0.05,
    },
    "the paper: plain vs ResNet with BN": {
        "depth": 56, "batch_norm": True, "preact": False, "activation": "relu", "init": "he", "optimiser": "sgd",
        "lr": DEMO_LR,
    },
    "exploding: residual, no BN": {
        "depth": 56, "batch_norm": False, "preact": False, "activation": "relu", "init": "he", "optimiser": "sgd",
        "lr": 0.01,
    },
}  # fmt: skip
PRESET_NOTES: dict[str, str] = {
    "vanishing: plain-56, sigmoid, no BN": (
        "Sigmoid's slope is at most 1/4, so every layer shrinks the plain net's backward signal: at the input it is "
        "many orders of magnitude smaller than at the output (in 32-bit floats it can reach exactly 0). The residual "
        "net's shortcuts carry it back — with pre-activation blocks. Switch pre-activation off: in the original "
        "blocks the sigmoid sits after the addition, on the shortcut's path too, and the signal vanishes there as "
        "well (He et al. 2016, Identity Mappings)."
    ),
    "the paper: plain vs ResNet with BN": (
        "With batch norm and He initialisation neither net's gradient vanishes, yet the plain-56 trains worse than "
        "the ResNet-56: the degradation problem is about optimisation, not vanishing gradients (He et al. 2015, §4.1)."
    ),
    "exploding: residual, no BN": (
        "Without batch norm each residual block adds its branch to the signal, so the backward signal grows "
        "block by block toward the input: skip connections alone do not keep gradients in check."
    ),
}


# --- export -----------------------------------------------------------------------------------


def records_to_csv(records: Iterable[StepRecord]) -> str:
    """The records as CSV: step, net, loss, accuracy, then ``signal:<layer>`` and ``weight:<layer>``
    columns for every recorded layer (empty where a record lacks that layer)."""
    rows: list[dict[str, object]] = []
    columns: dict[str, None] = dict.fromkeys(("step", "net", "loss", "accuracy"))
    for r in records:
        row: dict[str, object] = {"step": r.step, "net": r.net, "loss": _num(r.loss), "accuracy": _num(r.accuracy)}
        for kind, values in (("signal", r.signal), ("weight", r.weight)):
            row.update({f"{kind}:{layer}": _num(v) for layer, v in zip(r.layers, values, strict=True)})
        columns.update(dict.fromkeys(row))
        rows.append(row)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _num(value: float) -> str:
    return format(value, ".6g")
