"""ResNet Explorer: everything the app shows, as plain functions usable without Streamlit."""

from explorer.architecture.stages import StageTable, compare, comparison_rows, stage_table, table_rows
from explorer.device import describe_device, pick_device
from explorer.imagelab.explain import Explanation, explain, parse_target
from explorer.images import ImageError, load_image, load_sample, prepare
from explorer.spec import (
    CIFAR_MODELS,
    IMAGENET_MODELS,
    TABLE1_MODELS,
    ModelSpec,
    SpecError,
    check_input_size,
)
from explorer.trace import Trace, block_cams, trace
from explorer.weights import (
    CheckpointWeights,
    ImageNetWeights,
    LoadedModel,
    RandomWeights,
    ShippedWeights,
    WeightsError,
    load_model,
)

__all__ = [
    "CIFAR_MODELS",
    "IMAGENET_MODELS",
    "TABLE1_MODELS",
    "CheckpointWeights",
    "Explanation",
    "ImageError",
    "ImageNetWeights",
    "LoadedModel",
    "ModelSpec",
    "RandomWeights",
    "ShippedWeights",
    "SpecError",
    "StageTable",
    "Trace",
    "WeightsError",
    "block_cams",
    "check_input_size",
    "compare",
    "comparison_rows",
    "describe_device",
    "explain",
    "load_image",
    "load_model",
    "load_sample",
    "parse_target",
    "pick_device",
    "prepare",
    "stage_table",
    "table_rows",
    "trace",
]
