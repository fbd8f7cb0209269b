"""Transfer learning: fine-tune trained weights on a small target set with stages frozen, against from scratch."""

import streamlit as st
from PIL import Image

from explorer.images import IMAGENET_MEAN, IMAGENET_STD
from explorer.language import N_, _, class_name, separated
from explorer.render import enlarged, jpeg_bytes, overlay
from explorer.transfer import reading, targets
from explorer.transfer.figures import curve_figure, moved_figure
from explorer.transfer.finetune import CHOICES, Recipe, Run, exported
from explorer.transfer.sources import SOURCES
from explorer.ui import common, frame, server
from explorer.ui import transfer as transfer_ui

with frame.page("Transfer learning"):
    st.sidebar.caption(
        _("This page picks its own source weights (below); the model picker of the other pages does not act here.")
    )
    st.markdown(
        _(
            "Most people use a ResNet this way: take weights trained on a large set, replace the classifier (the "
            "*head*), and retrain some of the stages on a small target set. Freezing more stages trains fewer "
            "parameters and runs faster, but keeps features made for another task; training everything adapts them, "
            "and from scratch (random weights) starts with nothing. Every run below starts from the same weights, gets "
            "the same new head and sees the same batches in the same order."
        )
    )
    left, right = st.columns(2)
    available = [key for key, s in SOURCES.items() if s.available()]
    source_key = common.choice(left.radio, _("Source weights"), "transfer_source", available[0], options=available,
                               format_func=lambda k: str(SOURCES[k].label))  # fmt: skip
    missing = [s.label for k, s in SOURCES.items() if k not in available]
    if missing:
        left.caption(
            _("Not in the local cache, so not offered: {missing} (see `python -m explorer weights`).").format(
                missing=separated(missing)
            )
        )
    chosen = SOURCES[source_key]
    own_label = N_("your own images (a zip of class folders)")
    target_name = common.choice(
        right.radio,
        _("Target set"),
        "transfer_target",
        next(iter(targets.TARGETS)),
        options=[*targets.TARGETS, "own"],
        format_func=lambda k: _(targets.TARGETS.get(k, own_label)),
    )
    row = st.columns(4)
    train_count = common.choice(
        row[0].select_slider, _("Training images"), "transfer_images", 300, options=[50, 100, 300, 1000],
        disabled=target_name == "own", help=_("Of a built-in set; your own set uses ¾ of each class for training."),
    )  # fmt: skip
    epochs = common.choice(row[1].select_slider, _("Epochs"), "epochs", Recipe.epochs, options=[1, 2, 4, 8, 16])
    lr = common.choice(row[2].select_slider, _("Learning rate"), "transfer_lr", Recipe.lr,
                       options=[0.001, 0.003, 0.01, 0.03, 0.1])  # fmt: skip
    mistake = _("The classic mistake: feed the frozen layers raw pixels instead of what they expect.")
    raw_label = _("Also: head only, without the normalisation")
    raw_run = common.choice(row[3].toggle, raw_label, "raw_run", True, help=mistake)
    picked = common.choice(st.multiselect, _("Runs"), "runs", list(CHOICES), options=list(CHOICES),
                           format_func=lambda choice: _(CHOICES[choice]))  # fmt: skip
    runs = [Run(c) for c in picked] + ([Run("head", normalised=False)] if raw_run else [])
    if target_name == "own":
        own = transfer_ui.own_target(chosen.side)
        if own is None:
            st.info(
                _(
                    "Upload a .zip holding one folder per class, each with at least two images (JPEG, PNG, WebP, BMP, "
                    "GIF or TIFF). About a quarter of each class is held out."
                )
            )
            st.stop()
        target_key, target = own
    else:
        target_key, target = f"{target_name}-{train_count}", targets.built_in(target_name, chosen.side, train_count)
    recipe = Recipe(epochs=epochs, lr=lr, batch_size=min(Recipe.batch_size, len(target.train_pictures)))
    if not runs:
        st.info(_("Choose at least one run."))
        st.stop()

    st.header(_("What the source weights expect"))
    mean, std = (", ".join(f"{v:.3f}" for v in values) for values in (IMAGENET_MEAN, IMAGENET_STD))
    raw_mean, normalised_mean, normalised_std = targets.input_statistics(target.train_pictures)
    st.markdown(
        _(
            "{source} was trained on {side}×{side} images normalised channel by channel with the ImageNet mean "
            "({mean}) and standard deviation ({std}), so the target images are resized to {side}×{side} and normalised "
            "the same way: their pixels, 0…1 with mean {raw_mean}, become values with mean {normalised_mean} and "
            "spread {normalised_std}. The run *without the normalisation* feeds the raw 0…1 pixels instead."
        ).format(
            source=common.plain(chosen.label),
            side=chosen.side,
            mean=mean,
            std=std,
            raw_mean=f"{raw_mean:.2f}",
            normalised_mean=f"{normalised_mean:.2f}",
            normalised_std=f"{normalised_std:.2f}",
        )
    )
    st.caption(_("{target}. Chance: {chance}.").format(target=target.description, chance=f"{target.chance:.0%}"))
    for column, index in zip(st.columns(8), range(min(8, len(target.train_pictures))), strict=False):
        picture = enlarged(Image.fromarray(target.train_pictures[index]), 96)
        shown = class_name(target.class_names[int(target.train_labels[index])])
        column.image(jpeg_bytes(picture), caption=shown, width="stretch",
                     alt=_("A training image of the target set, class {name}").format(name=shown))  # fmt: skip

    st.header(_("Fine-tuning"))
    finished = transfer_ui.fine_tuned(chosen, target_key, target, runs, recipe)
    if finished is None:
        st.caption(
            _(
                "Each run: {epochs} epochs of SGD (learning rate {lr}, momentum 0.9, batch {batch}) on {device}. The "
                "curves appear epoch by epoch; Stop ends the runs within one batch."
            ).format(epochs=recipe.epochs, lr=f"{recipe.lr:g}", batch=recipe.batch_size, device=server.device_label())
        )
        st.stop()
    st.markdown(reading.runs_reading(finished, target.chance))
    common.table(reading.results_rows(finished))
    common.chart(curve_figure(finished, target.chance), png_name=f"transfer_{source_key}_{target_key}",
                 key="transfer.curves")  # fmt: skip
    st.caption(
        _(
            "Held-out accuracy (solid) and training accuracy (dotted) after every epoch; epoch 0 is the start, with "
            "the new head. Time per epoch is the training alone, on {device}. Frozen parts still run forward, so "
            "head-only saves the backward pass through the net, not the forward one. What this does not show: how the "
            "choices rank with more data or more epochs — with many target images, training everything usually "
            "catches up."
        ).format(device=server.device_label())
    )

    st.header(_("How much did each part move?"))
    common.chart(moved_figure(finished), png_name="transfer_moved", key="transfer.moved")
    st.caption(
        _(
            "‖ΔW‖/‖W‖: the change of each part's weights over the run, against their size at the start (the head "
            "against its new random weights). Frozen parts read 0: their weights come out bit for bit as they went "
            "in. {moved}"
        ).format(moved=reading.moved_reading(finished))
    )

    st.header(_("Grad-CAM before and after"))
    st.caption(
        _(
            "The last block's Grad-CAM of the first {count} held-out images for the class each model predicts, at the "
            "start (new head) and after fine-tuning, each map scaled to its own peak."
        ).format(count=len(finished[0].cams_before))
    )
    names = target.class_names
    for result in finished:
        st.markdown(f"**{result.run.label}**")
        columns = st.columns(2 * len(result.cams_before))
        for i, (before, after) in enumerate(zip(result.cams_before, result.cams_after, strict=True)):
            seen = Image.fromarray(target.test_pictures[i])
            truth = class_name(names[int(target.test_labels[i])])
            for column, cam, when, said in ((columns[2 * i], before, _("before"), result.said_before[i]),
                                            (columns[2 * i + 1], after, _("after"), result.said_after[i])):  # fmt: skip
                caption = _("{when}: {said} (true {truth})").format(when=when, said=class_name(names[said]),
                                                                     truth=truth)  # fmt: skip
                column.image(jpeg_bytes(enlarged(overlay(seen, cam), 96)), width="stretch", caption=caption,
                             alt=_("Grad-CAM of {run} on a held-out image, {when} fine-tuning: it says {said}, the "
                                   "truth is {truth}").format(run=result.run.label, when=when,
                                                              said=class_name(names[said]), truth=truth))  # fmt: skip

    st.header(_("Downloads"))
    downloads = st.columns(2)
    curves_details = {N_("page"): _("Transfer learning"), N_("source"): chosen.label, N_("target"): target.description,
                      N_("recipe"): recipe, N_("device"): server.device_label()}  # fmt: skip
    downloads[0].download_button(_("Curves (CSV)"), reading.curves_csv(finished, curves_details), mime="text/csv",
                                 file_name="transfer_curves.csv", on_click="ignore", key="transfer.csv")  # fmt: skip
    labels = {r.run.label: r for r in finished}
    which = downloads[1].selectbox(_("Fine-tuned weights of"), list(labels), key="transfer.which")
    downloads[1].download_button(
        _("Weights (state dict, .pth)"), lambda: exported(labels[which]), file_name=f"{source_key}_finetuned.pth",
        on_click="ignore", key="transfer.weights",
    )  # fmt: skip
    st.caption(
        _(
            "The state dict loads back in the Image lab: pick {model} (the same family and depth, input {side}) and "
            "*Checkpoint file*; its {count} classes are named class 0 … class {last} there, in the order {names}."
        ).format(
            model=str(chosen.spec.label).replace(" (CIFAR)", ""),
            side=chosen.side,
            count=len(names),
            last=len(names) - 1,
            names=", ".join(names),
        )
    )
