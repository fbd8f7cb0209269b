"""The trained pairs a lesion study runs on: a residual net and its plain counterpart, with a held-out test set.

* ``shapes-20``: the Shapes-trained ResNet-20 and plain-20 that ship with the explorer, tested on the
  1,000 held-out Shapes images their metadata names.
* ``digits-D``: ResNet-D and plain-D trained here on scikit-learn's digits (8×8) with the degradation
  recipe (SGD, lr 0.05, momentum 0.9, batch 64), on 1,397 of the 1,797 digits, tested on the other 400.
  They are trained on demand and kept on disk (``EXPLORER_RECORDINGS``/nets) by their settings.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from pathlib import Path

import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor

from explorer import recordings
from explorer.gradlab.config import build
from explorer.gradlab.data import batches, digits
from explorer.gradlab.degradation import degradation_config
from explorer.gradlab.training import make_optimiser
from explorer.images import normalise
from explorer.shapes import dataset as shapes_dataset
from explorer.shapes.shipped import load_shipped, shipped_models
from explorer.spec import SpecError
from models import ResNet

DIGITS_TEST = 400
DIGITS_DEPTHS: tuple[int, ...] = (20, 56, 110)
DIGITS_STEPS = 800
NETS_FOLDER = "nets"


@dataclass(frozen=True)
class LabelledSet:
    """Held-out images (normalised, on the CPU) and their labels, with how many classes there are."""

    images: Tensor
    labels: Tensor
    class_names: tuple[str, ...]
    description: str

    def picture(self, index: int, side: int = 96) -> Image.Image:
        """Test image ``index`` for display: its normalised pixels stretched to 0…255, enlarged to ``side``."""
        x = self.images[index]
        x = (x - x.min()) / (x.max() - x.min()).clamp_min(1e-8)
        array = (x.permute(1, 2, 0).numpy() * 255).round().astype("uint8")
        return Image.fromarray(array).resize((side, side), Image.Resampling.NEAREST)

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
    description: str

    @property
    def residual_label(self) -> str:
        """``ResNet-D``."""
        return f"ResNet-{self.depth}"

    def nets(self) -> dict[str, ResNet]:
        """``{"ResNet-D": residual, "plain-D": plain}``."""
        return {self.residual_label: self.residual, f"plain-{self.depth}": self.plain}


@dataclass(frozen=True)
class DigitsRecipe:
    """How a digits pair is trained: the degradation recipe for ``steps`` steps on the training split."""

    depth: int = 56
    steps: int = DIGITS_STEPS
    seed: int = 0

    def __post_init__(self) -> None:
        degradation_config(self.depth, self.steps, self.seed)  # validates depth, steps and seed
        if self.steps < 1:
            raise SpecError(f"steps must be at least 1; got {self.steps}")


def digits_split(seed: int = 0) -> tuple[tuple[Tensor, Tensor], tuple[Tensor, Tensor]]:
    """``(train, test)`` of the digits at 8×8: a seeded permutation, the last :data:`DIGITS_TEST` held out."""
    images, labels = digits(8)
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))
    train, test = order[:-DIGITS_TEST], order[-DIGITS_TEST:]
    return (images[train], labels[train]), (images[test], labels[test])


def shapes_pair(device: torch.device | str = "cpu") -> TrainedPair:
    """The shipped Shapes-trained ResNet-20 and plain-20, with their held-out test images."""
    shipped = shipped_models()
    residual, plain = shipped["shapes_resnet20"], shipped["shapes_plain20"]
    count = residual.metadata["test_images"]
    images, labels = shapes_dataset.arrays(residual.test_config, 0, count)
    test = LabelledSet(normalise(images), torch.from_numpy(labels), tuple(shapes_dataset.CLASSES),
                   f"{count:,} held-out Shapes images")  # fmt: skip
    return TrainedPair(
        "shapes-20",
        20,
        load_shipped(residual, device),
        load_shipped(plain, device),
        test,
        f"Shapes-trained ResNet-20 vs plain-20 (shipped; test accuracy {residual.metadata['test_accuracy']:.1%} "
        f"vs {plain.metadata['test_accuracy']:.1%})",
    )


def _path(recipe: DigitsRecipe, skip: bool) -> Path:
    digest = hashlib.sha256(json.dumps([asdict(recipe), skip, DIGITS_TEST]).encode()).hexdigest()[:16]
    return recordings.folder() / NETS_FOLDER / f"digits-{'resnet' if skip else 'plain'}{recipe.depth}-{digest}.pt"


def _load_kept(recipe: DigitsRecipe, skip: bool, device: torch.device | str) -> ResNet | None:
    model = build(replace(degradation_config(recipe.depth, recipe.steps, recipe.seed), skip=skip), "cpu")
    try:
        state = torch.load(_path(recipe, skip), map_location="cpu", weights_only=True)
        model.load_state_dict(state, strict=True)
    except (OSError, RuntimeError, ValueError, KeyError, EOFError, pickle.UnpicklingError):  # damaged: train again
        return None
    return model.to(device).eval()


def _keep(recipe: DigitsRecipe, skip: bool, model: ResNet) -> None:
    path = _path(recipe, skip)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        torch.save({k: v.cpu() for k, v in model.state_dict().items()}, partial)
        partial.replace(path)
    except OSError:
        pass  # a folder that cannot be written: the nets are simply trained again next time


def digits_test() -> LabelledSet:
    """The 400 held-out digits."""
    _, (images, labels) = digits_split()
    return LabelledSet(images, labels, tuple(map(str, range(10))), f"{DIGITS_TEST} held-out digits (8×8)")


def digits_pair_steps(
    recipe: DigitsRecipe = DigitsRecipe(), device: torch.device | str = "cpu"
) -> Iterator[tuple[int, int, TrainedPair | None]]:
    """Train (or load from disk) ResNet-D and plain-D on the digits' training split.

    Yields ``(steps done, steps in all, None)`` after every training step and finally
    ``(total, total, pair)``; nets kept on disk by an earlier run load at once.
    """
    total = 2 * recipe.steps
    kept = {skip: _load_kept(recipe, skip, device) for skip in (True, False)}
    if kept[True] is None or kept[False] is None:
        config = degradation_config(recipe.depth, recipe.steps, recipe.seed)
        (images, labels), _ = digits_split()
        for n, skip in enumerate((True, False)):
            if kept[skip] is not None:
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
            kept[skip] = model.eval()
            _keep(recipe, skip, model)
    pair = TrainedPair(
        f"digits-{recipe.depth}",
        recipe.depth,
        kept[True],
        kept[False],
        digits_test(),
        f"ResNet-{recipe.depth} vs plain-{recipe.depth} trained here on the digits ({recipe.steps} SGD steps each)",
    )
    yield total, total, pair


PAIRS: tuple[str, ...] = ("shapes-20", *(f"digits-{depth}" for depth in DIGITS_DEPTHS))


def pair_steps(
    name: str, steps: int = DIGITS_STEPS, device: torch.device | str = "cpu"
) -> Iterator[tuple[int, int, TrainedPair | None]]:
    """The pair named ``name`` (one of :data:`PAIRS`), as :func:`digits_pair_steps` yields it (the shipped
    Shapes pair in one step)."""
    if name == "shapes-20":
        yield 1, 1, shapes_pair(device)
        return
    if name not in PAIRS:
        raise SpecError(f"nets must be one of {', '.join(PAIRS)}; got {name!r}")
    yield from digits_pair_steps(DigitsRecipe(int(name.split("-")[1]), steps), device)


def ready(name: str, steps: int = DIGITS_STEPS) -> bool:
    """Whether the pair named ``name`` loads at once: shipped, or trained earlier and kept on disk."""
    if name == "shapes-20":
        return True
    recipe = DigitsRecipe(int(name.split("-")[1]), steps)
    return all(_path(recipe, skip).exists() for skip in (True, False))


def pair(name: str, steps: int = DIGITS_STEPS, device: torch.device | str = "cpu") -> TrainedPair:
    """The pair named ``name``, trained or loaded: see :func:`pair_steps`."""
    *_, (_, _, found) = pair_steps(name, steps, device)
    assert found is not None
    return found


@lru_cache(maxsize=len(PAIRS))
def training_sample(name: str, count: int = 512) -> LabelledSet:
    """The first ``count`` training images of the pair ``name`` (what its loss landscape is measured on); drawn
    once and shared (treat the tensors as read-only), not on every rerun of the page."""
    if name == "shapes-20":
        shipped = shipped_models()["shapes_resnet20"]
        config = shapes_dataset.ShapesConfig(**shipped.metadata["dataset"])
        images, labels = shapes_dataset.arrays(config, 0, count)
        return LabelledSet(normalise(images), torch.from_numpy(labels), tuple(shapes_dataset.CLASSES),
                           f"{count} Shapes training images")  # fmt: skip
    if name not in PAIRS:
        raise SpecError(f"nets must be one of {', '.join(PAIRS)}; got {name!r}")
    (images, labels), _ = digits_split()
    return LabelledSet(images[:count], labels[:count], tuple(map(str, range(10))), f"{count} training digits (8×8)")
