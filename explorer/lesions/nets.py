"""The trained pairs a lesion study (and the loss landscape) runs on, with a held-out test set each.

* ``shapes-20``: the Shapes-trained ResNet-20 and plain-20 that ship with the explorer, tested on the
  1,000 held-out Shapes images their metadata names.
* ``digits-D``: ResNet-D and plain-D trained here on scikit-learn's digits (8×8) with the degradation
  recipe, tested on the 400 digits held out (:mod:`explorer.weights.digits`: trained on demand, kept on disk).

Both are pairs of the catalogue (:mod:`explorer.catalogue`); their nets load like any other model.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import torch
from PIL import Image
from torch import Tensor

from explorer import catalogue
from explorer.errors import check_choice
from explorer.images import normalise
from explorer.language import Message, lazy
from explorer.shapes import dataset as shapes_dataset
from explorer.shapes.shipped import shipped_models
from explorer.weights import DigitsWeights, load_model
from explorer.weights.digits import CLASS_NAMES, DIGITS_DEPTHS, DIGITS_STEPS, DigitsRecipe, digits_split
from explorer.weights.digits import training_steps as digits_training_steps
from models import ResNet

PAIRS: tuple[str, ...] = ("shapes-20", *(f"digits-{depth}" for depth in DIGITS_DEPTHS))
__all__ = ["DIGITS_DEPTHS", "DIGITS_STEPS", "PAIRS", "LabelledSet", "TrainedPair", "pair", "pair_steps", "ready"]


@dataclass(frozen=True)
class LabelledSet:
    """Held-out images (normalised, on the CPU) and their labels, with how many classes there are."""

    images: Tensor
    labels: Tensor
    class_names: tuple[str, ...]
    what: Message  # what the images are, counted in :attr:`description` ("held-out digits (8×8)")
    of: int = 0  # when these are the first images of a larger set: how many that set has

    def picture(self, index: int, side: int = 96) -> Image.Image:
        """Test image ``index`` for display: its normalised pixels stretched to 0…255, enlarged to ``side``."""
        x = self.images[index]
        x = (x - x.min()) / (x.max() - x.min()).clamp_min(1e-8)
        array = (x.permute(1, 2, 0).numpy() * 255).round().astype("uint8")
        return Image.fromarray(array).resize((side, side), Image.Resampling.NEAREST)

    @property
    def description(self) -> Message:
        """``400 held-out digits (8×8)``, ``the first 200 of 400 held-out digits (8×8)``: said where shown."""
        count = f"{len(self.labels):,}"
        if self.of:
            return lazy("the first {count} of {total} {what}", count=count, total=f"{self.of:,}", what=self.what)
        return lazy("{count} {what}", count=count, what=self.what)

    def first(self, count: int) -> LabelledSet:
        """The first ``count`` of these images (all of them if there are fewer)."""
        count = min(count, len(self.labels))
        return LabelledSet(self.images[:count], self.labels[:count], self.class_names, self.what, len(self.labels))

    @property
    def chance_error(self) -> float:
        """The error of guessing a class at random."""
        return 1 - 1 / len(self.class_names)


@dataclass(frozen=True)
class TrainedPair:
    """A residual net and its plain counterpart (eval mode), trained on the same data, and their test set."""

    name: str
    depth: int
    residual: ResNet
    plain: ResNet
    test: LabelledSet
    description: Message  # said where shown (shared by sessions of every language)

    @property
    def residual_label(self) -> str:
        """``ResNet-D``."""
        return f"ResNet-{self.depth}"

    def nets(self) -> dict[str, ResNet]:
        """``{"ResNet-D": residual, "plain-D": plain}``."""
        return {self.residual_label: self.residual, f"plain-{self.depth}": self.plain}


def _check(name: str) -> catalogue.Pair:
    return catalogue.pair(check_choice("nets", name, PAIRS))


def pair_of(name: str, steps: int = DIGITS_STEPS) -> catalogue.Pair:
    """The catalogue's pair ``name`` (one of :data:`PAIRS`), its digits nets trained for ``steps`` steps."""
    found = _check(name)
    if found.residual.source.kind != "digits" or steps == DIGITS_STEPS:
        return found
    return catalogue.Pair(*(catalogue.Net(net.spec, DigitsWeights(steps)) for net in found.nets()))


@lru_cache(maxsize=len(PAIRS))
def test_set(name: str) -> LabelledSet:
    """The held-out images of the pair ``name``: 1,000 Shapes images, or the 400 digits (drawn once; read-only)."""
    if _check(name).residual.source.kind == "digits":
        _, (images, labels) = digits_split()
        return LabelledSet(images, labels, CLASS_NAMES, lazy("held-out digits (8×8)"))
    residual = shipped_models()["shapes_resnet20"]
    count = residual.metadata["test_images"]
    images, labels = shapes_dataset.arrays(residual.test_config, 0, count)
    return LabelledSet(normalise(images), torch.from_numpy(labels), tuple(shapes_dataset.CLASSES),
                       lazy("held-out Shapes images"))  # fmt: skip


def assembled(name: str, residual: ResNet, plain: ResNet, steps: int = DIGITS_STEPS) -> TrainedPair:
    """The pair ``name`` made of these two nets (its residual and its plain one), with its test set."""
    depth = _check(name).depth
    if name == "shapes-20":
        shipped = shipped_models()
        accuracy = [shipped[k].metadata["test_accuracy"] for k in ("shapes_resnet20", "shapes_plain20")]
        description = lazy("Shapes-trained ResNet-20 vs plain-20 (shipped; test accuracy {residual} vs {plain})",
                           residual=f"{accuracy[0]:.1%}", plain=f"{accuracy[1]:.1%}")  # fmt: skip
    else:
        description = lazy("ResNet-{depth} vs plain-{depth} trained here on the digits ({steps} SGD steps each)",
                           depth=depth, steps=steps)  # fmt: skip
    return TrainedPair(name, depth, residual, plain, test_set(name), description)


def ready(name: str, steps: int = DIGITS_STEPS) -> bool:
    """Whether the pair named ``name`` loads at once: shipped, or trained earlier and kept on disk."""
    return all(net.available() for net in pair_of(name, steps).nets())


def pair_steps(
    name: str, steps: int = DIGITS_STEPS, device: torch.device | str = "cpu"
) -> Iterator[tuple[int, int, TrainedPair | None]]:
    """The pair named ``name`` (one of :data:`PAIRS`): ``(steps done, steps in all, None)`` while a digits pair
    trains (see :func:`explorer.weights.digits.training_steps`), then ``(total, total, pair)``; a shipped or kept
    pair in one step."""
    found = pair_of(name, steps)
    if found.residual.source.kind != "digits":
        residual, plain = (load_model(net.spec, net.source, device).model for net in found.nets())
        yield 1, 1, assembled(name, residual, plain, steps)
        return
    for done, total, trained in digits_training_steps(DigitsRecipe(found.depth, steps), device):
        nets = None if trained is None else assembled(name, trained[True], trained[False], steps)
        yield done, total, nets


def pair(name: str, steps: int = DIGITS_STEPS, device: torch.device | str = "cpu") -> TrainedPair:
    """The pair named ``name``, trained or loaded: see :func:`pair_steps`."""
    *_, (_, _, found) = pair_steps(name, steps, device)
    assert found is not None
    return found


@lru_cache(maxsize=3 * len(PAIRS))  # the page offers three sample sizes
def training_sample(name: str, count: int = 512) -> LabelledSet:
    """The first ``count`` training images of the pair ``name`` (what its loss landscape is measured on); drawn
    once and shared (treat the tensors as read-only), not on every rerun of the page."""
    if _check(name).residual.source.kind != "digits":
        shipped = shipped_models()["shapes_resnet20"]
        config = shapes_dataset.ShapesConfig(**shipped.metadata["dataset"])
        images, labels = shapes_dataset.arrays(config, 0, count)
        return LabelledSet(normalise(images), torch.from_numpy(labels), tuple(shapes_dataset.CLASSES),
                           lazy("Shapes training images"))  # fmt: skip
    (images, labels), _ = digits_split()
    return LabelledSet(images[:count], labels[:count], CLASS_NAMES, lazy("training digits (8×8)"))
