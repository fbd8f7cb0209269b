"""The trained checkpoints that ship with the explorer (``models/checkpoints``), each beside its metadata."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch

from explorer.language import Message, _, lazy, separated
from explorer.shapes.dataset import CLASSES, ShapesConfig
from explorer.spec import ModelSpec
from models import ResNet

SHIPPED_DIR = Path(__file__).resolve().parents[2] / "models" / "checkpoints"


@dataclass(frozen=True)
class ShippedModel:
    """A trained checkpoint in the repository and what it was trained on."""

    name: str
    spec: ModelSpec
    checkpoint: Path
    metadata: dict

    @property
    def label(self) -> Message:
        """How the pages name these weights."""
        return lazy(
            "Shapes-trained {model}: {accuracy} test accuracy (shipped with the explorer)",
            model=self.spec.label,
            accuracy=f"{self.metadata['test_accuracy']:.1%}",
        )

    @property
    def test_config(self) -> ShapesConfig:
        """The held-out test set its accuracy was measured on."""
        return ShapesConfig(**self.metadata["test_dataset"])


def shipped_models(folder: Path = SHIPPED_DIR) -> dict[str, ShippedModel]:
    """The trained checkpoints in ``folder`` (each ``NAME.pt`` beside its ``NAME.json``), by name."""
    found = {}
    for meta_path in sorted(folder.glob("*.json"), key=lambda p: ("plain" in p.stem, p.stem)):  # residual first
        checkpoint = meta_path.with_suffix(".pt")
        if checkpoint.exists():
            metadata = json.loads(meta_path.read_text())
            found[meta_path.stem] = ShippedModel(meta_path.stem, ModelSpec(**metadata["spec"]), checkpoint, metadata)
    return found


def load_shipped(shipped: ShippedModel, device: torch.device | str = "cpu") -> ResNet:
    """The shipped model with its weights (loaded with ``weights_only=True``), in eval mode."""
    model = shipped.spec.build("cpu")
    model.load_state_dict(torch.load(shipped.checkpoint, map_location="cpu", weights_only=True), strict=True)
    return model.to(device).eval()


def shipped_for(spec: ModelSpec) -> ShippedModel | None:
    """The shipped model that is exactly ``spec`` (with one output per shape class), if there is one."""
    wanted = spec.with_options(num_classes=len(CLASSES))
    return next((m for m in shipped_models().values() if m.spec == wanted), None)


def no_shipped_message(spec: ModelSpec) -> str:
    """Why ``spec`` has no shipped weights, and which models do."""
    shipped = shipped_models().values()
    labels = separated(m.spec.label for m in shipped) if shipped else _("none yet (run `python -m explorer train`)")
    return _("no Shapes-trained weights for {model}; they exist for: {models} (CIFAR family, default options)").format(
        model=spec.label, models=labels
    )
