"""A model with its weights: the one way every page, lab and command loads a model.

:func:`load_model` builds a :class:`~explorer.spec.ModelSpec` and fills it from one weight
source, one class per kind:

* :class:`ImageNetWeights`: torchvision's weights, read from the local cache only (:mod:`.imagenet`);
* :class:`ShippedWeights`: the explorer's own Shapes-trained checkpoints (:mod:`explorer.shapes.shipped`);
* :class:`CheckpointWeights`: the bytes of a state-dict file, read with ``weights_only=True`` (:mod:`.checkpoint`);
* :class:`RandomWeights`: a seeded random initialisation (untrained);
* :class:`~explorer.weights.digits.DigitsWeights`: nets trained here on the digits and kept on disk.

Every failure is a :class:`WeightsError` with a one-line message that says what to do. A loaded model is in eval
mode with its parameters' gradients off: it is shared by every session, which only ever reads it (gradients with
respect to inputs and activations flow through it as usual).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ClassVar

import torch

from explorer.language import N_, Message, lazy
from explorer.shapes import shipped
from explorer.spec import ModelSpec, SpecError
from explorer.weights import imagenet
from explorer.weights.checkpoint import MAX_CHECKPOINT_BYTES, WeightsError, load_checkpoint, read_checkpoint
from explorer.weights.digits import DigitsWeights
from explorer.weights.loaded import LoadedModel, WeightSource
from models import ResNet, seeded

WEIGHT_KINDS: dict[str, str] = {
    "imagenet": N_("ImageNet (torchvision)"),
    "shapes": N_("Shapes-trained (shipped)"),
    "random": N_("Random initialisation (untrained)"),
    "checkpoint": N_("Checkpoint file (.pth, .pt, .safetensors)"),
}
CLASSIFIER_WEIGHT = "fc.weight"


def random_model(spec: ModelSpec, seed: int = 0) -> ResNet:
    """The spec's model on the CPU with the same random initialisation for the same ``seed``, in eval mode."""
    with seeded(seed):
        model = spec.build("cpu")
    return model.eval()


def _loaded(spec: ModelSpec, model: ResNet, label: Message, trained: bool, key: str) -> LoadedModel:
    names = imagenet.class_names(spec, model.fc.out_features)
    return LoadedModel(spec, model, label, trained, tuple(names), key)


@dataclass(frozen=True)
class RandomWeights:
    """A seeded random initialisation: untrained, and labelled so wherever it is shown."""

    seed: int = 0
    kind: ClassVar[str] = "random"

    @property
    def key(self) -> str:
        """``random:<seed>``."""
        return f"random:{self.seed}"

    def available(self, spec: ModelSpec) -> bool:
        """Always: any spec can be initialised."""
        return True

    def load(self, spec: ModelSpec) -> LoadedModel:
        """``spec`` with its random initial weights."""
        label = lazy(
            "Random initialisation of {model} (untrained: predictions and maps are meaningless noise)", model=spec.label
        )
        return _loaded(spec, random_model(spec, self.seed), label, False, self.key)


@dataclass(frozen=True)
class ImageNetWeights:
    """torchvision's DEFAULT ImageNet weights, from the local cache (never downloaded here)."""

    kind: ClassVar[str] = "imagenet"

    @property
    def key(self) -> str:
        """``imagenet``: the spec decides which torchvision weights these are."""
        return self.kind

    def available(self, spec: ModelSpec) -> bool:
        """Whether torchvision's file for ``spec`` is in the local cache."""
        return imagenet.is_cached(spec)

    def load(self, spec: ModelSpec) -> LoadedModel:
        """``spec`` with its cached ImageNet weights; WeightsError (saying where the file belongs) otherwise."""
        model = random_model(spec)
        label = imagenet.load_imagenet(model, spec)
        return _loaded(spec, model, label, True, self.key)


@dataclass(frozen=True)
class ShippedWeights:
    """The Shapes-trained checkpoint that ships with the explorer for this architecture."""

    kind: ClassVar[str] = "shapes"

    @property
    def key(self) -> str:
        """``shapes``: the spec decides which shipped checkpoint this is."""
        return self.kind

    def available(self, spec: ModelSpec) -> bool:
        """Whether a checkpoint for ``spec`` ships with the explorer."""
        return shipped.shipped_for(spec) is not None

    def load(self, spec: ModelSpec) -> LoadedModel:
        """The shipped model for ``spec`` (any class count asked for becomes the checkpoint's six)."""
        found = shipped.shipped_for(spec)
        if found is None:
            raise WeightsError(shipped.no_shipped_message(spec))
        model = shipped.load_shipped(found)
        return LoadedModel(found.spec, model, found.label, True, tuple(found.metadata["classes"]), self.key)


@dataclass(frozen=True)
class CheckpointWeights:
    """The bytes of a state-dict file (``.pth``, ``.pt`` or ``.safetensors``), named by their SHA-256 (computed here
    unless ``digest`` gives it: a page hashes an upload once, not on every rerun)."""

    data: bytes = field(repr=False, compare=False)
    filename: str = "checkpoint.pth"
    digest: str = ""
    kind: ClassVar[str] = "checkpoint"

    def __post_init__(self) -> None:
        if not self.digest:
            object.__setattr__(self, "digest", hashlib.sha256(self.data).hexdigest())

    @property
    def key(self) -> str:
        """``checkpoint:<sha256>``."""
        return f"{self.kind}:{self.digest}"

    def available(self, spec: ModelSpec) -> bool:
        """Always: whether the file fits ``spec`` is known once it is read."""
        return True

    def load(self, spec: ModelSpec) -> LoadedModel:
        """``spec`` with the file's tensors; its class count is taken from the file's classifier."""
        state = read_checkpoint(self.data, self.filename)
        classifier = state.get(CLASSIFIER_WEIGHT)
        if classifier is not None and classifier.dim() == 2 and classifier.shape[0] != spec.class_count:
            try:
                spec = spec.with_options(num_classes=int(classifier.shape[0]))
            except SpecError as error:
                raise WeightsError(f"{self.filename!r} does not fit: {error}") from None
        model = random_model(spec)
        load_checkpoint(model, state)
        return _loaded(spec, model, lazy("Checkpoint {file}", file=self.filename), True, self.key)


SOURCES: dict[str, WeightSource] = {
    "imagenet": ImageNetWeights(),
    "shapes": ShippedWeights(),
    "random": RandomWeights(),
}


def load_model(spec: ModelSpec, source: WeightSource, device: torch.device | str = "cpu") -> LoadedModel:
    """Build ``spec`` with the weights of ``source``, in eval mode with its parameters' gradients off, on ``device``.

    Raises :class:`WeightsError` with a one-line message when the weights are unavailable
    (ImageNet weights not in the local cache, no shipped model for the spec) or do not fit.
    """
    return shareable(source.load(spec), device)


def shareable(loaded: LoadedModel, device: torch.device | str = "cpu") -> LoadedModel:
    """``loaded`` on ``device`` as every session may share it: eval mode, parameters' gradients off."""
    return replace(loaded, model=loaded.model.to(device).eval().requires_grad_(False))


def source_from_argument(argument: str) -> WeightSource:
    """The CLI's ``--weights``: ``imagenet``, ``shapes``, ``random`` or the path of a checkpoint file."""
    if argument in SOURCES:
        return SOURCES[argument]
    path = Path(argument)
    if not path.is_file():
        raise WeightsError(f"no checkpoint file at {argument!r} (or use --weights {'|'.join(SOURCES)})")
    if path.stat().st_size > MAX_CHECKPOINT_BYTES:
        raise WeightsError(f"{path.name} is larger than {MAX_CHECKPOINT_BYTES // 2**20} MB")
    return CheckpointWeights(path.read_bytes(), path.name)


__all__ = [
    "SOURCES",
    "WEIGHT_KINDS",
    "CheckpointWeights",
    "DigitsWeights",
    "ImageNetWeights",
    "LoadedModel",
    "RandomWeights",
    "ShippedWeights",
    "WeightSource",
    "WeightsError",
    "load_model",
    "random_model",
    "shareable",
    "source_from_argument",
]
