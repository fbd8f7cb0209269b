"""ResNet Explorer: everything the app shows, as plain functions usable without Streamlit."""

from explorer.device import describe_device, pick_device
from explorer.spec import (
    CIFAR_MODELS,
    IMAGENET_MODELS,
    TABLE1_MODELS,
    ModelSpec,
    SpecError,
    check_input_size,
)
from explorer.stages import StageTable, compare, comparison_rows, stage_table, table_rows

__all__ = [
    "CIFAR_MODELS",
    "IMAGENET_MODELS",
    "TABLE1_MODELS",
    "ModelSpec",
    "SpecError",
    "StageTable",
    "check_input_size",
    "compare",
    "comparison_rows",
    "describe_device",
    "pick_device",
    "stage_table",
    "table_rows",
]
