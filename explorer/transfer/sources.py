"""Where fine-tuning starts: trained weights the explorer has offline, or ImageNet weights when they are cached."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from explorer.shapes.shipped import load_shipped, shipped_models
from explorer.spec import ModelSpec
from explorer.transfer.finetune import TransferError
from explorer.weights import ImageNetWeights, imagenet, load_model
from models import ResNet


@dataclass(frozen=True)
class Source:
    """A source of weights: its name on the page, the architecture, and the side its inputs are prepared at."""

    key: str
    label: str
    spec: ModelSpec
    side: int

    def available(self) -> bool:
        """Whether the weights are here (the shipped ones always; ImageNet ones when in the local cache)."""
        return self.key == "shapes-resnet20" or imagenet.is_cached(self.spec)

    def load(self, device: torch.device | str = "cpu") -> ResNet:
        """The source model in eval mode on ``device`` (TransferError, saying where the file belongs, if missing)."""
        if self.key == "shapes-resnet20":
            return load_shipped(shipped_models()["shapes_resnet20"], device)
        if not self.available():
            member = imagenet.imagenet_weights(self.spec)
            where = imagenet.cache_path(member) if member is not None else "torchvision's cache"
            raise TransferError(f"ImageNet weights for {self.spec.label} are not in the local cache ({where}); "
                                "fine-tune the Shapes-trained ResNet-20 instead, or download them first")  # fmt: skip
        return load_model(self.spec, ImageNetWeights(), device).model


SOURCES: dict[str, Source] = {
    s.key: s
    for s in (
        Source("shapes-resnet20", "Shapes-trained ResNet-20 (shipped)", ModelSpec("cifar_resnet20", num_classes=6), 32),
        Source("imagenet-resnet18", "ResNet-18, ImageNet weights (torchvision)", ModelSpec("resnet18"), 64),
        Source("imagenet-resnet50", "ResNet-50, ImageNet weights (torchvision)", ModelSpec("resnet50"), 64),
    )
}


def source(key: str) -> Source:
    """The source named ``key``; TransferError for other names."""
    if key not in SOURCES:
        raise TransferError(f"source must be one of {', '.join(SOURCES)}; got {key!r}")
    return SOURCES[key]
