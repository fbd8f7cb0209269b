"""Image lab: predictions, Grad-CAM of every residual block, feature maps and branch sizes for one image."""

import numpy as np
import streamlit as st

from explorer.imagelab.attribution import METHODS, input_attribution
from explorer.imagelab.explain import branch_maps, channel_stats, feature_channels
from explorer.imagelab.figures import branch_ratio_figure, map_grid_figure, predictions_figure
from explorer.images import FORMAT_NAMES, ImageError, prepare
from explorer.render import overlay, tensor_map, to_unit, zip_pngs
from explorer.shapes.scoring import score_map
from explorer.ui import common
from explorer.ui import imagelab as imagelab_ui
from explorer.weights import WEIGHT_KINDS

common.setup_page("Image lab", ":material/image_search:")
spec, size = common.model_sidebar()
if size > imagelab_ui.LAB_MAX_INPUT:
    limit = imagelab_ui.LAB_MAX_INPUT
    st.info(f"The image lab runs at most {limit}×{limit}; using that instead of {size}.")
    size = imagelab_ui.LAB_MAX_INPUT

st.subheader("1 · Image")
source = st.segmented_control(
    "Source",
    list(imagelab_ui.IMAGE_SOURCES),
    default=imagelab_ui.IMAGE_SOURCES[0],
    key="widget.source",
    help="Sample: bundled photos. Shapes: the explorer's own dataset, where the object's position is known.",
)
picked = imagelab_ui.image_input(source or imagelab_ui.IMAGE_SOURCES[0], size)
if picked is None:
    st.info(f"Upload an image ({FORMAT_NAMES}), take a photo, or pick a sample.")
    st.stop()
try:
    image, image_id = imagelab_ui.decode(picked)
except ImageError as error:
    common.show_error(error)
    st.stop()

st.subheader("2 · Weights")
kind = st.radio("Weights", list(WEIGHT_KINDS), format_func=WEIGHT_KINDS.get, horizontal=True, key="widget.weights")
loaded = imagelab_ui.weights_panel(spec, kind)
if loaded is None:
    st.stop()
if loaded.trained:
    st.success(f"**Weights:** {common.plain(loaded.label)}", icon=":material/verified:")
else:
    st.warning(f"**Weights:** {common.plain(loaded.label)}", icon=":material/casino:")

x, seen = prepare(image, size)
names = loaded.class_names
left, right = st.columns([1, 2])
with right:
    target = st.selectbox(
        "Explain class (type to search)",
        range(len(names)),
        index=None,
        format_func=lambda i: f"{names[i]} ({i})",
        placeholder="the top prediction",
        key=f"widget.target.{image_id}",
    )
result, elapsed = imagelab_ui.explanation(loaded, x, seen, image_id, target)
with left:
    st.image(seen, caption=f"what the network sees: {size}×{size}", width="stretch")
with right:
    st.plotly_chart(predictions_figure(result.predictions(), result.target), config={"displayModeBar": False})
    st.caption(
        f"Explaining **{result.target_name}** ({result.target}). One forward and one backward pass recorded "
        f"all {len(result.stats)} blocks in {elapsed * 1000:.0f} ms on {common.device_label()}."
    )

st.subheader("3 · Grad-CAM of every residual block")
st.caption(
    "Where each block's output supports the explained class: the block's channels weighted by their average "
    "gradient, summed, ReLU, upsampled bilinearly. Early blocks see edges and textures at high resolution; "
    f"the last stage sees whole objects at {result.stats[-1].shape.split('×', 1)[1]}."
)
shared = st.toggle("One colour scale for all blocks", key="widget.shared_scale")
overlays = result.overlays(shared_scale=shared)
with st.container(key="gradcam-strip"):
    columns = st.columns(imagelab_ui.STRIP_COLUMNS)
    for i, (name, picture) in enumerate(overlays.items()):
        stats = result.stats[i]
        columns[i % imagelab_ui.STRIP_COLUMNS].image(picture, caption=f"{name} · {stats.shape}", width="stretch")
if picked.shapes is not None:
    truth = picked.shapes
    scores = [score_map(cam, truth) for cam in result.cams]
    st.markdown(
        f"**Scored against the truth** — this Shapes image is a *{truth.class_name}* in box {truth.box}: "
        "a ✓ when the map's peak falls inside the box (pointing game), and the share of the map on the object."
    )
    st.dataframe(
        [
            {"block": s.paper_name, "peak in box": "✓" if m.hit else "✗", "energy on object": f"{m.energy_in_mask:.0%}"}
            for s, m in zip(result.stats, scores, strict=True)
        ],
        hide_index=True,
    )
downloads = st.columns(2)
downloads[0].download_button(
    "Download overlays (PNG, zip)",
    lambda: zip_pngs(overlays),  # encoded only when clicked
    file_name="gradcam_overlays.zip",
    mime="application/zip",
    key="download-overlays",
)
downloads[1].download_button(
    "Download per-block statistics (CSV)",
    result.stats_csv,
    file_name="block_stats.csv",
    mime="text/csv",
    key="download-csv",
)

st.subheader("4 · How much does each block change its input?")
st.caption(
    "‖F(x)‖ / ‖shortcut‖ per block for this image. Below 1 the block adds a small correction to what the "
    "shortcut carries; above 1 it rewrites its input. Compare trained and untrained weights."
    if spec.skip
    else "A plain network has no shortcut: each block's output is all F(x). Shown: ‖F(x)‖ per block."
)
st.plotly_chart(branch_ratio_figure(result.stats), config={"displayModeBar": False})

st.subheader("5 · Inside one block")
block_names = [s.paper_name for s in result.stats]
block = st.selectbox(
    "Block", range(len(block_names)), index=len(block_names) - 1, format_func=block_names.__getitem__, key="lab.block"
)
record = result.trace.blocks[block]
count = st.slider("Most active channels", 4, 32, 8, step=4, key="lab.channels")
channels = feature_channels(record.output[0], count)
st.plotly_chart(
    map_grid_figure([tensor_map(record.output[0, c]) for c in channels], [f"channel {c}" for c in channels]),
    config={"displayModeBar": False},
)
st.dataframe(channel_stats(record.output[0], channels), hide_index=True, width="stretch")
chosen = st.selectbox(
    "Branches of", [None, *channels], format_func=lambda c: "mean over channels" if c is None else f"channel {c}"
)
maps = branch_maps(result.trace, block, chosen)
st.plotly_chart(
    map_grid_figure(list(maps.values()), ["F(x)", "shortcut" if spec.skip else "shortcut (none: plain)", "output"], 3),
    config={"displayModeBar": False},
)

with st.expander("More attribution methods (captum)"):
    method = st.radio("Method", list(METHODS), horizontal=True, key="lab.method")
    st.caption(METHODS[method].description)
    if st.button(f"Compute {method}", key="lab.compute"):
        with st.spinner(f"{method} on {common.device_label()}…"):
            attribution = input_attribution(method, loaded.model, x.to(common.device()), result.target, record.name)
        unit = to_unit([np.clip(tensor_map(attribution[0]), 0, None)], shared=False)[0]
        st.image(overlay(seen, unit), caption=f"{method} for {result.target_name}", width=360)
