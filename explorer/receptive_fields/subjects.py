"""What the effective fields are measured on: a residual net and its plain counterpart, and images for them.

* ``shapes-20``: the shipped Shapes-trained ResNet-20 and plain-20, on held-out Shapes images;
* ``untrained-D``: CIFAR ResNet-D and plain-D at their initialisation (Kaiming, the same seed), on the same
  Shapes images — Luo et al.'s setting, where depth alone shapes the field;
* ``imagenet-18`` / ``imagenet-50``: ResNet-18/50 with torchvision's ImageNet weights when they are in the local
  cache (untrained otherwise) and the plain net untrained (no ImageNet weights exist for it), on the sample photos.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from PIL import Image
from torch import Tensor

from explorer.images import SAMPLES, load_sample, normalise, prepare
from explorer.shapes import dataset as shapes_dataset
from explorer.shapes.shipped import load_shipped, shipped_models
from explorer.spec import ModelSpec, SpecError
from explorer.weights import ImageNetWeights, RandomWeights, imagenet, load_model
from models import ResNet

SUBJECTS: dict[str, str] = {
    "shapes-20": "Shapes: ResNet-20 vs plain-20 (trained, shipped)",
    "untrained-20": "ResNet-20 vs plain-20, untrained",
    "untrained-56": "ResNet-56 vs plain-56, untrained",
    "untrained-110": "ResNet-110 vs plain-110, untrained",
    "imagenet-18": "ResNet-18 vs plain-18 (ImageNet weights if cached)",
    "imagenet-50": "ResNet-50 vs plain-50 (ImageNet weights if cached)",
}
CIFAR_SIDES: tuple[int, ...] = (32, 64, 96, 128)
IMAGENET_SIDE = 224
MAX_IMAGES = 32


@dataclass(frozen=True)
class MeasuredNet:
    """One net of a subject: its label (``ResNet-20``, ``plain-20``), the model, and what its weights are."""

    label: str
    model: ResNet
    weights: str


def _check(name: str) -> None:
    if name not in SUBJECTS:
        raise SpecError(f"nets must be one of {', '.join(SUBJECTS)}; got {name!r}")


def is_imagenet(name: str) -> bool:
    """Whether the subject's nets are ImageNet nets (measured on photos at 224×224)."""
    _check(name)
    return name.startswith("imagenet")


def sides(name: str) -> tuple[int, ...]:
    """The image sides the subject can be measured at."""
    return (IMAGENET_SIDE,) if is_imagenet(name) else CIFAR_SIDES


def subject_nets(name: str, device: torch.device | str = "cpu") -> list[MeasuredNet]:
    """The residual net and the plain net of the subject ``name``, in eval mode on ``device``."""
    _check(name)
    kind, depth = name.split("-")
    if kind == "shapes":
        shipped = shipped_models()
        return [MeasuredNet(label, load_shipped(shipped[key], device), "trained on Shapes (shipped)")
                for label, key in (("ResNet-20", "shapes_resnet20"), ("plain-20", "shapes_plain20"))]  # fmt: skip
    model_name = f"resnet{depth}" if kind == "imagenet" else f"cifar_resnet{depth}"
    found = []
    for skip in (True, False):
        spec = ModelSpec(model_name, skip=skip)
        source = ImageNetWeights() if skip and kind == "imagenet" and imagenet.is_cached(spec) else RandomWeights()
        loaded = load_model(spec, source, device)
        weights = "ImageNet weights" if loaded.trained else "untrained (random initialisation)"
        found.append(MeasuredNet(f"{'ResNet' if skip else 'plain'}-{depth}", loaded.model, weights))
    return found


def subject_images(name: str, count: int, side: int) -> tuple[Tensor, list[Image.Image]]:
    """``count`` images for the subject at ``side`` × ``side``: the network inputs (N, 3, side, side) and the
    pictures they show. ImageNet subjects use the sample photos (as many as there are)."""
    if side not in sides(name):
        raise SpecError(f"image side for these nets must be one of {', '.join(map(str, sides(name)))}; got {side}")
    if not 1 <= count <= MAX_IMAGES:
        raise SpecError(f"number of images must be from 1 to {MAX_IMAGES}; got {count}")
    if is_imagenet(name):
        prepared = [prepare(load_sample(sample), side) for sample in list(SAMPLES)[:count]]
        return torch.cat([x for x, _ in prepared]), [seen for _, seen in prepared]
    test = shipped_models()["shapes_resnet20"].test_config
    config = shapes_dataset.ShapesConfig(**{**asdict(test), "size": side})
    images, _ = shapes_dataset.arrays(config, 0, count)
    return normalise(images), [Image.fromarray(image) for image in images]
