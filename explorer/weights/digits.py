"""Nets trained here on scikit-learn's digits: ResNet-D and plain-D with the degradation recipe, kept on disk.

The recipe is the gradient lab's degradation demo (SGD, lr 0.05, momentum 0.9, batch 64, batch norm, He init) on
1,397 of the 1,797 digits at 8×8; the other 400 are held out. :func:`training_steps` trains a pair step by step
(so a page can show progress and stop) and keeps both nets in ``EXPLORER_RECORDINGS``/nets, under a key of the
recipe and the code's version; :class:`DigitsWeights` is the weight source that loads them from there.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor

from explorer import recordings, storage
from explorer.errors import check_range
from explorer.gradlab.config import MAX_STEPS, build
from explorer.gradlab.data import batches, digits
from explorer.gradlab.degradation import degradation_config
from explorer.gradlab.training import make_optimiser
from explorer.language import lazy
from explorer.spec import ModelSpec, SpecError
from explorer.weights.checkpoint import WeightsError
from explorer.weights.loaded import LoadedModel
from models import ResNet

DIGITS_TEST = 400
DIGITS_DEPTHS: tuple[int, ...] = (20, 56, 110)
DIGITS_STEPS = 800
NETS_FOLDER = "nets"
CLASS_NAMES = tuple(map(str, range(10)))


@dataclass(frozen=True)
class DigitsRecipe:
    """How a digits pair is trained: the degradation recipe for ``steps`` steps on the training split."""

    depth: int = 56
    steps: int = DIGITS_STEPS
    seed: int = 0

    def __post_init__(self) -> None:
        degradation_config(self.depth, self.steps, self.seed)  # validates depth, steps and seed
        check_range("steps", self.steps, 1, MAX_STEPS)

    def spec(self, skip: bool) -> ModelSpec:
        """The residual (``skip``) or the plain net this recipe trains."""
        return replace(degradation_config(self.depth, self.steps, self.seed), skip=skip).spec


def digits_split(seed: int = 0) -> tuple[tuple[Tensor, Tensor], tuple[Tensor, Tensor]]:
    """``(train, test)`` of the digits at 8×8: a seeded permutation, the last :data:`DIGITS_TEST` held out."""
    images, labels = digits(8)
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))
    train, test = order[:-DIGITS_TEST], order[-DIGITS_TEST:]
    return (images[train], labels[train]), (images[test], labels[test])


def kept_path(recipe: DigitsRecipe, skip: bool) -> Path:
    """Where the net of ``recipe`` (residual with ``skip``) is kept, by recipe and code version."""
    kind = f"digits-{'resnet' if skip else 'plain'}{recipe.depth}"
    return recordings.kept_path(kind, {**asdict(recipe), "skip": skip, "test": DIGITS_TEST}, ".pt", NETS_FOLDER)


def kept_net(recipe: DigitsRecipe, skip: bool) -> ResNet | None:
    """The net an earlier run kept for ``recipe`` (on the CPU, eval mode), or None (also when the file is damaged)."""
    model = build(replace(degradation_config(recipe.depth, recipe.steps, recipe.seed), skip=skip), "cpu")
    try:
        state = torch.load(kept_path(recipe, skip), map_location="cpu", weights_only=True)
        model.load_state_dict(state, strict=True)
    except (OSError, RuntimeError, ValueError, KeyError, EOFError, pickle.UnpicklingError):
        return None
    return model.eval()


def _keep(recipe: DigitsRecipe, skip: bool, model: ResNet) -> None:
    storage.keep(kept_path(recipe, skip), lambda file: torch.save({k: v.cpu() for k, v in model.state_dict().items()},
                                                                  file))  # fmt: skip


def training_steps(
    recipe: DigitsRecipe, device: torch.device | str = "cpu"
) -> Iterator[tuple[int, int, dict[bool, ResNet] | None]]:
    """Train ResNet-D and plain-D on the digits' training split, those not kept already, and keep them.

    Yields ``(steps done, steps in all, None)`` after every training step and finally ``(total, total, nets)``,
    the residual net under True and the plain one under False (eval mode, on ``device``); nets kept on disk by an
    earlier run load at once.
    """
    total = 2 * recipe.steps
    nets = {skip: kept_net(recipe, skip) for skip in (True, False)}
    config = degradation_config(recipe.depth, recipe.steps, recipe.seed)
    (images, labels), _ = digits_split()
    for n, skip in enumerate((True, False)):
        if nets[skip] is not None:
            continue
        model = build(replace(config, skip=skip), device)
        optimiser = make_optimiser(config, model.parameters())
        stream = batches(images, labels, config.batch_size, config.seed)
        for step in range(1, recipe.steps + 1):
            x, y = (t.to(device) for t in next(stream))
            loss = F.cross_entropy(model(x), y)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            yield n * recipe.steps + step, total, None
        model.zero_grad(set_to_none=True)
        nets[skip] = model.eval()
        _keep(recipe, skip, model)
    yield total, total, {skip: model.to(device).eval() for skip, model in nets.items()}


@dataclass(frozen=True)
class DigitsWeights:
    """The weights :func:`training_steps` gave a CIFAR-style net on the digits (``steps`` SGD steps, ``seed``)."""

    steps: int = DIGITS_STEPS
    seed: int = 0
    kind: ClassVar[str] = "digits"

    @property
    def key(self) -> str:
        """``digits:<steps>:<seed>``: with the spec (depth, plain or residual) it names the net."""
        return f"{self.kind}:{self.steps}:{self.seed}"

    def recipe(self, spec: ModelSpec) -> DigitsRecipe:
        """The recipe that trains ``spec``; SpecError for a spec the recipe does not train."""
        if spec.family == "cifar":
            recipe = DigitsRecipe(int(spec.name.removeprefix("cifar_resnet")), self.steps, self.seed)
            if recipe.spec(spec.skip) == spec:
                return recipe
        raise SpecError(f"only the digits recipe's CIFAR-style nets are trained on the digits, not {spec.label}")

    def available(self, spec: ModelSpec) -> bool:
        """Whether an earlier run kept this net."""
        return kept_path(self.recipe(spec), spec.skip).is_file()

    def load(self, spec: ModelSpec) -> LoadedModel:
        """The kept net on the CPU; WeightsError when it has not been trained yet."""
        recipe = self.recipe(spec)
        model = kept_net(recipe, spec.skip)
        if model is None:
            raise WeightsError(f"{spec.label} has not been trained on the digits yet ({self.steps} steps): train it "
                               "on the Lesions page or with `python -m explorer lesion --nets digits-D`")  # fmt: skip
        return self.loaded(spec, model)

    def loaded(self, spec: ModelSpec, model: ResNet) -> LoadedModel:
        """``model``, trained by this recipe, as a loaded model of these weights."""
        label = lazy("{model} trained here on the digits ({steps} SGD steps)", model=spec.label, steps=self.steps)
        return LoadedModel(spec, model, label, True, CLASS_NAMES, self.key)
