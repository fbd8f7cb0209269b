"""Variants side by side: two to four ResNet variants on the same image, stage by stage."""

import streamlit as st

from explorer.architecture.stages import format_count
from explorer.catalogue import NETS
from explorer.language import N_, _, class_name, separated
from explorer.render import enlarged, jpeg_bytes, overlay
from explorer.ui import common, frame, server
from explorer.ui import variants as variants_ui
from explorer.variants import reading
from explorer.variants.catalogue import MAX_VARIANTS, VARIANTS, check_keys, default_keys
from explorer.variants.figures import ratio_figure

with frame.page("Variants side by side"):
    st.sidebar.caption(
        _("This page picks its own variants (below); the model picker of the other pages does not act here.")
    )
    st.markdown(
        _(
            "The same image through two to four variants: deeper or shallower, with or without shortcuts, "
            "pre-activation, trained or untrained. Each row below is one variant; the Grad-CAM columns are aligned "
            "**stage by stage** (the last block of each stage of Table 1), so a 50-layer and an 18-layer net can be "
            "read against each other."
        )
    )
    keys = common.choice(
        st.multiselect, _("Variants (2 to {most})").format(most=MAX_VARIANTS), "variants", default_keys(),
        options=list(VARIANTS), max_selections=MAX_VARIANTS, format_func=lambda key: str(NETS[key].name),
    )  # fmt: skip
    source = common.choice(st.segmented_control, _("Image"), "variants_image", variants_ui.first_source(),
                           options=list(variants_ui.SOURCES), format_func=_)  # fmt: skip
    chosen = check_keys(keys)
    picked = variants_ui.picked_image(source or variants_ui.SOURCES[0])
    if picked is None:
        st.info(_("Upload an image, or pick a sample photo or a Shapes test image."))
        st.stop()
    missing = [net.name for net in chosen if not net.available()]
    if missing:
        st.warning(
            _(
                "No ImageNet weights in the local cache for {nets}: shown untrained (random initialisation). Run "
                "`python -m explorer weights download` on a machine that is online, or use the Image lab's download."
            ).format(nets=separated(missing))
        )
    views = variants_ui.compared(chosen, *picked)

    st.markdown(reading.comparison_reading(views))
    stages = sorted({stage for view in views for stage in view.stage_cams}, key=lambda s: int(s[4:-2]))
    header = st.columns([2, *([1] * len(stages))])
    header[0].markdown(_("**Variant · top 5**"))
    for column, stage in zip(header[1:], stages, strict=True):
        column.markdown(f"**{stage}**")
    for view in views:
        row = st.columns([2, *([1] * len(stages))])
        with row[0]:
            st.markdown(f"**{view.name}**")
            st.caption(
                _("{weights} · sees {size}×{size}").format(weights=common.plain(view.weights), size=view.input_size)
            )
            for p in view.predictions:
                st.progress(
                    min(max(p.probability, 0.0), 1.0), text=f"{common.plain(class_name(p.name))}: {p.probability:.1%}"
                )
        for column, stage in zip(row[1:], stages, strict=True):
            if stage in view.stage_cams:
                column.image(jpeg_bytes(enlarged(overlay(view.seen, view.stage_cams[stage]))), width="stretch",
                             caption=f"{view.name}: {stage}", alt=_("Grad-CAM of {net} at the end of {stage}, "
                             "explaining {target}").format(net=view.name, stage=stage,
                                                           target=class_name(view.explained)))  # fmt: skip
            else:
                column.caption(_("no such stage"))
    st.caption(
        _(
            "Grad-CAM of each variant's top class at the last block of every stage, each map scaled to its own peak "
            "(blue: no support, red: the strongest). Each variant sees the image resized and centre-cropped to its own "
            "input (224 for the ImageNet family, 32 for the CIFAR family)."
        )
    )

    st.header(_("Size, cost and time"))
    common.table(
        [
            {N_("variant"): str(v.name),
             N_("top class"): f"{class_name(v.predictions[0].name)} ({v.predictions[0].probability:.0%})",
             N_("parameters"): format_count(v.params), N_("multiply-adds"): format_count(v.macs),
             N_("input"): f"{v.input_size}²", N_("latency"): f"{v.latency_ms:.1f} ms"}
            for v in views
        ]
    )  # fmt: skip
    st.caption(
        _(
            "Latency: the median of 5 forward passes of this one image on {device}, after one to warm up, measured "
            "inside the server's queue (no other session's job runs meanwhile). Multiply-adds and parameters are "
            "counted from the built model, as on the Architecture page."
        ).format(device=server.device_label())
    )

    st.header(_("How much each block changes its input"))
    common.chart(ratio_figure(views), png_name="variants_branch_ratios", key="variants.ratios")
    st.caption(
        _(
            "‖F(x)‖ / ‖x‖ of every block for this image: the size of what the block computes against the size of what "
            "came in. In a residual block a small value means the block adds a small correction to x, which the "
            "shortcut carries on; a plain block's output *is* F(x), so its values sit near 1 or above. Nets of "
            "different depths are laid on one axis by each block's place in its net. What it does not show: whether a "
            "block matters — that is the lesion study's question."
        )
    )
