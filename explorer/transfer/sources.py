"""Where fine-tuning starts: trained nets of the catalogue the explorer has offline, or ImageNet weights when they
are cached."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from explorer.catalogue import NETS, Net
from explorer.errors import check_choice
from explorer.language import Message
from explorer.spec import ModelSpec
from explorer.transfer.finetune import TransferError
from explorer.weights import imagenet, load_model
from models import ResNet


@dataclass(frozen=True)
class Source:
    """A source of weights: a trained net of the catalogue (``key``, its name there) and the side its inputs are
    prepared at."""

    key: str
    side: int

    @property
    def net(self) -> Net:
        """The catalogue's net."""
        return NETS[self.key]

    @property
    def spec(self) -> ModelSpec:
        """The architecture."""
        return self.net.spec

    @property
    def label(self) -> Message:
        """How the page names it (in the reader's language)."""
        return self.net.name

    def available(self) -> bool:
        """Whether the weights are here (the shipped ones always; ImageNet ones when in the local cache)."""
        return self.net.available()

    def load(self, device: torch.device | str = "cpu") -> ResNet:
        """The source model in eval mode on ``device`` (TransferError, saying where the file belongs, if missing)."""
        if not self.available():
            member = imagenet.imagenet_weights(self.spec)
            where = imagenet.cache_path(member) if member is not None else "torchvision's cache"
            raise TransferError(f"ImageNet weights for {self.spec.label} are not in the local cache ({where}); "
                                "fine-tune the Shapes-trained ResNet-20 instead, or download them first")  # fmt: skip
        return load_model(self.spec, self.net.source, device).model


SOURCES: dict[str, Source] = {
    s.key: s for s in (Source("shapes-resnet20", 32), Source("imagenet-resnet18", 64), Source("imagenet-resnet50", 64))
}


def source(key: str) -> Source:
    """The source named ``key``; a UserError for other names."""
    return SOURCES[check_choice("source", key, SOURCES)]
