"""The variants a class can put side by side: depths, plain vs residual, pre-activation, and different weights.

Each is a :class:`~explorer.spec.ModelSpec` and a kind of weights. ImageNet weights come from torchvision's local
cache only; where they are missing the variant is built untrained, and its label says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from explorer.spec import ModelSpec, SpecError
from explorer.weights import SOURCES, LoadedModel, RandomWeights, imagenet, load_model


@dataclass(frozen=True)
class Variant:
    """A variant: its key (for the command line and addresses), its name (as shown), what is built and which
    weights fill it (``imagenet``, ``shapes`` or ``random``)."""

    key: str
    name: str
    spec: ModelSpec
    weights: str

    @property
    def input_size(self) -> int:
        """The side the variant's input is prepared at: 224 (ImageNet family) or 32 (CIFAR family)."""
        return self.spec.default_input_size

    def available(self) -> bool:
        """Whether its weights are here (ImageNet weights in the local cache; the others always)."""
        return self.weights != "imagenet" or imagenet.is_cached(self.spec)


def _variants() -> dict[str, Variant]:
    rows = [
        ("shapes-resnet20", "ResNet-20 · Shapes-trained", ModelSpec("cifar_resnet20", num_classes=6), "shapes"),
        ("shapes-plain20", "plain-20 · Shapes-trained", ModelSpec("cifar_resnet20", skip=False, num_classes=6),
         "shapes"),
        *((f"resnet{d}-imagenet", f"ResNet-{d} · ImageNet", ModelSpec(f"resnet{d}"), "imagenet")
          for d in (18, 34, 50, 101, 152)),
        ("plain18", "plain-18 · untrained", ModelSpec("resnet18", skip=False), "random"),
        ("plain34", "plain-34 · untrained", ModelSpec("resnet34", skip=False), "random"),
        ("preact-resnet50", "ResNet-50 pre-activation · untrained", ModelSpec("resnet50", preact=True), "random"),
        *((f"resnet{d}", f"ResNet-{d} · untrained", ModelSpec(f"cifar_resnet{d}"), "random") for d in (20, 56, 110)),
        ("plain56", "plain-56 · untrained", ModelSpec("cifar_resnet56", skip=False), "random"),
        ("preact-resnet56", "ResNet-56 pre-activation · untrained", ModelSpec("cifar_resnet56", preact=True),
         "random"),
    ]  # fmt: skip
    return {key: Variant(key, name, spec, weights) for key, name, spec, weights in rows}


VARIANTS: dict[str, Variant] = _variants()
MAX_VARIANTS = 4


def check_keys(keys: list[str]) -> list[Variant]:
    """The variants named by ``keys``, checked: two to four known, different keys."""
    unknown = [k for k in keys if k not in VARIANTS]
    if unknown:
        raise SpecError(f"unknown variant {unknown[0]!r}: choose from {', '.join(VARIANTS)}")
    if not 2 <= len(keys) <= MAX_VARIANTS or len(set(keys)) != len(keys):
        raise SpecError(f"choose two to {MAX_VARIANTS} different variants; got {len(keys)}")
    return [VARIANTS[k] for k in keys]


def default_keys() -> list[str]:
    """ResNet-18 and ResNet-50 with ImageNet weights when both are cached; else the Shapes-trained pair."""
    imagenet_pair = ["resnet18-imagenet", "resnet50-imagenet"]
    if all(VARIANTS[k].available() for k in imagenet_pair):
        return imagenet_pair
    return ["shapes-resnet20", "shapes-plain20"]


def load_variant(variant: Variant, device: torch.device | str = "cpu") -> LoadedModel:
    """The variant's model with its weights on ``device``: ImageNet weights not in the cache give the untrained
    model, labelled so."""
    if not variant.available():
        loaded = load_model(variant.spec, RandomWeights(), device)
        member = imagenet.imagenet_weights(variant.spec)
        where = f" ({imagenet.cache_path(member)})" if member is not None else ""
        label = f"untrained: its ImageNet weights are not in the local cache{where}"
        return LoadedModel(loaded.spec, loaded.model, label, False, loaded.class_names, loaded.weights_id)
    return load_model(variant.spec, SOURCES[variant.weights], device)
