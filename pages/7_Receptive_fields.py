"""Receptive fields: the theoretical field of every block, and the effective one measured by input gradients."""

import streamlit as st

from explorer import catalogue
from explorer.language import N_, _, ngettext
from explorer.receptive_fields import reading, subjects, theory
from explorer.receptive_fields.effective import HOLDING, effective_csv, stage_ends
from explorer.receptive_fields.figures import EFFECTIVE_BOX, THEORY_BOX, field_picture, field_size_figure
from explorer.render import jpeg_bytes
from explorer.ui import common, frame, server
from explorer.ui import receptive_fields as receptive_ui

with frame.page("Receptive fields"):
    spec, size = common.model_sidebar()

    st.header(_("Theoretical receptive field"))
    st.markdown(
        _(
            "A unit of a block's output depends on a square of input pixels, its **receptive field**. It grows with "
            "every convolution by (kernel − 1) × the *jump*, the number of input pixels between neighbouring units, "
            "and every stride multiplies the jump. Below: the field of every block of **{model}** (the sidebar's "
            "model) at {size}×{size}. A plain net has the same layers, so the same theoretical field; a residual "
            "block's shortcut sees less than its branch, so the block's field is its branch's."
        ).format(model=spec.label, size=size)
    )
    fields = receptive_ui.theoretical(spec, size)
    st.markdown(reading.theory_reading(fields, size))
    left, right = st.columns([3, 2])
    with left:
        common.chart(field_size_figure(fields, size), png_name=f"receptive_field_{spec.name}", key="receptive.theory")
    with right:
        st.dataframe(common.said_columns(theory.field_rows(fields)), hide_index=True, width="stretch", height=360)

    st.header(_("Effective receptive field"))
    st.markdown(
        _(
            "Luo, Li, Urtasun and Zemel (2016, *Understanding the effective receptive field in deep convolutional "
            "neural networks*) measured how much each input pixel actually moves a unit: the gradient of the unit with "
            "respect to the input. The effective field is **much smaller than the theoretical one**, roughly Gaussian, "
            "and grows like the square root of the depth rather than linearly; they noted that skip connections make "
            "it smaller still. Veit et al.'s reading explains why: most of a residual net's paths are short, and a "
            "short path sees a small field."
        )
    )
    row = st.columns([3, 1, 1])
    subject = common.choice(
        row[0].selectbox, _("Nets"), "receptive_nets", "shapes-20", options=list(subjects.SUBJECTS),
        format_func=lambda key: str(catalogue.pair(key).name),
    )  # fmt: skip
    sides = subjects.sides(subject)
    side = common.choice(row[1].selectbox, _("Image side"), "receptive_side", sides[min(1, len(sides) - 1)],
                         options=list(sides))  # fmt: skip
    images = 4 if subjects.is_imagenet(subject) else 8
    count = common.choice(row[2].select_slider, _("Images"), "receptive_images", images, options=[1, 2, 4, 8, 16])
    chosen = receptive_ui.nets(subject)
    nets_said = " · ".join(f"**{net.label}**: {net.weights}" for net in chosen)
    st.caption(
        ngettext(
            "{nets}. The gradient of the centre unit of every block's output (summed over its channels), its size "
            "taken pixel by pixel and summed over colours, averaged over {count} image.",
            "{nets}. The gradient of the centre unit of every block's output (summed over its channels), its size "
            "taken pixel by pixel and summed over colours, averaged over {count} images.",
            count,
        ).format(nets=nets_said, count=count)
    )
    found = receptive_ui.measured(subject, side, count)
    if found is not None:
        st.markdown(reading.effective_reading(found, side))
        first = next(iter(found.values()))  # both nets have the same theoretical fields
        common.chart(field_size_figure([f.field for f in first], side, found), png_name=f"effective_field_{subject}",
                     key="receptive.effective")  # fmt: skip
        _inputs, pictures = receptive_ui.images(subject, count, side)
        st.caption(
            _(
                "Effective field: the side of the smallest square around the unit's centre that holds {share} of the "
                "gradient (it cannot grow past the image). Drawn below at the last block of every stage, over the "
                "first image: the gradient (red strongest, each picture scaled to its own peak), the theoretical field "
                "in {theory} and the {share} square in {effective}."
            ).format(share=f"{HOLDING:.0%}", theory=_(THEORY_BOX), effective=_(EFFECTIVE_BOX))
        )
        for label, measured in found.items():
            st.markdown(f"**{label}**")
            ends = stage_ends(measured)
            for column, field in zip(st.columns(len(ends)), ends, strict=True):
                caption = _("{block}: {share} in {held} of {size} px").format(
                    block=field.paper_name, share=f"{HOLDING:.0%}", held=field.side_holding(), size=field.field.size
                )
                alt = _("The first image with block {block}'s receptive field: a {theory} square of {size} px (the "
                        "theory) and a {effective} one of {held} px that holds {share} of the gradient").format(
                    block=field.paper_name, theory=_(THEORY_BOX), size=field.field.size, effective=_(EFFECTIVE_BOX),
                    held=field.side_holding(), share=f"{HOLDING:.0%}")  # fmt: skip
                column.image(jpeg_bytes(field_picture(pictures[0], field)), caption=caption, width="stretch", alt=alt)
        fields_details = {N_("page"): _("Receptive fields"), N_("nets"): catalogue.pair(subject).name,
                          N_("image side"): side, N_("images"): count, N_("device"): server.device_label()}  # fmt: skip
        st.download_button(_("Download the fields (CSV)"), effective_csv(found, fields_details), mime="text/csv",
                           file_name=f"effective_fields_{subject}.csv", on_click="ignore",
                           key="receptive.download")  # fmt: skip
    st.caption(
        _(
            "What this does not show: which pixels matter for the net's *decision* (that is Grad-CAM, in the Image "
            "lab), or the field of a unit near the border, where the zero padding cuts the field off. The gradient is "
            "taken at the trained (or initial) weights and on these images; a ReLU net's gradient depends on the image."
        )
    )
