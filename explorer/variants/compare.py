"""One variant on one image: its predictions, Grad-CAM at the end of every stage, ‖F(x)‖/‖x‖ of every block,
its size and cost, and its measured latency on this device — all from one :func:`explorer.trace.trace`."""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch
from PIL import Image

from explorer.architecture.stages import stage_table
from explorer.catalogue import Net
from explorer.imagelab.explain import Prediction
from explorer.images import prepare
from explorer.language import Message
from explorer.render import tensor_map, to_unit
from explorer.shapes import dataset
from explorer.shapes.shipped import shipped_models
from explorer.trace import block_cams, trace, upsample
from explorer.weights import LoadedModel

LATENCY_REPEATS = 5
SHAPES_SIDE = 224  # a Shapes test image is drawn this large, so that every variant's input is a downscaled drawing


def shapes_test_image(index: int) -> Image.Image:
    """Held-out Shapes test image ``index`` (the shipped nets' test set), drawn at :data:`SHAPES_SIDE`."""
    config = dataset.ShapesConfig(**{**asdict(shipped_models()["shapes_resnet20"].test_config), "size": SHAPES_SIDE})
    return Image.fromarray(dataset.sample(config, index).image)


@dataclass(frozen=True)
class VariantView:
    """What the page shows of one variant on one image.

    ``stage_cams`` maps a stage (``conv2_x`` …) to the Grad-CAM of its last block at the input's resolution,
    scaled to [0, 1]; ``ratios`` holds ‖F(x)‖/‖x‖ of every block, x the block's input; ``latency_ms`` is the median
    of :data:`LATENCY_REPEATS` forward passes of one image, after one to warm up.
    """

    name: Message  # said in each reader's language: a view is shared by every session
    weights: Message
    trained: bool
    input_size: int
    seen: Image.Image
    predictions: tuple[Prediction, ...]
    explained: str
    stage_cams: dict[str, np.ndarray]
    ratios: tuple[tuple[str, float], ...]
    params: int
    macs: int
    latency_ms: float

    def summary(self) -> dict[str, object]:
        """A JSON-ready summary (no pictures)."""
        return {
            "variant": str(self.name), "weights": str(self.weights), "input_size": self.input_size,
            "predictions": [{"index": p.index, "name": p.name, "probability": p.probability} for p in self.predictions],
            "ratios": [{"block": b, "residual_to_input": r} for b, r in self.ratios],
            "params": self.params, "macs": self.macs, "latency_ms": self.latency_ms,
        }  # fmt: skip


def latency_ms(model: torch.nn.Module, x: torch.Tensor, repeats: int = LATENCY_REPEATS) -> float:
    """The median time of one forward pass of ``x`` (milliseconds), after one pass to warm up."""
    times = []
    with torch.inference_mode():
        for i in range(repeats + 1):
            if x.device.type == "cuda":
                torch.cuda.synchronize(x.device)
            began = time.perf_counter()
            model(x)
            if x.device.type == "cuda":
                torch.cuda.synchronize(x.device)
            if i:
                times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def compare_variant(net: Net, loaded: LoadedModel, image: Image.Image) -> VariantView:
    """The variant ``net`` (its model ``loaded``, see :meth:`~explorer.catalogue.Net.load`) on ``image`` prepared at
    its input size, explaining its top class."""
    size = net.spec.default_input_size
    device = next(loaded.model.parameters()).device
    x, seen = prepare(image, size)
    x = x.to(device)
    result = trace(loaded.model, x)
    cams = [upsample(c, (size, size))[0] for c in block_cams(result)]
    ends: dict[str, np.ndarray] = {}
    for block, cam in zip(result.blocks, cams, strict=True):
        ends[f"{block.paper_name.split('_')[0]}_x"] = tensor_map(cam)  # the stage's last block wins
    units = to_unit(list(ends.values()), shared=False)
    ratios = tuple((b.paper_name, float(b.residual.norm() / b.input.norm().clamp_min(1e-30))) for b in result.blocks)
    names = loaded.class_names
    table = stage_table(loaded.spec, size)
    return VariantView(
        name=net.name, weights=net.weights_label(loaded), trained=loaded.trained, input_size=size, seen=seen,
        predictions=tuple(Prediction(i, names[i], p) for i, p in result.top(5)),
        explained=names[int(result.targets[0])], stage_cams=dict(zip(ends, units, strict=True)), ratios=ratios,
        params=table.params, macs=table.macs, latency_ms=latency_ms(loaded.model, x),
    )  # fmt: skip
