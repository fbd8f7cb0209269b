"""A model with its weights, ready to explain images: the image lab's and the CLI's common ground."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from explorer.shapes import shipped as shipped_models
from explorer.spec import ModelSpec
from explorer.weights import imagenet
from explorer.weights.checkpoint import MAX_CHECKPOINT_BYTES, WeightsError, load_checkpoint, read_checkpoint
from models import ResNet

RANDOM_SEED = 0
WEIGHT_KINDS: dict[str, str] = {
    "imagenet": "ImageNet (torchvision)",
    "shapes": "Shapes-trained (shipped)",
    "random": "Random initialisation (untrained)",
    "checkpoint": "Checkpoint file (.pth, .pt, .safetensors)",
}


@dataclass(frozen=True)
class LoadedModel:
    """A model in eval mode, the words that say which weights it carries, and its class names."""

    model: ResNet
    label: str
    trained: bool
    class_names: tuple[str, ...]


def random_model(spec: ModelSpec, device: torch.device | str = "cpu") -> ResNet:
    """The spec's model with the same random initialisation every time (seed 0), on ``device``."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(RANDOM_SEED)
        model = spec.build("cpu")
    return model.to(device).eval()


def _ready(model: ResNet, spec: ModelSpec, label: str, trained: bool, device: torch.device | str) -> LoadedModel:
    names = imagenet.class_names(spec, model.fc.out_features)
    return LoadedModel(model.to(device).eval(), label, trained, tuple(names))


def load_model(
    spec: ModelSpec,
    kind: str,
    device: torch.device | str = "cpu",
    checkpoint: bytes | None = None,
    filename: str = "checkpoint.pth",
) -> LoadedModel:
    """Build ``spec`` with weights of ``kind`` (``imagenet``, ``shapes``, ``random`` or ``checkpoint``).

    Raises ``WeightsError`` with a one-line message when the weights are unavailable
    (ImageNet weights not in the local cache, or a checkpoint that does not fit the model).
    """
    if kind == "random":
        return _ready(random_model(spec), spec, imagenet.random_weights_label(spec), False, device)
    if kind == "imagenet":
        model = random_model(spec)
        label = imagenet.load_imagenet(model, spec)
        return _ready(model, spec, label, True, device)
    if kind == "shapes":
        shipped = shipped_models.shipped_for(spec)
        if shipped is None:
            raise WeightsError(shipped_models.no_shipped_message(spec))
        model = shipped_models.load_shipped(shipped, device)
        return LoadedModel(model, shipped.label, True, tuple(shipped.metadata["classes"]))
    if kind == "checkpoint":
        if checkpoint is None:
            raise WeightsError("choose a checkpoint file first")
        model = random_model(spec)
        load_checkpoint(model, read_checkpoint(checkpoint, filename))
        return _ready(model, spec, f"Checkpoint {filename}", True, device)
    raise WeightsError(f"unknown weights {kind!r}: choose one of {', '.join(WEIGHT_KINDS)} or a file path")


def load_model_from_argument(spec: ModelSpec, argument: str, device: torch.device | str = "cpu") -> LoadedModel:
    """The CLI's ``--weights``: ``imagenet``, ``shapes``, ``random`` or the path of a checkpoint file."""
    if argument in ("imagenet", "shapes", "random"):
        return load_model(spec, argument, device)
    path = Path(argument)
    if not path.is_file():
        raise WeightsError(f"no checkpoint file at {argument!r} (or use --weights imagenet|shapes|random)")
    if path.stat().st_size > MAX_CHECKPOINT_BYTES:
        raise WeightsError(f"{path.name} is larger than {MAX_CHECKPOINT_BYTES // 2**20} MB")
    return load_model(spec, "checkpoint", device, path.read_bytes(), path.name)
