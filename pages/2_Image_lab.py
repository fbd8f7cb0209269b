"""Image lab: predictions, Grad-CAM of every residual block, feature maps and branch sizes for one image."""

import numpy as np
import streamlit as st

from explorer.imagelab.attribution import METHODS, input_attribution_steps
from explorer.imagelab.explain import VIEW_CHANNELS
from explorer.imagelab.figures import branch_ratio_figure, map_grid_figure
from explorer.images import FORMAT_NAMES
from explorer.language import N_, _, class_name
from explorer.provenance import png_bytes, zip_pngs
from explorer.render import enlarged, jpeg_bytes, overlay, tensor_map, to_unit
from explorer.shapes.scoring import score_map
from explorer.ui import common, frame, server
from explorer.ui import imagelab as imagelab_ui
from explorer.weights import WEIGHT_KINDS

with frame.page("Image lab"):
    spec, size = common.model_sidebar()
    if size > imagelab_ui.LAB_MAX_INPUT:
        limit = imagelab_ui.LAB_MAX_INPUT
        st.info(
            _("The image lab runs at most {limit}×{limit}; using that instead of {size}.").format(
                limit=limit, size=size
            )
        )
        size = imagelab_ui.LAB_MAX_INPUT

    st.header(_("1 · Image"))
    source = common.choice(
        st.segmented_control,
        _("Source"),
        "source",
        imagelab_ui.IMAGE_SOURCES[0],
        options=list(imagelab_ui.IMAGE_SOURCES),
        format_func=_,
        help=_("Sample: bundled photos. Shapes: the explorer's own dataset, where the object's position is known."),
    )
    picked = imagelab_ui.image_input(source or imagelab_ui.IMAGE_SOURCES[0], size)
    if picked is None:
        st.info(_("Upload an image ({formats}), take a photo, or pick a sample.").format(formats=FORMAT_NAMES))
        st.stop()
    image = imagelab_ui.prepared(picked, size)  # a file that is no usable image stops the page with one line

    st.header(_("2 · Weights"))
    kind = common.choice(
        st.radio,
        _("Weights"),
        "weights",
        "imagenet",
        options=list(WEIGHT_KINDS),
        format_func=lambda weights: _(WEIGHT_KINDS[weights]),
        horizontal=True,
    )
    loaded = imagelab_ui.weights_panel(spec, kind)
    if loaded is None:
        st.stop()
    if loaded.trained:
        st.success(_("**Weights:** {weights}").format(weights=common.plain(loaded.label)), icon=":material/verified:")
    else:
        st.warning(_("**Weights:** {weights}").format(weights=common.plain(loaded.label)), icon=":material/casino:")

    names = loaded.class_names
    shown_for = (image.key, loaded.weights_id)
    if st.session_state.setdefault("lab.target_for", shown_for) != shown_for:  # a new image starts at its top class
        st.session_state["lab.target_for"] = shown_for
        st.session_state["choice.target"] = None
    left, right = st.columns([1, 2])
    with right:
        target = common.choice(
            st.selectbox, _("Explain class (type to search)"), "target", None, options=list(range(len(names))),
            format_func=lambda i: imagelab_ui.searchable_class(names, i), placeholder=_("the top prediction"),
        )  # fmt: skip
    view = imagelab_ui.explanation(loaded, image, target)
    result = view.result
    with left:
        seen = _("what the network sees: {size}×{size}").format(size=size)
        st.image(image.seen, caption=seen, width="stretch", alt=_("The image {image}, {seen}").format(
            image=picked.title, seen=seen))  # fmt: skip
    with right:
        with st.container(key="predictions"):
            for prediction in result.predictions():
                mark = _(" ← explained") if prediction.index == result.target else ""
                said = common.plain(class_name(prediction.name))
                label = f"{said} ({prediction.index}): {prediction.probability:.1%}{mark}"
                st.progress(min(max(prediction.probability, 0.0), 1.0), text=label)
        st.caption(
            _(
                "Explaining **{target}** ({index}) in {image}. One forward and one backward pass recorded all {blocks} "
                "blocks in {ms} ms on {device} (queue included)."
            ).format(
                target=common.plain(class_name(result.target_name)),
                index=result.target,
                image=common.plain(picked.title),
                blocks=len(result.stats),
                ms=f"{view.seconds * 1000:.0f}",
                device=server.device_label(),
            )
        )

    st.header(_("3 · Grad-CAM of every residual block"))
    st.caption(
        _(
            "Where each block's output supports the explained class: the block's channels weighted by their average "
            "gradient, summed, ReLU, upsampled bilinearly. Early blocks see edges and textures at high resolution; the "
            "last stage sees whole objects at {side}."
        ).format(side=result.stats[-1].shape.split("×", 1)[1])
    )
    shared = common.choice(st.toggle, _("One colour scale for all blocks"), "shared_scale", False)
    legend, words = st.columns([1, 3])
    legend.image(
        imagelab_ui.colour_legend(),
        width="stretch",
        alt=_("The colour scale, from blue (no support) through green and yellow to red (the strongest)"),
    )
    words.caption(
        _("Blue: no support for the class here; red: the strongest support in any block (one scale for all blocks, so "
          "weak blocks look pale).") if shared else
        _("Blue: no support for the class here; red: the strongest support in that block (each block is scaled to its "
          "own strongest point, so compare where, not how much).")
    )  # fmt: skip
    with st.container(key="gradcam-strip"):
        columns = st.columns(imagelab_ui.STRIP_COLUMNS)
        for i, picture in enumerate(view.strip(shared)):
            stats = result.stats[i]
            columns[i % imagelab_ui.STRIP_COLUMNS].image(
                picture, caption=f"{stats.paper_name} · {stats.shape}", width="stretch",
                alt=_("Grad-CAM of block {block} ({shape}) for {target}, over the image").format(
                    block=stats.paper_name, shape=stats.shape, target=class_name(result.target_name)),
            )  # fmt: skip
    if image.shapes is not None:
        truth = image.shapes
        scores = [score_map(cam, truth) for cam in result.cams]
        st.markdown(
            _(
                "**Scored against the truth** — this Shapes image is a *{shape}* in box {box}: a ✓ when the map's peak "
                "falls inside the box (pointing game), and the share of the map on the object."
            ).format(shape=_(truth.class_name), box=truth.box)
        )
        common.table(
            [
                {
                    N_("block"): s.paper_name,
                    N_("peak in box"): "✓" if m.hit else "✗",
                    N_("energy on object"): f"{m.energy_in_mask:.0%}",
                }
                for s, m in zip(result.stats, scores, strict=True)
            ],
        )
    details = {
        N_("page"): _("Image lab"), N_("model"): loaded.spec.label, N_("weights"): loaded.label,
        N_("image"): picked.title,
        N_("input size"): f"{size}×{size}",
        N_("explained class"): f"{class_name(result.target_name)} ({result.target})",
        N_("colour scale"): _("one for all blocks") if shared else _("each block its own"),
        N_("device"): server.device_label(),
    }  # fmt: skip
    downloads = st.columns(2)
    downloads[0].download_button(
        _("Download overlays (PNG, zip)"),
        lambda: zip_pngs(result.overlays(shared_scale=shared), details),  # encoded only when clicked
        file_name="gradcam_overlays.zip",
        mime="application/zip",
        on_click="ignore",
        key="download-overlays",
    )
    downloads[1].download_button(
        _("Download per-block statistics (CSV)"),
        lambda: result.stats_csv(details),
        file_name="block_stats.csv",
        mime="text/csv",
        on_click="ignore",
        key="download-csv",
    )

    st.header(_("4 · How much does each block change its input?"))
    st.caption(
        _(
            "‖F(x)‖ / ‖shortcut‖ per block for this image. Below 1 the block adds a small correction to what the "
            "shortcut carries; above 1 it rewrites its input. Compare trained and untrained weights."
        )
        if spec.skip
        else _("A plain network has no shortcut: each block's output is all F(x). Shown: ‖F(x)‖ per block.")
    )
    common.chart(branch_ratio_figure(result.stats), key="lab.branches")

    st.header(_("5 · Inside one block"))
    block_names = [s.paper_name for s in result.stats]
    block = common.choice(
        st.selectbox, _("Block"), "block", len(block_names) - 1, options=list(range(len(block_names))),
        format_func=block_names.__getitem__,
    )  # fmt: skip
    block_view = result.views[block]
    count = common.choice(
        st.slider, _("Most active channels"), "channels", 8, min_value=4, max_value=VIEW_CHANNELS, step=4
    )
    channels = block_view.channels[:count]
    channel_titles = [_("channel {index}").format(index=c) for c in channels]
    common.chart(map_grid_figure(list(block_view.output[:count]), channel_titles), key="lab.maps")
    st.caption(
        _(
            "Each map has its own colour scale: yellow is that channel's highest activation in this block, dark purple "
            "its lowest. Channels are ordered by their mean activation, most active first."
        )
    )
    st.dataframe(common.said_columns(block_view.channel_stats(count)), hide_index=True, width="stretch")
    chosen = common.choice(
        st.selectbox, _("Branches of"), "branches_of", None, options=[None, *channels],
        format_func=lambda c: _("mean over channels") if c is None else _("channel {index}").format(index=c),
    )  # fmt: skip
    maps = block_view.maps(chosen)
    titles = ["F(x)", _("shortcut") if spec.skip else _("shortcut (none: plain)"), _("output")]
    common.chart(map_grid_figure(list(maps.values()), titles, 3), key="lab.branch_maps")

    with st.expander(_("More attribution methods (to the input pixels)"), key="lab.more"):
        method = common.choice(
            st.radio, _("Method"), "method", next(iter(METHODS)), options=list(METHODS), horizontal=True, format_func=_
        )
        st.caption(_(METHODS[method].description))
        wanted = (view.key, method, result.stats[block].block)
        if st.button(_("Compute {method}").format(method=_(method)), key="lab.compute"):
            x = image.x.to(server.device())
            steps = input_attribution_steps(method, loaded.model, x, result.target, result.stats[block].block)
            *_steps, (_done, _total, attribution) = server.with_progress(
                steps, METHODS[method].count(x), method, "lab.captum_stop"
            )
            unit = to_unit([np.clip(tensor_map(attribution[0]), 0, None)], shared=False)[0]
            picture = enlarged(overlay(image.seen, unit))
            method_details = details | {N_("method"): _(method), N_("block"): result.stats[block].paper_name}
            server.keep("lab.captum", (wanted, jpeg_bytes(picture), png_bytes(picture, method_details)))
        computed = server.kept("lab.captum")
        if computed is not None and computed[0] == wanted:
            shown = _("{method} for {target}").format(method=_(method), target=class_name(result.target_name))
            st.image(
                computed[1],
                caption=shown,
                width=360,
                alt=_("{shown}: each pixel's share of the class score, from blue (none) to red").format(shown=shown),
            )
            st.download_button(
                _("Download {method} (PNG)").format(method=_(method)), computed[2],
                file_name=f"{method.lower().replace(' ', '_')}.png", mime="image/png", on_click="ignore",
                key="download-captum",
            )  # fmt: skip
