"""Lesions and paths: delete or reorder blocks of trained nets (Veit et al. 2016), and where the gradient flows."""

import streamlit as st

from explorer.language import N_, _, class_name
from explorer.lesions import paths, reading, study
from explorer.lesions.figures import lesion_figure, path_gradient_figure, path_share_figure
from explorer.lesions.lesion import Lesion, block_labels, error, predict
from explorer.ui import common, frame, server
from explorer.ui import lesions as lesions_ui

with frame.page("Lesions and paths"):
    st.sidebar.caption(
        _(
            "This page uses its own trained pairs of nets (chosen below); the model picker of the other pages does "
            "not act here."
        )
    )
    st.markdown(
        _(
            "Veit, Wilber and Belongie (2016, *Residual networks behave like ensembles of relatively shallow "
            "networks*) deleted blocks from trained nets at test time. Deleting **any one layer of a plain net (VGG) "
            "sends it to chance**; deleting one block of a ResNet barely hurts, and its error rises **smoothly** with "
            "the number deleted — as if a ResNet were many shallower nets voting together rather than one deep chain. "
            "Try it on a trained residual net and its plain counterpart: the same layers, trained the same way, "
            "without the shortcuts."
        )
    )
    pair = lesions_ui.pick_pair("lesion_nets")
    nets = pair.nets()
    test = pair.test
    st.caption(
        _(
            "{nets}. Test set: {test}; chance error {chance}. Veit et al.'s nets had 54 blocks (ResNet-110 on "
            "CIFAR-10); the fewer the blocks, the larger each one's share of the net, so a ResNet-20 (9 blocks) "
            "suffers more from one deletion than a ResNet-56 (27 blocks) does."
        ).format(nets=pair.description, test=test.description, chance=f"{test.chance_error:.0%}")
    )
    intact = server.shared(
        ("lesions.intact", pair.name),
        lambda: server.run(lambda: {label: error(model, test.images, test.labels) for label, model in nets.items()},
                           N_("Testing both nets")),
    )  # fmt: skip

    st.header(_("Delete blocks"))
    labels = block_labels(pair.residual)
    st.caption(
        _(
            "Click a block of {net} to delete it from both nets (a red cross), click it again to bring it back — or "
            "choose blocks in the list below."
        ).format(net=pair.residual_label)
    )
    lesions_ui.deletion_diagram(pair, labels)
    chosen = common.choice(
        st.multiselect, _("Blocks to delete"), lesions_ui.deleted_choice(pair), [], options=labels,
        placeholder=_("none: both nets intact"),
        help=_("Paper names; ↓ marks a block that changes the shape (the first of a stage)."),
    )  # fmt: skip
    lesion = Lesion.delete(labels.index(label) for label in chosen)
    shown = list(range(0, len(test.labels), max(1, len(test.labels) // 8)))[:8]

    def lesioned() -> tuple[dict[str, float], dict[str, list[int]]]:
        errors = {label: error(model, test.images, test.labels, lesion) for label, model in nets.items()}
        guesses = {label: predict(model, test.images[shown], lesion).tolist() for label, model in nets.items()}
        return errors, guesses

    errors, guesses = server.shared(("lesions.deleted", pair.name, lesion),
                                    lambda: server.run(lesioned, N_("Testing the lesioned nets")))  # fmt: skip
    for column, label in zip(st.columns(len(nets)), nets, strict=True):
        change = errors[label] - intact[label]
        column.metric(
            _("{net} test error").format(net=label), f"{errors[label]:.1%}",
            _("{change} vs intact").format(change=f"{change:+.1%}") if chosen else None, delta_color="inverse",
            help=_("Intact: {intact}. Chance: {chance}.").format(intact=f"{intact[label]:.1%}",
                                                                 chance=f"{test.chance_error:.0%}"),
        )  # fmt: skip
    row = st.columns(len(shown))
    for column, index in zip(row, shown, strict=True):
        truth = class_name(test.class_names[int(test.labels[index])])
        said = " · ".join(
            f"{label}: {class_name(test.class_names[guesses[label][shown.index(index)]])}" for label in nets
        )
        caption = _("true {truth} · {said}").format(truth=truth, said=said)
        column.image(test.picture(index), caption=caption, alt=_("A test image: {said}").format(said=caption),
                     width="stretch")  # fmt: skip
    st.caption(
        _(
            "A deleted residual block leaves its shortcut: its input passes on unchanged, or — for a block marked ↓, "
            "the first of a stage, whose output has another shape — subsampled and padded with zero channels (option "
            "A), as the shortcut always did. A plain block has no shortcut, so deleting it passes its input on where "
            "the shape allows, and where it does not (↓) the input is subsampled and zero-padded the same way: the "
            "least a plain net needs to go on at all. Nothing is retrained and the model's weights are not copied or "
            "changed: the page runs the same shared model and simply skips the block."
        )
    )

    st.header(_("Error against the number of blocks deleted"))
    top = st.columns([2, 3])
    kind = common.choice(
        top[0].radio, _("Lesion"), "lesion_kind", "delete", options=["delete", "swap"], horizontal=True,
        format_func={"delete": _("delete k random blocks"), "swap": _("swap k random neighbours")}.get,
    )  # fmt: skip
    draws = common.choice(top[1].select_slider, _("Random draws per k"), "draws", study.DEFAULT_DRAWS,
                          options=[1, 3, 5, 10, 20])  # fmt: skip
    curves = lesions_ui.curve(pair, kind, draws)
    if curves is not None:
        common.chart(lesion_figure(curves, kind, test.chance_error), png_name=f"lesion_{kind}_{pair.name}",
                     key=f"lesions.curve_figure.{kind}")  # fmt: skip
        st.markdown(reading.lesion_reading(curves, kind, test.chance_error))
        st.download_button(
            _("Download the curves (CSV)"),
            study.curves_csv(curves, kind, {N_("page"): _("Lesions and paths"), N_("nets"): pair.description,
                                            N_("lesion"): kind, N_("draws per k"): draws,
                                            N_("test set"): test.description}),
            file_name=f"lesion_{kind}_{pair.name}.csv",
            mime="text/csv", on_click="ignore", key=f"lesions.download.{kind}",
        )  # fmt: skip
    st.caption(
        _(
            "Each point is the mean test error over the random draws, the bar one standard deviation; k = 0 is the "
            "intact net. A swap trades the places of two neighbouring blocks of one stage that keep the shape (Veit "
            "et al.'s reordering). What this does not show: how the nets would do if retrained without the blocks, or "
            "why — the ensemble reading is Veit et al.'s interpretation of curves like this one. The toolbar above the "
            "figure saves it as PNG."
        )
    )

    st.header(_("Paths: a residual net is many nets"))
    blocks = len(pair.residual.blocks())
    st.markdown(
        _(
            "Every block offers two ways through it — its residual branch F or its shortcut — so {net} with {blocks} "
            "blocks holds 2^{blocks} = {paths} paths from input to output, and a path's *length* is how many residual "
            "branches it takes. Path lengths follow the binomial distribution (bars below): most are about {half} "
            "blocks long. Veit et al. measured how much gradient each length carries: forward as usual, and in the "
            "backward pass let k random blocks pass the gradient through F only and all others through the shortcut "
            "only."
        ).format(net=pair.residual_label, blocks=blocks, paths=f"{2**blocks:,}", half=blocks // 2)
    )
    samples = common.choice(st.select_slider, _("Paths measured per length"), "path_samples", paths.DEFAULT_SAMPLES,
                            options=[4, 8, 16, 32, 64])  # fmt: skip
    measured = lesions_ui.path_gradients(pair, samples)
    left, right = st.columns(2)
    with left:
        common.chart(path_share_figure(blocks, measured), png_name=f"paths_{pair.name}", key="lesions.path_share")
    if measured is not None:
        with right:
            common.chart(path_gradient_figure(measured), png_name=f"path_gradient_{pair.name}", key="lesions.path_grad")
        st.markdown(reading.paths_reading(measured))
    st.caption(
        _(
            "Measured on {net} at its trained weights, on {images} test images, {samples} random paths per length; the "
            "gradient is the norm of ∂L/∂x at the first block's input. A length's share of the gradient is the mean "
            "norm of one of its paths times how many such paths there are, normalised (Veit et al.'s estimate: it "
            "adds norms, not the gradient vectors themselves). Single paths' gradients vary over orders of magnitude, "
            "so with few paths per length the line is jagged: measure more for a smoother one. What it does not show: "
            "that the short paths alone would train the net — only that, at these weights, the gradient the net "
            "receives comes mostly from them. A plain net has a single path, through every block."
        ).format(net=pair.residual_label, images=paths.DEFAULT_IMAGES, samples=samples)
    )
