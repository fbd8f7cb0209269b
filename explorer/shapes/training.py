"""Train the explorer's own small models on Shapes, and the checkpoints that ship with it.

``python -m explorer train`` trains a CIFAR-style ResNet-20 and its plain counterpart on the
CPU and writes, for each, a state dict (``.pt``) and a metadata file (``.json``: dataset,
recipe, test accuracy on a freshly generated test set, training time).
"""

from __future__ import annotations

import functools
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from explorer import storage
from explorer.errors import check_range
from explorer.images import normalise
from explorer.shapes import dataset
from explorer.shapes.dataset import CLASSES, ShapesConfig
from explorer.spec import ModelSpec
from models import ResNet, seeded

TEST_SEED_OFFSET = 1_000  # the test set is drawn with seed + this: images the model never saw


@dataclass(frozen=True)
class Recipe:
    """How a Shapes model is trained (SGD with momentum, cosine learning rate)."""

    steps: int = 900
    batch_size: int = 64
    lr: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 5e-4
    train_images: int = 12_000
    test_images: int = 1_000
    seed: int = 0

    def __post_init__(self) -> None:
        check_range("steps", self.steps, 1, 100_000)
        check_range("batch size", self.batch_size, 1, 1024)
        check_range("learning rate", self.lr, 0, 10, whole=False, above_low=True)
        check_range("training images", self.train_images, 1, 200_000)
        check_range("test images", self.test_images, 1, 100_000)


def shapes_spec(depth: int = 20, skip: bool = True) -> ModelSpec:
    """The CIFAR-style model trained on Shapes: depth 6n+2, one output per shape class."""
    return ModelSpec(f"cifar_resnet{depth}", skip=skip, num_classes=len(CLASSES))


def test_config_for(data: ShapesConfig) -> ShapesConfig:
    """The fresh test set for a training set: same look, another seed."""
    return ShapesConfig(**{**asdict(data), "seed": data.seed + TEST_SEED_OFFSET})


@torch.no_grad()
def evaluate(model: ResNet, config: ShapesConfig, count: int, batch_size: int = 250) -> float:
    """Accuracy of ``model`` on the first ``count`` images of ``config``."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    correct = 0
    try:
        for start in range(0, count, batch_size):
            images, labels = dataset.arrays(config, start, min(batch_size, count - start))
            predictions = model(normalise(images).to(device)).argmax(dim=1).cpu()
            correct += int((predictions == torch.from_numpy(labels)).sum())
    finally:
        model.train(was_training)
    return correct / count


@functools.lru_cache(maxsize=2)
def _training_set(data: ShapesConfig, count: int) -> tuple[torch.Tensor, torch.Tensor]:
    images, labels = dataset.arrays(data, 0, count)
    return normalise(images), torch.from_numpy(labels)


def train(
    spec: ModelSpec,
    data: ShapesConfig,
    recipe: Recipe,
    progress: Callable[[int, int, float], None] | None = None,
    device: torch.device | str = "cpu",
) -> tuple[ResNet, dict]:
    """Train ``spec`` on ``data``; returns the model (eval mode) and its metadata.

    ``progress(step, steps, loss)`` is called after every step.
    """
    started = time.perf_counter()
    inputs, targets = _training_set(data, recipe.train_images)
    with seeded(recipe.seed):  # the initialisation torch.manual_seed(seed) gives, without the global generator
        model = spec.build("cpu")
    model = model.to(device).train()
    optimiser = torch.optim.SGD(
        model.parameters(), lr=recipe.lr, momentum=recipe.momentum, weight_decay=recipe.weight_decay, nesterov=True
    )
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: 0.5 * (1 + math.cos(math.pi * min(step, recipe.steps) / recipe.steps))
    )
    generator = torch.Generator().manual_seed(recipe.seed)
    losses = []
    for step in range(1, recipe.steps + 1):
        index = torch.randint(0, recipe.train_images, (recipe.batch_size,), generator=generator)
        x = inputs[index]
        flip = torch.rand(len(index), generator=generator) < 0.5  # every shape class is mirror-symmetric
        x = torch.where(flip[:, None, None, None], x.flip(3), x).to(device)
        loss = F.cross_entropy(model(x), targets[index].to(device))
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        schedule.step()
        losses.append(loss.item())
        if progress is not None:
            progress(step, recipe.steps, losses[-1])
    train_seconds = time.perf_counter() - started
    model.eval()
    test = test_config_for(data)
    metadata = {
        "model": spec.name,
        "spec": asdict(spec),
        "classes": list(CLASSES),
        "dataset": asdict(data),
        "test_dataset": asdict(test),
        "test_images": recipe.test_images,
        "test_accuracy": evaluate(model, test, recipe.test_images),
        "final_train_loss": sum(losses[-50:]) / len(losses[-50:]),
        "recipe": asdict(recipe),
        "train_seconds": round(train_seconds, 1),
        "device": str(device),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
    }
    return model, metadata


def save(model: ResNet, metadata: dict, stem: Path) -> tuple[Path, Path]:
    """Write ``stem.pt`` (the state dict) and ``stem.json`` (the metadata)."""
    checkpoint, meta = stem.with_suffix(".pt"), stem.with_suffix(".json")
    with storage.atomic_write(checkpoint) as file:
        torch.save(model.state_dict(), file)
    storage.write(meta, json.dumps(metadata, indent=2) + "\n")
    return checkpoint, meta
