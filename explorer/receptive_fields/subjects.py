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

from explorer import catalogue
from explorer.errors import check_choice, check_range
from explorer.images import SAMPLES, load_sample, normalise, prepare
from explorer.language import Message
from explorer.shapes import dataset as shapes_dataset
from explorer.shapes.shipped import shipped_models
from explorer.weights import LoadedModel
from models import ResNet

SUBJECTS: tuple[str, ...] = ("shapes-20", "untrained-20", "untrained-56", "untrained-110", "imagenet-18", "imagenet-50")
CIFAR_SIDES: tuple[int, ...] = (32, 64, 96, 128)
IMAGENET_SIDE = 224
MAX_IMAGES = 32


@dataclass(frozen=True)
class MeasuredNet:
    """One net of a subject: its label (``ResNet-20``, ``plain-20``), the model, and what its weights are."""

    label: str
    model: ResNet
    weights: Message  # said in each reader's language


def _check(name: str) -> catalogue.Pair:
    return catalogue.pair(check_choice("nets", name, SUBJECTS))


def is_imagenet(name: str) -> bool:
    """Whether the subject's nets are ImageNet nets (measured on photos at 224×224)."""
    return _check(name).residual.spec.family == "imagenet"


def sides(name: str) -> tuple[int, ...]:
    """The image sides the subject can be measured at."""
    return (IMAGENET_SIDE,) if is_imagenet(name) else CIFAR_SIDES


def measured_net(net: catalogue.Net, loaded: LoadedModel) -> MeasuredNet:
    """One net of a subject as the page and the command name it, with ``loaded``, the net as loaded."""
    depth = net.spec.name.split("resnet")[-1]
    return MeasuredNet(f"{'ResNet' if net.spec.skip else 'plain'}-{depth}", loaded.model, net.weights_label(loaded))


def subject_nets(name: str, device: torch.device | str = "cpu") -> list[MeasuredNet]:
    """The residual net and the plain net of the subject ``name``, in eval mode on ``device`` (ImageNet weights
    missing from the local cache give the untrained net, labelled so)."""
    return [measured_net(net, net.load(device)) for net in _check(name).nets()]


def subject_images(name: str, count: int, side: int) -> tuple[Tensor, list[Image.Image]]:
    """``count`` images for the subject at ``side`` × ``side``: the network inputs (N, 3, side, side) and the
    pictures they show. ImageNet subjects use the sample photos (as many as there are)."""
    if side not in sides(name):
        check_choice("image side for these nets", side, sides(name))
    check_range("number of images", count, 1, MAX_IMAGES)
    if is_imagenet(name):
        prepared = [prepare(load_sample(sample), side) for sample in list(SAMPLES)[:count]]
        return torch.cat([x for x, _ in prepared]), [seen for _, seen in prepared]
    test = shipped_models()["shapes_resnet20"].test_config
    config = shapes_dataset.ShapesConfig(**{**asdict(test), "size": side})
    images, _ = shapes_dataset.arrays(config, 0, count)
    return normalise(images), [Image.fromarray(image) for image in images]
