"""Shapes dataset: images with known truth, the explorer's own trained models, and scored explanations."""

import streamlit as st
from PIL import Image

from explorer.language import N_, _, separated
from explorer.render import with_box
from explorer.shapes import dataset
from explorer.shapes.dataset import CLASSES, ShapesConfig
from explorer.shapes.figures import scores_figure
from explorer.shapes.scoring import scores_table
from explorer.shapes.shipped import shipped_models
from explorer.ui import common, frame
from explorer.ui import shapes as shapes_ui

with frame.page("Shapes dataset"):
    st.sidebar.caption(
        _("This page shows the explorer's own Shapes models; the model picker of the other pages does not act here.")
    )
    st.markdown(
        _(
            "Grad-CAM on a photo can only be judged by eye. **Shapes** is a dataset whose truth is known: each image "
            "holds one target object — a {classes} or {last} of random size, colour, position and rotation — over a "
            "textured background with distractor dots and lines. Every image comes with its class, the object's box "
            "and its pixel mask, so an explanation can be *scored*: does the map point at the object?"
        ).format(classes=separated(_(c) for c in CLASSES[:-1]), last=_(CLASSES[-1]))
    )

    st.header(_("Samples"))
    cols = st.columns(3)
    seed = common.choice(cols[0].number_input, _("Seed"), "shapes_seed", 0, min_value=0, max_value=1_000_000)
    size = common.choice(
        cols[1].select_slider, _("Resolution"), "shapes_size", 64, options=[32, 48, 64, 96, 128, 160, 224]
    )
    start = common.choice(cols[2].number_input, _("First image"), "shapes_start", 0, min_value=0, max_value=1_000_000,
                          step=12)  # fmt: skip
    config = ShapesConfig(seed=int(seed), size=int(size))
    grid = st.columns(6)
    for i, sample in enumerate(dataset.samples(config, int(start), 12)):
        picture = with_box(Image.fromarray(sample.image), sample.box, scale=max(1, 128 // config.size))
        described = _("Shapes image {index}: a {shape} on a textured background, its box drawn in white")
        grid[i % 6].image(picture, caption=f"#{int(start) + i}: {_(sample.class_name)}", width="stretch",
                          alt=described.format(index=int(start) + i, shape=_(sample.class_name)))  # fmt: skip
    st.caption(_("White rectangle: the object's box. Generate any image of any seed at any resolution from 32 to 224."))

    st.header(_("The explorer's own trained models"))
    shipped = shipped_models()
    if not shipped:
        st.warning(_("No trained models in models/checkpoints: run `python -m explorer train`."))
        st.stop()
    common.table(
        [
            {
                N_("model"): str(m.spec.label),
                N_("test accuracy"): f"{m.metadata['test_accuracy']:.2%}",
                N_("test images"): m.metadata["test_images"],
                N_("steps × batch"): f"{m.metadata['recipe']['steps']} × {m.metadata['recipe']['batch_size']}",
                N_("training time"): _("{seconds} s on {threads} CPU threads").format(
                    seconds=f"{m.metadata['train_seconds']:.0f}", threads=m.metadata["threads"]
                ),
                N_("final training loss"): f"{m.metadata['final_train_loss']:.3f}",
            }
            for m in shipped.values()
        ],
    )
    st.caption(_("Accuracy on a freshly generated test set (another seed) that the models never saw."))

    st.header(_("Does each block's Grad-CAM point at the object?"))
    count = common.choice(
        st.slider, _("Test images per model"), "shapes_count", 100, min_value=20, max_value=1000, step=20
    )
    named = shapes_ui.scores(count)
    common.chart(scores_figure(named), key="shapes.scores")
    common.table(scores_table(named))
    st.caption(
        _(
            "Grad-CAM of the true class for every residual block. Pointing game: the map's peak lies inside the "
            "object's box. Energy on object: the share of the map's mass on the object's pixels (the object covers "
            "roughly a tenth to a quarter of the image, so a map spread evenly would score about that)."
        )
    )
