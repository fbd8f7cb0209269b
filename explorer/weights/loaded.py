"""A model with its weights, and the protocol every source of weights follows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

from explorer.language import Message
from explorer.spec import ModelSpec
from models import ResNet


@dataclass(frozen=True)
class LoadedModel:
    """A model in eval mode, the spec it was built from, and what its weights are (``label``).

    ``spec`` is the architecture actually built (its class count is the weights' own);
    ``weights_id`` names the weights exactly (a checkpoint by its SHA-256), so that together
    with ``spec`` it keys anything computed with this model.
    """

    spec: ModelSpec
    model: ResNet
    label: Message  # said in each reader's language: the model is shared by every session
    trained: bool
    class_names: tuple[str, ...]
    weights_id: str


class WeightSource(Protocol):
    """Where a model's weights come from; ``load`` builds the spec with them on the CPU."""

    kind: ClassVar[str]

    @property
    def key(self) -> str:
        """What determines the weights, as a short string: with the spec it keys the model in every cache."""
        ...

    def available(self, spec: ModelSpec) -> bool:
        """Whether these weights exist here for ``spec`` (without loading them)."""
        ...

    def load(self, spec: ModelSpec) -> LoadedModel:
        """``spec`` built on the CPU with these weights; raises WeightsError when they do not exist or fit."""
        ...
