"""Small training sets for the gradient lab: scikit-learn's digits, the explorer's Shapes, and noise.

All come as (N, 3, S, S) float tensors, because the CIFAR nets' stem takes three channels: the
grey digits are repeated on every channel. Nothing is downloaded: the digits ship with
scikit-learn and Shapes are drawn on the spot.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Literal

import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from torch import Tensor

from explorer.errors import check_choice, check_range
from explorer.images import normalise
from explorer.shapes import dataset as shapes_dataset

DataKind = Literal["digits", "shapes", "random"]
DATA_KINDS: tuple[DataKind, ...] = ("digits", "shapes", "random")
IMAGE_SIZES: tuple[int, ...] = (8, 16, 32)
NUM_CLASSES = 10
DIGITS_COUNT = 1797


@lru_cache(maxsize=len(IMAGE_SIZES))
def digits(image_size: int = 8) -> tuple[Tensor, Tensor]:
    """All 1,797 digits (8×8, 10 classes) as standardised (N, 3, S, S) images and (N,) labels.

    Pixels are scaled to zero mean and unit standard deviation over the whole set and, for
    ``image_size`` 16 or 32, enlarged by pixel repetition. The tensors are cached and shared:
    treat them as read-only.
    """
    _check_size(image_size)
    raw = load_digits()
    images = torch.tensor(raw.images, dtype=torch.float32)[:, None]
    images = (images - images.mean()) / images.std()
    if image_size != images.shape[-1]:
        images = F.interpolate(images, size=image_size, mode="nearest")
    return images.expand(-1, 3, -1, -1).contiguous(), torch.tensor(raw.target, dtype=torch.long)


@lru_cache(maxsize=len(IMAGE_SIZES))
def shapes(image_size: int = 8) -> tuple[Tensor, Tensor]:
    """1,797 Shapes training images (drawn at 32×32, then area-averaged to ``image_size``) and their labels.

    Labels are the six shape classes (0 to 5) of :mod:`explorer.shapes.dataset`; the nets keep their ten
    outputs. Cached and shared: treat the tensors as read-only.
    """
    _check_size(image_size)
    images, labels = shapes_dataset.arrays(shapes_dataset.ShapesConfig(), 0, DIGITS_COUNT)
    x = normalise(images)
    if image_size != x.shape[-1]:
        x = F.interpolate(x, size=image_size, mode="area")
    return x, torch.from_numpy(labels)


def noise(count: int, image_size: int, seed: int) -> tuple[Tensor, Tensor]:
    """``count`` standard-normal (3, S, S) images with labels drawn uniformly from 10 classes."""
    _check_size(image_size)
    generator = torch.Generator().manual_seed(seed)
    images = torch.randn(count, 3, image_size, image_size, generator=generator)
    return images, torch.randint(0, NUM_CLASSES, (count,), generator=generator)


def dataset(kind: DataKind, image_size: int, seed: int) -> tuple[Tensor, Tensor]:
    """The training set of a lab run: the digits, as many Shapes images, or as many noise images."""
    if kind == "digits":
        return digits(image_size)
    if kind == "shapes":
        return shapes(image_size)
    if kind == "random":
        return noise(DIGITS_COUNT, image_size, seed)
    check_choice("data", kind, DATA_KINDS)
    raise AssertionError(kind)  # every kind is handled above


def batches(images: Tensor, labels: Tensor, batch_size: int, seed: int) -> Iterator[tuple[Tensor, Tensor]]:
    """Endless minibatches: a new seeded shuffle every epoch, the ragged end of each epoch dropped."""
    count = len(images)
    check_range("batch size", batch_size, 1, count)
    generator = torch.Generator().manual_seed(seed)
    while True:
        order = torch.randperm(count, generator=generator)
        for start in range(0, count - batch_size + 1, batch_size):
            index = order[start : start + batch_size]
            yield images[index], labels[index]


def _check_size(image_size: int) -> None:
    check_choice("image size", image_size, IMAGE_SIZES)
