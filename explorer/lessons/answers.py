"""The answers a lesson's question reveals, each computed by the explorer when the teacher reveals it.

A lesson names one (``answer = "architecture.projection_parameters"``); nothing of the answer is typed in the file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from explorer import gradlab
from explorer.architecture.stages import stage_table
from explorer.language import N_
from explorer.receptive_fields.theory import block_fields
from explorer.spec import ModelSpec


@dataclass(frozen=True)
class Answer:
    """A computed answer: what it measures, its kind (``choice`` or ``number``), the values a choice answer can
    take, and how to compute it (a short text)."""

    measures: str
    kind: str
    values: tuple[str, ...]
    compute: Callable[[], str]


def larger_first_block_signal() -> str:
    """``plain`` or ``residual``: whose backward signal entering the first block is larger at initialisation, in
    the gradient lab's vanishing preset (depth 56, sigmoid, no batch norm, pre-activation)."""
    config = replace(gradlab.GradLabConfig(), **gradlab.PRESETS[gradlab.FIRST_PRESET])  # type: ignore[arg-type]
    profiles = gradlab.initial_profiles(config)
    return max(gradlab.NETS, key=lambda net: profiles[net].signal[0])


def projection_parameters() -> str:
    """How many parameters ResNet-34's projection shortcuts (option B) add over zero-padding ones (option A)."""
    tables = {option: stage_table(ModelSpec("resnet34", shortcut=option)) for option in "AB"}
    return str(tables["B"].params - tables["A"].params)


def resnet18_parameters() -> str:
    """How many parameters ResNet-18 (ImageNet, 1000 classes) has, counted on the model the explorer builds."""
    return str(stage_table(ModelSpec("resnet18")).params)


def last_block_field() -> str:
    """The side, in pixels, of the theoretical receptive field of ResNet-50's last block at 224×224."""
    return str(block_fields(ModelSpec("resnet50").build("meta"), 224)[-1].size)


ANSWERS: dict[str, Answer] = {
    "gradlab.larger_first_block_signal": Answer(
        N_("whose backward signal entering the first block is larger at initialisation (vanishing preset)"),
        "choice", gradlab.NETS, larger_first_block_signal,
    ),
    "architecture.projection_parameters": Answer(
        N_("parameters ResNet-34's projection shortcuts (option B) add over option A"), "number", (),
        projection_parameters,
    ),
    "receptive_fields.last_block_field": Answer(
        N_("side in pixels of ResNet-50's last block's theoretical receptive field at 224×224"), "number", (),
        last_block_field,
    ),
    "architecture.resnet18_parameters": Answer(
        N_("parameters of ResNet-18 for ImageNet's 1000 classes"), "number", (), resnet18_parameters,
    ),
}  # fmt: skip
