"""Loss landscape: the training loss around trained weights, residual vs plain (Li et al. 2018)."""

import streamlit as st

from explorer.landscape import reading, runs
from explorer.landscape.figures import line_figure, plane_figure, plane_range
from explorer.landscape.slices import BATCH_IMAGES, MAX_SPAN, RESOLUTIONS
from explorer.language import _
from explorer.lesions import nets
from explorer.ui import common, frame
from explorer.ui import landscape as landscape_ui
from explorer.ui import lesions as lesions_ui

with frame.page("Loss landscape"):
    st.sidebar.caption(
        _(
            "This page uses its own trained pairs of nets (chosen below); the model picker of the other pages does "
            "not act here."
        )
    )
    st.markdown(
        _(
            "Li, Xu, Taylor, Studer and Goldstein (2018, *Visualizing the loss landscape of neural nets*) drew the "
            "training loss on a plane through the trained weights, along two random directions. Without skip "
            "connections the landscape of a deep net turns **chaotic** — sharp, with many bumps — while the residual "
            "net of the same depth stays **smooth and nearly convex** around its minimum; they argue this is why the "
            "deep plain net is hard to train. Each direction is *filter-normalised*: every filter of the random "
            "direction is scaled to the norm of the same filter of the weights, so a step of 1 changes each filter by "
            "its own size."
        )
    )
    pair = lesions_ui.pick_pair("landscape_nets")
    row = st.columns([3, 2, 2, 2, 2])
    resolution = common.choice(row[0].select_slider, _("Resolution (points per direction)"), "resolution",
                               runs.DEFAULT_RESOLUTION, options=list(RESOLUTIONS))  # fmt: skip
    span = common.choice(row[1].select_slider, _("Range ±"), "span", runs.DEFAULT_SPAN,
                         options=[0.25, 0.5, 1.0, 2.0, MAX_SPAN])  # fmt: skip
    seed = common.choice(
        row[2].number_input, _("Directions' seed"), "directions_seed", 0, min_value=0, max_value=10_000
    )
    images = common.choice(
        row[3].select_slider,
        _("Training images"),
        "landscape_images",
        BATCH_IMAGES,
        options=[128, 256, BATCH_IMAGES],
        help=_("The loss is measured on this many training images: fewer is faster, and rougher."),
    )
    surface = common.choice(row[4].toggle, _("3-D surface"), "surface", False,
                            help=_("Draw the plane as a surface instead of contours."))  # fmt: skip
    train = nets.training_sample(pair.name, images)
    line_settings = runs.LandscapeSettings(pair.name, "line", resolution, span, int(seed), images)
    plane_settings = runs.LandscapeSettings(pair.name, "plane", resolution, span, int(seed), images)
    per_loss = landscape_ui.seconds_per_loss(pair, train, images)
    st.caption(
        _(
            "{nets}. The loss is the mean cross-entropy on {train}, batch norm with its running statistics. One loss "
            "of one net takes {ms} ms here, so a line costs 2 × {line} losses (about {line_s} s) and a plane 2 × "
            "{plane} (about {plane_s} s)."
        ).format(
            nets=pair.description,
            train=train.description,
            ms=f"{per_loss * 1000:.0f}",
            line=line_settings.points,
            line_s=f"{2 * line_settings.points * per_loss:.0f}",
            plane=plane_settings.points,
            plane_s=f"{2 * plane_settings.points * per_loss:.0f}",
        )
    )

    st.header(_("Along one direction"))
    line = landscape_ui.recorded_or_computed(pair, train, line_settings)
    if line is not None:
        lines = runs.from_results(line.results)
        common.chart(line_figure(lines), png_name=f"landscape_line_{pair.name}", key="landscape.line_figure")
        st.markdown(reading.line_reading(lines))
        st.caption(
            _("A recording made {made} on {device}, kept on disk by its settings.").format(
                made=common.plain(line.made), device=common.plain(line.device)
            )
        )

    st.header(_("Over a plane of two directions"))
    plane = landscape_ui.recorded_or_computed(pair, train, plane_settings)
    if plane is not None:
        planes = runs.from_results(plane.results)
        colour_range = plane_range(planes)
        st.markdown(reading.plane_reading(planes))
        for column, (label, s) in zip(st.columns(len(planes)), planes.items(), strict=True):
            with column:
                common.chart(plane_figure(label, s, colour_range, surface), png_name=f"landscape_{label}",
                             key=f"landscape.plane.{label}")  # fmt: skip
        st.caption(
            _(
                "log10 of the training loss, one colour scale for both nets (yellow: the highest loss of either). "
                "Both nets use directions drawn from the same seed ({seed} and {next}). A recording made {made} on "
                "{device}, kept on disk by its settings."
            ).format(seed=seed, next=seed + 1, made=common.plain(plane.made), device=common.plain(plane.device))
        )
    st.caption(
        _(
            "What this shows: the loss on one random plane (or line) through the trained weights, at this scale. "
            "What it does not show: the whole landscape (a plane is 2 of the nets' hundreds of thousands of "
            "dimensions), nor the path training took; Li et al. found random planes representative, and the filter "
            "normalisation is what lets two nets' pictures be compared at all."
        )
    )
