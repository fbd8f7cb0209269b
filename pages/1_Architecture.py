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
from explorer.spec import CIFAR_MODELS, IMAGENET_MODELS, TABLE1_MODELS
from explorer.ui import architecture as architecture_ui
from explorer.ui import common, frame, server

with frame.page("Architecture"):
    spec, size = common.model_sidebar()
    table = architecture_ui.cached_stage_table(spec, size)

    kinds = [b.shortcut for b in table.blocks]
    cols = st.columns(5)
    cols[0].metric("Depth", table.depth, help="weighted layers: convolutions and fully connected layers")
    cols[1].metric("Parameters", format_count(table.params), help=f"{table.params:,} exactly")
    cols[2].metric(f"MACs at {size}×{size}", format_count(table.macs), help=f"{table.macs:,} multiply-accumulates")
    cols[3].metric("Residual blocks", len(table.blocks), help=describe_shortcuts(tuple(kinds)))
    cols[4].metric("Device", server.device().type.upper(), help=server.device_label())

    if spec.skip:
        st.info(
            f"**{spec.label}**: every block adds its input back, so each block learns only a residual "
            f"F(x) = H(x) − x. {kinds.count('identity')} shortcuts are identities (solid lines); "
            f"{len(kinds) - kinds.count('identity')} change shape and use option {spec.shortcut_option} "
            "(dashed lines). Switch *Skip connections* off in the sidebar to see the plain counterpart."
        )
    else:
        st.warning(
            f"**{spec.label}**: the same layers with every shortcut removed. Each block outputs only F(x); "
            "the signal must pass through every layer. The paper's plain nets of 34 layers train *worse* than "
            "of 18, even with batch norm: the degradation problem residual learning solves."
        )

    st.subheader("Stage table")
    note = f"Computed from the built model at {size}×{size} input; MACs counted by torch.utils.flop_counter."
    if placement := stride_placement(spec):
        note += f" Bottleneck stride on the {placement}."
    st.caption(note)
    st.markdown(f"**Block order** — {block_order(spec)}.")
    common.table(table_rows(table))

    st.subheader("Block diagram")
    st.caption(
        "One lane per stage (Figure 3 turned sideways). Each box is a residual block split into its conv layers; "
        "the arc over it is its shortcut: **solid** = identity, **dashed** = projection or zero-padding "
        "(the dimensions change). The dark ticks mark where batch norm and the activation act: at the start of a "
        "conv for pre-activation blocks, after it (and after the addition) for the original ones. Hover a block for "
        "its internals, click it for details below."
    )
    diagram = server.shared(("architecture.diagram", spec, size), lambda: SharedFigure(architecture_figure(table)))
    event = common.chart(diagram, key="diagram", on_select="rerun", selection_mode="points")
    clicked = [p["customdata"] for p in event.selection.points if "customdata" in p] if event else []
    if clicked:
        st.session_state["choice.block"] = clicked[0]
    index = (
        common.choice(
            st.selectbox,
            "Block details",
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
            st.markdown(f"**What {block.paper_name} computes**, in order")
            common.table([{"step": i + 1, "operation": op} for i, op in enumerate(block.operations)])
        with right:
            drawn = f"**Shortcut** — drawn {block.line}"
            st.markdown(drawn if block.line != "none" else "**No shortcut** (plain block)")
            st.write(block.shortcut_detail)
            st.write(
                f"Input {'×'.join(map(str, block.in_shape))} → output {'×'.join(map(str, block.out_shape))}; "
                f"{block.params:,} parameters; {format_count(block.macs)} MACs."
            )

    st.subheader("Compare depths")
    family_models = IMAGENET_MODELS if spec.family == "imagenet" else CIFAR_MODELS
    default = TABLE1_MODELS if spec.family == "imagenet" else CIFAR_MODELS
    chosen = common.choice(st.multiselect, "Models", f"compare_{spec.family}", list(default), options=family_models)
    if chosen:
        tables = [architecture_ui.cached_stage_table(spec.with_options(name=name), size) for name in chosen]
        common.table(comparison_rows(tables))
        st.caption(
            "Paper Table 1 lists 1.8, 3.6, 3.8, 7.6 and 11.3 G multiply-adds for ResNet-18 … 152; torchvision's "
            "bottlenecks (stride on the 3×3) cost a little more: turn on *Paper stride placement* to match."
        )

    with st.expander("How to read this page", key="architecture.reading"):
        st.markdown(
            """
    - **Stages.** After the 7×7 stem, each stage halves the feature map and doubles the channels, so the cost per
      layer stays about the same. The first block of a stage does the downsampling; its shortcut has to change
      shape too, which is why it is dashed.
    - **Shortcut options** (paper §3.3): A pads the extra channels with zeros (no parameters), B projects with
      a 1×1 conv only where the shape changes, C projects everywhere. On ImageNet, ResNet-34 top-1 error was
      25.03 % (A), 24.52 % (B), 24.19 % (C) — and 28.54 % for plain-34.
    - **Bottlenecks** (ResNet-50 and deeper) squeeze to a quarter of the channels with a 1×1 conv, do the 3×3
      there, and expand back: deeper nets at similar cost.
    - **Plain** removes only the shortcuts (and the projections that belonged to them): the parameters barely
      change, the behaviour does.
    """
        )
