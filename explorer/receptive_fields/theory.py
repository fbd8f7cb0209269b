"""The theoretical receptive field of every block, in closed form from kernel sizes, strides and paddings.

Along a chain of layers with kernel ``k``, stride ``s``, padding ``p`` and dilation ``d`` (``k' = d (k - 1) + 1``),
the receptive field ``r``, the jump ``j`` (input pixels between neighbouring units) and the centre ``c`` of the
first unit (in input pixel coordinates) follow

    r ← r + (k' - 1) j,    c ← c + ((k' - 1) / 2 - p) j,    j ← j s

starting from ``r = 1, j = 1, c = 0`` at the input (Araujo, Norris and Sim 2019, "Computing receptive fields of
convolutional neural networks", Distill). A residual block's output sees the union of what its residual branch
and its shortcut see; the branch's convolutions see more and are centred alike, so the block's field is that of
its branch. Batch norm and activations do not change it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from torch import nn

from explorer.errors import check_range
from explorer.language import N_
from models import ResNet


@dataclass(frozen=True)
class Field:
    """The receptive field of the units of one layer's output: side ``size`` (pixels), ``jump`` between neighbouring
    units, ``start`` the centre of the first unit's field (input pixels, pixel 0's centre at 0), ``side`` the map's
    side for the input size asked for."""

    name: str
    paper_name: str
    size: int
    jump: int
    start: float
    side: int

    def centre_unit(self) -> int:
        """The index of the map's centre unit along each axis."""
        return self.side // 2

    def centre(self) -> float:
        """Where the centre unit's field is centred, in input pixel coordinates."""
        return self.start + self.centre_unit() * self.jump


def _square(value: int | tuple[int, ...]) -> int:
    """One number for a square kernel, stride or padding (the explorer's nets are all square)."""
    if isinstance(value, tuple):
        if len(set(value)) != 1:
            raise ValueError(f"only square kernels, strides and paddings have one receptive field side; got {value}")
        return int(value[0])
    return int(value)


def after(field: Field, layer: nn.Conv2d | nn.MaxPool2d, name: str, paper_name: str) -> Field:
    """The field of ``layer``'s output units, given the field of its input units."""
    k, s, p, d = (_square(v) for v in (layer.kernel_size, layer.stride, layer.padding, layer.dilation))
    reach = d * (k - 1)
    side = (field.side + 2 * p - reach - 1) // s + 1
    return Field(name, paper_name, field.size + reach * field.jump, field.jump * s,
                 field.start + (reach / 2 - p) * field.jump, side)  # fmt: skip


def stem_and_block_fields(model: ResNet, input_size: int) -> list[Field]:
    """The field after the stem (``conv1``, and the max pool where there is one) and after every residual block,
    for an input of ``input_size`` × ``input_size``."""
    check_range("input size", input_size, 1, 4096)
    field = Field("input", "input", 1, 1, 0.0, input_size)
    for layer in (model.conv1, *([model.maxpool] if model.maxpool is not None else [])):
        field = after(field, layer, "conv1", "conv1")
    fields = [field]
    for (name, block), paper in zip(model.blocks(), model.paper_block_names(), strict=True):
        for conv in block.branch_convs():
            field = after(field, conv, name, paper)
        fields.append(field)
    return fields


def block_fields(model: ResNet, input_size: int) -> list[Field]:
    """The theoretical receptive field of every residual block's output units, in order."""
    return stem_and_block_fields(model, input_size)[1:]


def field_rows(fields: list[Field]) -> list[dict[str, object]]:
    """The fields as table rows (block, field side, jump, map side)."""
    return [
        {N_("block"): f.paper_name, N_("receptive field"): f"{f.size}×{f.size}", N_("jump (stride so far)"): f.jump,
         N_("map"): f"{f.side}×{f.side}"}
        for f in fields
    ]  # fmt: skip


def to_dicts(fields: list[Field]) -> list[dict[str, object]]:
    """The fields as JSON-ready dicts."""
    return [asdict(f) for f in fields]
