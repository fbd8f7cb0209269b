"""Table 1 of He et al. 2015, computed from a built model rather than typed in.

A model is walked row by row (``ResNet.sections()``) on the ``meta`` device, so shapes,
parameters and multiply-accumulates (MACs, counted by ``torch.utils.flop_counter``) come
from the very modules that would run, at no memory cost.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import flop_registry

from explorer.language import N_, Message, _, lazy, ngettext, separated
from explorer.spec import ModelSpec, SpecError, check_input_size
from models import ResidualBlock, ResNet, ZeroPadShortcut

SHORTCUT_LINE = {"identity": "solid", "projection": "dashed", "zero-pad": "dashed", "none": "none"}


@dataclass(frozen=True)
class BlockInfo:
    """One residual block: where it sits, what it computes and what it costs."""

    name: str  # state-dict prefix, e.g. "layer2.0"
    paper_name: str  # the paper's name, e.g. "conv3_1"
    stage: str  # e.g. "conv3_x"
    layers: tuple[str, ...]  # residual-branch convs, e.g. ("1×1, 128", "3×3, 128, /2", ...)
    operations: tuple[str | Message, ...]  # everything in order, e.g. ("BN", "ReLU", "3×3, 64", ..., "+ shortcut")
    shortcut: str  # identity | projection | zero-pad | none
    shortcut_detail: Message
    in_shape: tuple[int, int, int]
    out_shape: tuple[int, int, int]
    params: int
    macs: int

    @property
    def line(self) -> str:
        """How Figure 3 draws this block's shortcut: solid, dashed or none."""
        return SHORTCUT_LINE[self.shortcut]


@dataclass(frozen=True)
class StageRow:
    """One row of the stage table."""

    name: str
    output_shape: tuple[int, ...]
    layers: str | Message  # the paper's notation, e.g. "[1×1, 64; 3×3, 64; 1×1, 256] × 3"
    downsampling_notes: tuple[Message, ...]  # what halves the maps in this row
    blocks: int
    shortcuts: tuple[str, ...]  # one kind per block
    params: int
    macs: int

    @property
    def output_size(self) -> str:
        """``56×56`` for feature maps, ``1000-d`` for the classifier."""
        if len(self.output_shape) == 3:
            return f"{self.output_shape[1]}×{self.output_shape[2]}"
        return f"{self.output_shape[0]}-d"

    @property
    def downsampling(self) -> str:
        """What halves the feature maps in this row, in words (``—`` for nothing)."""
        return separated(self.downsampling_notes) or "—"


@dataclass(frozen=True)
class StageTable:
    """The whole table for one model at one input size, with totals and per-block details."""

    spec: ModelSpec
    input_size: int
    rows: tuple[StageRow, ...]
    blocks: tuple[BlockInfo, ...] = field(repr=False)
    depth: int
    params: int
    macs: int

    def to_dict(self) -> dict:
        """A JSON-ready form (the CLI's ``--json``)."""
        return {
            "model": self.spec.name,
            "label": str(self.spec.label),
            "options": asdict(self.spec),
            "shortcut_option": self.spec.shortcut_option,
            "stride_placement": stride_placement(self.spec),
            "input_size": self.input_size,
            "depth": self.depth,
            "params": self.params,
            "macs": self.macs,
            "rows": [
                {**_said(r), "downsampling": r.downsampling, "output_size": r.output_size,
                 "shortcut_lines": [SHORTCUT_LINE[s] for s in r.shortcuts]}
                for r in self.rows
            ],
            "blocks": [{**_said(b), "line": b.line} for b in self.blocks],
        }  # fmt: skip


def _said(info: BlockInfo | StageRow) -> dict[str, Any]:
    """``info``'s fields, its messages said in the current language (for JSON)."""

    def said(value: Any) -> Any:
        if isinstance(value, Message):
            return str(value)
        return [said(v) for v in value] if isinstance(value, tuple) else value

    return {f.name: said(getattr(info, f.name)) for f in fields(info) if f.name != "downsampling_notes"}


def stride_placement(spec: ModelSpec) -> str:
    """Where a bottleneck's stride sits, in words; empty for basic blocks."""
    if not spec.has_bottleneck:
        return ""
    return _("first 1×1 conv (paper, v1)") if spec.stride_in_1x1 else _("3×3 conv (torchvision, v1.5)")


ACTIVATION_NAMES = {"relu": "ReLU", "tanh": "tanh", "sigmoid": "sigmoid"}


def block_order(spec: ModelSpec) -> str:
    """The order of the operations inside a residual block of ``spec``, in words."""
    act = ACTIVATION_NAMES[spec.activation]
    norm_act = f"BN → {act}" if spec.batch_norm else act
    convs = _("three times (1×1, 3×3, 1×1)") if spec.has_bottleneck else _("twice")
    if not spec.preact:
        end = _("the addition, then {act}") if spec.skip else _("{act} (no shortcut to add)")
        return _(
            "original (He et al. 2015): conv → {norm_act}, {convs}, the last without its {act}; then {end}."
        ).format(norm_act=norm_act, convs=convs, act=act, end=end.format(act=act))
    end = _("the addition, with nothing after it") if spec.skip else _("no shortcut to add, and nothing after")
    parts = [_("pre-activation (He et al. 2016): {norm_act} → conv, {convs}; then {end}.")]
    if spec.skip:
        parts.append(
            _(
                "The first block of each later stage applies its {norm_act} before the split, so the shortcut gets "
                "it too; the first block of conv2_x needs none: the stem's own {norm_act} and max pool come right "
                "before it."
            )
            if spec.family == "imagenet"
            else _(
                "The stem is a bare 3×3 conv; the first block of each stage applies its {norm_act} before the "
                "split, so the shortcut gets it too."
            )
        )
        parts.append(_("Projections are a bare 1×1 conv."))
    parts.append(_("The net ends with {norm_act} → pool."))
    return " ".join(part.format(norm_act=norm_act, convs=convs, end=end) for part in parts)


ADDITION = lazy("+ shortcut")


def block_operations(block: ResidualBlock, spec: ModelSpec) -> tuple[str, ...]:
    """Everything a block applies, in order: convolutions, batch norms, activations and the addition."""
    act = ACTIVATION_NAMES[spec.activation]
    norm_act = ("BN", act) if spec.batch_norm else (act,)
    convs = [_conv_text(c) for c in block.branch_convs()]
    addition = (ADDITION,) if block.skip else ()
    if block.preact:
        feeds_both = block.preact_input == "both" and block.skip
        first = (
            ()
            if block.preact_input == "none"
            else (*norm_act[:-1], lazy("{act} (feeds the shortcut too)", act=act) if feeds_both else act)
        )
        rest = [op for conv in convs[1:] for op in (*norm_act, conv)]
        return (*first, convs[0], *rest, *addition)
    inner = [op for conv in convs[:-1] for op in (conv, *norm_act)]
    last = (convs[-1], "BN") if spec.batch_norm else (convs[-1],)
    return (*inner, *last, *addition, act)


def _conv_text(conv: nn.Conv2d, with_stride: bool = True) -> str:
    k = conv.kernel_size
    text = f"{k[0]}×{k[1]}, {conv.out_channels}"
    if conv.groups > 1:
        text += f", C={conv.groups}"
    if with_stride and conv.stride != (1, 1):
        text += f", /{conv.stride[0]}"
    return text


def _shortcut_detail(block: ResidualBlock) -> Message:
    kind = block.shortcut_kind
    if kind == "projection":
        conv, *rest = block.downsample
        with_bn = " + BN" if any(isinstance(m, nn.BatchNorm2d) for m in rest) else ""
        return lazy("projection: {conv} conv{with_bn}", conv=_conv_text(conv), with_bn=with_bn)
    if kind == "zero-pad":
        pad: ZeroPadShortcut = block.downsample
        return lazy(
            "zero-padding: subsample /{stride}, {channels} zero channels (no parameters)",
            stride=pad.stride,
            channels=sum(pad.pad),
        )
    if kind == "identity":
        return lazy("identity: x passes through unchanged")
    return lazy("none: plain block, no shortcut")


def _stage_notation(blocks: list[ResidualBlock]) -> str:
    convs = blocks[0].branch_convs()
    inner = "; ".join(_conv_text(c, with_stride=False) for c in convs)
    return f"[{inner}] × {len(blocks)}"


def _count_params(modules: tuple[nn.Module, ...]) -> int:
    seen: set[int] = set()
    total = 0
    for module in modules:
        for p in module.parameters():
            if id(p) not in seen:
                seen.add(id(p))
                total += p.numel()
    return total


def _summarise_row(
    name: str, modules: tuple[nn.Module, ...], blocks: list[ResidualBlock], model: ResNet
) -> tuple[str | Message, tuple[Message, ...]]:
    """The row's layer notation and its downsampling notes."""
    if name == "conv1":
        stride = model.conv1.stride[0]
        notation = _conv_text(model.conv1, with_stride=False)
        if stride == 1:
            return notation, ()
        return lazy("{conv}, stride {stride}", conv=notation, stride=stride), (lazy("stride {stride}", stride=stride),)
    if not blocks:
        head = lazy("global average pool, {classes}-d fc", classes=model.fc.out_features)
        notation = lazy("BN-act, {head}", head=head) if model.final_norm is not None else head
        return notation, (lazy("pool to 1×1"),)
    notes = [
        lazy("{k}×{k} max pool, stride {stride}", k=m.kernel_size, stride=m.stride)
        for m in modules
        if isinstance(m, nn.MaxPool2d)
    ]
    strided = [c for c in blocks[0].branch_convs() if c.stride != (1, 1)]
    if strided:
        k = strided[0].kernel_size[0]
        notes.append(lazy("/{stride} in first block's {k}×{k}", stride=strided[0].stride[0], k=k))
    return _stage_notation(blocks), tuple(notes)


class MacCounter(TorchDispatchMode):
    """Counts the multiply-accumulates of the operators this thread runs inside it, with ``torch.utils.flop_counter``'s
    formulas (FLOPs ÷ 2). Unlike ``FlopCounterMode`` it tracks no modules: that one's module tracker installs
    process-wide module hooks, which reach into every other session's passes while it counts."""

    def __init__(self) -> None:
        super().__init__()
        self.macs = 0

    def __torch_dispatch__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        if (formula := flop_registry.get(func._overloadpacket)) is not None:
            self.macs += formula(*args, **kwargs, out_val=out) // 2
        return out


@torch.no_grad()
def stage_table(spec: ModelSpec, input_size: int | None = None) -> StageTable:
    """Compute the stage table of ``spec`` for square inputs of side ``input_size``.

    Raises SpecError for input sizes the family cannot take.
    """
    size = check_input_size(spec.family, input_size if input_size is not None else spec.default_input_size)
    model = spec.build("meta")
    x = torch.zeros(1, model.conv1.in_channels, size, size, device="meta")
    rows: list[StageRow] = []
    infos: list[BlockInfo] = []
    names = dict((id(b), n) for n, b in model.blocks())
    for section in model.sections():
        row_macs = 0
        blocks: list[ResidualBlock] = []
        for module in section.modules:
            with MacCounter() as counter:
                y = module(x)
            macs = counter.macs
            row_macs += macs
            if isinstance(module, ResidualBlock):
                blocks.append(module)
                infos.append(
                    BlockInfo(
                        name=names[id(module)],
                        paper_name=f"{section.name[:-2]}_{len(blocks)}",
                        stage=section.name,
                        layers=tuple(_conv_text(c) for c in module.branch_convs()),
                        operations=block_operations(module, spec),
                        shortcut=module.shortcut_kind,
                        shortcut_detail=_shortcut_detail(module),
                        in_shape=tuple(x.shape[1:]),
                        out_shape=tuple(y.shape[1:]),
                        params=_count_params((module,)),
                        macs=macs,
                    )
                )
            x = y
        notation, downsampling_notes = _summarise_row(section.name, section.modules, blocks, model)
        rows.append(
            StageRow(
                name=section.name,
                output_shape=tuple(x.shape[1:]),
                layers=notation,
                downsampling_notes=downsampling_notes,
                blocks=len(blocks),
                shortcuts=tuple(b.shortcut_kind for b in blocks),
                params=_count_params(section.modules),
                macs=row_macs,
            )
        )
    depth = 1 + sum(len(b.branch_convs()) for _, b in model.blocks()) + 1
    params = sum(p.numel() for p in model.parameters())
    return StageTable(spec, size, tuple(rows), tuple(infos), depth, params, sum(r.macs for r in rows))


_SHORTCUT_COUNTS = {  # how many blocks of a row have each kind of shortcut, in words (the same for 1 and more)
    "projection": N_("{count} dashed (projection)"),
    "zero-pad": N_("{count} dashed (zero-pad)"),
    "identity": N_("{count} solid (identity)"),
    "none": N_("{count} without shortcut"),
}


def describe_shortcuts(kinds: tuple[str, ...]) -> str:
    """``1 dashed (projection), 2 solid (identity)``-style summary of a row's shortcuts."""
    if not kinds:
        return "—"
    counts = Counter(kinds)
    return separated(_(_SHORTCUT_COUNTS[kind]).format(count=counts[kind]) for kind in _SHORTCUT_COUNTS if counts[kind])


def format_count(n: int) -> str:
    """``11.69M``-style short form of a count."""
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:.{3 if unit == 'G' else 2}f}{unit}"
    return str(n)


def table_rows(table: StageTable) -> list[dict[str, object]]:
    """The stage table as display rows (strings), with a totals row last."""
    rows: list[dict[str, object]] = [
        {
            N_("stage"): r.name,
            N_("output"): r.output_size,
            N_("layers"): str(r.layers),
            N_("blocks"): r.blocks or "—",
            N_("params"): f"{r.params:,}",
            N_("MACs"): format_count(r.macs),
            N_("shortcuts"): describe_shortcuts(r.shortcuts),
            N_("downsampling"): r.downsampling,
        }
        for r in table.rows
    ]
    rows.append(
        {
            "stage": _("total"),
            "output": "",
            "layers": ngettext("{count} weighted layer", "{count} weighted layers", table.depth).format(
                count=table.depth
            ),
            "blocks": sum(r.blocks for r in table.rows),
            "params": f"{table.params:,}",
            "MACs": format_count(table.macs),
            "shortcuts": describe_shortcuts(tuple(b.shortcut for b in table.blocks)),
            "downsampling": "",
        }
    )
    return rows


def compare(specs: list[ModelSpec], input_size: int | None = None) -> list[StageTable]:
    """Stage tables of several models of one family at one input size (Table 1 side by side)."""
    if not specs:
        raise SpecError("name at least one model to compare")
    families = {s.family for s in specs}
    if len(families) > 1:
        raise SpecError("compare models of one family: ImageNet and CIFAR models have different stages")
    return [stage_table(s, input_size) for s in specs]


def comparison_rows(tables: list[StageTable]) -> list[dict[str, object]]:
    """Table 1's layout: one row per stage, one column per model, with depth/params/MACs rows."""
    first = tables[0]
    rows: list[dict[str, object]] = []
    for i, row in enumerate(first.rows):
        entry: dict[str, object] = {"stage": row.name, "output": row.output_size}
        for t in tables:
            entry[str(t.spec.label)] = str(t.rows[i].layers)
        rows.append(entry)
    for label, value in (
        (_("depth"), lambda t: str(t.depth)),
        (_("params"), lambda t: f"{t.params:,}"),
        (_("MACs"), lambda t: format_count(t.macs)),
    ):
        rows.append({"stage": label, "output": "", **{str(t.spec.label): value(t) for t in tables}})
    return rows
