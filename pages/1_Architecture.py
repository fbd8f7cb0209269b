"""Architecture: the live stage table (paper Table 1), the block diagram and depth comparisons."""

import streamlit as st

from explorer.architecture.diagram import architecture_figure
from explorer.architecture.stages import (
    block_order,
    comparison_rows,
    describe_shortcuts,
    format_count,
    stride_placement,
    table_rows,
)
from explorer.figstyle import SharedFigure
from explorer.language import N_, _, current
from explorer.spec import CIFAR_MODELS, IMAGENET_MODELS, TABLE1_MODELS
from explorer.ui import architecture as architecture_ui
from explorer.ui import common, frame, server

with frame.page("Architecture"):
    spec, size = common.model_sidebar()
    table = architecture_ui.cached_stage_table(spec, size)

    kinds = [b.shortcut for b in table.blocks]
    cols = st.columns(5)
    cols[0].metric(_("Depth"), table.depth, help=_("weighted layers: convolutions and fully connected layers"))
    cols[1].metric(
        _("Parameters"), format_count(table.params), help=_("{count} exactly").format(count=f"{table.params:,}")
    )
    cols[2].metric(
        _("MACs at {size}×{size}").format(size=size),
        format_count(table.macs),
        help=_("{count} multiply-accumulates").format(count=f"{table.macs:,}"),
    )
    cols[3].metric(_("Residual blocks"), len(table.blocks), help=describe_shortcuts(tuple(kinds)))
    cols[4].metric(_("Device"), server.device().type.upper(), help=server.device_label())

    if spec.skip:
        st.info(
            _(
                "**{model}**: every block adds its input back, so each block learns only a residual F(x) = H(x) − x. "
                "{identities} shortcuts are identities (solid lines); {changing} change shape and use option "
                "{option} (dashed lines). Switch *Skip connections* off in the sidebar to see the plain counterpart."
            ).format(
                model=spec.label,
                identities=kinds.count("identity"),
                changing=len(kinds) - kinds.count("identity"),
                option=spec.shortcut_option,
            )
        )
    else:
        st.warning(
            _(
                "**{model}**: the same layers with every shortcut removed. Each block outputs only F(x); the signal "
                "must pass through every layer. The paper's plain nets of 34 layers train *worse* than of 18, even "
                "with batch norm: the degradation problem residual learning solves."
            ).format(model=spec.label)
        )

    st.header(_("Stage table"))
    note = _("Computed from the built model at {size}×{size} input; MACs counted by torch.utils.flop_counter.")
    if placement := stride_placement(spec):
        note += " " + _("Bottleneck stride on the {placement}.").format(placement=placement)
    st.caption(note.format(size=size))
    st.markdown(_("**Block order** — {order}").format(order=block_order(spec)))
    common.table(table_rows(table))

    st.header(_("Block diagram"))
    st.caption(
        _(
            "One lane per stage (Figure 3 turned sideways). Each box is a residual block split into its conv layers; "
            "the arc over it is its shortcut: **solid** = identity, **dashed** = projection or zero-padding (the "
            "dimensions change). The dark ticks mark where batch norm and the activation act: at the start of a conv "
            "for pre-activation blocks, after it (and after the addition) for the original ones. Hover a block for "
            "its internals, click it for details below."
        )
    )
    diagram = server.shared(  # one per language: its legend and hover texts are words
        ("architecture.diagram", spec, size, current()), lambda: SharedFigure(architecture_figure(table))
    )
    event = common.chart(diagram, key="diagram", on_select="rerun", selection_mode="points")
    clicked = [p["customdata"] for p in event.selection.points if "customdata" in p] if event else []
    if clicked:
        st.session_state["choice.block"] = clicked[0]
    index = (
        common.choice(
            st.selectbox,
            _("Block details"),
            "block",
            0,
            options=list(range(len(table.blocks))),
            format_func=lambda i: f"{table.blocks[i].paper_name} ({table.blocks[i].name})",
        )
        if table.blocks
        else None
    )
    if index is not None:
        block = table.blocks[index]
        left, right = st.columns(2)
        with left:
            st.markdown(_("**What {block} computes**, in order").format(block=block.paper_name))
            common.table([{N_("step"): i + 1, N_("operation"): str(op)} for i, op in enumerate(block.operations)])
        with right:
            lines = {"solid": _("**Shortcut** — drawn solid"), "dashed": _("**Shortcut** — drawn dashed")}
            st.markdown(lines.get(block.line, _("**No shortcut** (plain block)")))
            st.write(str(block.shortcut_detail))
            st.write(
                _("Input {input} → output {output}; {params} parameters; {macs} MACs.").format(
                    input="×".join(map(str, block.in_shape)),
                    output="×".join(map(str, block.out_shape)),
                    params=f"{block.params:,}",
                    macs=format_count(block.macs),
                )
            )

    st.header(_("Compare depths"))
    family_models = IMAGENET_MODELS if spec.family == "imagenet" else CIFAR_MODELS
    default = TABLE1_MODELS if spec.family == "imagenet" else CIFAR_MODELS
    chosen = common.choice(st.multiselect, _("Models"), f"compare_{spec.family}", list(default), options=family_models)
    if chosen:
        tables = [architecture_ui.cached_stage_table(spec.with_options(name=name), size) for name in chosen]
        common.table(comparison_rows(tables))
        st.caption(
            _(
                "Paper Table 1 lists 1.8, 3.6, 3.8, 7.6 and 11.3 G multiply-adds for ResNet-18 … 152; torchvision's "
                "bottlenecks (stride on the 3×3) cost a little more: turn on *Paper stride placement* to match."
            )
        )

    with st.expander(_("How to read this page"), key="architecture.reading"):
        st.markdown(
            _(
                "- **Stages.** After the 7×7 stem, each stage halves the feature map and doubles the channels, so the "
                "cost per layer stays about the same. The first block of a stage does the downsampling; its shortcut "
                "has to change shape too, which is why it is dashed.\n"
                "- **Shortcut options** (paper §3.3): A pads the extra channels with zeros (no parameters), B projects "
                "with a 1×1 conv only where the shape changes, C projects everywhere. On ImageNet, ResNet-34 top-1 "
                "error was 25.03 % (A), 24.52 % (B), 24.19 % (C) — and 28.54 % for plain-34.\n"
                "- **Bottlenecks** (ResNet-50 and deeper) squeeze to a quarter of the channels with a 1×1 conv, do the "
                "3×3 there, and expand back: deeper nets at similar cost.\n"
                "- **Plain** removes only the shortcuts (and the projections that belonged to them): the parameters "
                "barely change, the behaviour does."
            )
        )
