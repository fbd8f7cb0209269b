"""Transfer learning: fine-tune trained weights on a small target set with stages frozen, against from scratch."""

import streamlit as st
from PIL import Image

from explorer.images import IMAGENET_MEAN, IMAGENET_STD
from explorer.render import enlarged, jpeg_bytes, overlay
from explorer.transfer import reading, targets
from explorer.transfer.figures import curve_figure, moved_figure
from explorer.transfer.finetune import CHOICES, Recipe, Run, exported
from explorer.transfer.sources import SOURCES
from explorer.ui import common, frame, server
from explorer.ui import transfer as transfer_ui

with frame.page("Transfer learning"):
    st.sidebar.caption("This page picks its own source weights (below); the model picker of the other pages does not "
                       "act here.")  # fmt: skip
    st.markdown(
        """
    Most people use a ResNet this way: take weights trained on a large set, replace the classifier (the *head*), and
    retrain some of the stages on a small target set. Freezing more stages trains fewer parameters and runs faster, but
    keeps features made for another task; training everything adapts them, and from scratch (random weights) starts
    with nothing. Every run below starts from the same weights, gets the same new head and sees the same batches in the
    same order.
    """
    )
    left, right = st.columns(2)
    available = [key for key, s in SOURCES.items() if s.available()]
    source_key = common.choice(left.radio, "Source weights", "transfer_source", available[0], options=available,
                               format_func=lambda k: SOURCES[k].label)  # fmt: skip
    missing = [s.label for k, s in SOURCES.items() if k not in available]
    if missing:
        left.caption(f"Not in the local cache, so not offered: {', '.join(missing)} (see `python -m explorer "
                     "weights`).")  # fmt: skip
    chosen = SOURCES[source_key]
    OWN = "your own images (a zip of class folders)"
    target_name = common.choice(
        right.radio,
        "Target set",
        "transfer_target",
        next(iter(targets.TARGETS)),
        options=[*targets.TARGETS, "own"],
        format_func=lambda k: targets.TARGETS.get(k, OWN),
    )
    row = st.columns(4)
    train_count = common.choice(
        row[0].select_slider, "Training images", "transfer_images", 300, options=[50, 100, 300, 1000],
        disabled=target_name == "own", help="Of a built-in set; your own set uses ¾ of each class for training.",
    )  # fmt: skip
    epochs = common.choice(row[1].select_slider, "Epochs", "epochs", Recipe.epochs, options=[1, 2, 4, 8, 16])
    lr = common.choice(row[2].select_slider, "Learning rate", "transfer_lr", Recipe.lr,
                       options=[0.001, 0.003, 0.01, 0.03, 0.1])  # fmt: skip
    mistake = "The classic mistake: feed the frozen layers raw pixels instead of what they expect."
    raw_run = common.choice(row[3].toggle, "Also: head only, without the normalisation", "raw_run", True, help=mistake)
    picked = common.choice(st.multiselect, "Runs", "runs", list(CHOICES), options=list(CHOICES),
                           format_func=CHOICES.get)  # fmt: skip
    runs = [Run(c) for c in picked] + ([Run("head", normalised=False)] if raw_run else [])
    if target_name == "own":
        own = transfer_ui.own_target(chosen.side)
        if own is None:
            st.info("Upload a .zip holding one folder per class, each with at least two images (JPEG, PNG, WebP, "
                    "BMP, GIF or TIFF). About a quarter of each class is held out.")  # fmt: skip
            st.stop()
        target_key, target = own
    else:
        target_key, target = f"{target_name}-{train_count}", targets.built_in(target_name, chosen.side, train_count)
    recipe = Recipe(epochs=epochs, lr=lr, batch_size=min(Recipe.batch_size, len(target.train_pictures)))
    if not runs:
        st.info("Choose at least one run.")
        st.stop()

    st.subheader("What the source weights expect")
    mean, std = (", ".join(f"{v:.3f}" for v in values) for values in (IMAGENET_MEAN, IMAGENET_STD))
    raw_mean, normalised_mean, normalised_std = targets.input_statistics(target.train_pictures)
    st.markdown(
        f"{common.plain(chosen.label)} was trained on {chosen.side}×{chosen.side} images normalised channel by channel "
        f"with the ImageNet mean ({mean}) and standard deviation ({std}), so the target images are resized to "
        f"{chosen.side}×{chosen.side} and normalised the same way: their pixels, 0…1 with mean {raw_mean:.2f}, become "
        f"values with mean {normalised_mean:.2f} and spread {normalised_std:.2f}. The run *without the normalisation* "
        "feeds the raw 0…1 pixels instead."
    )
    st.caption(f"{target.description}. Chance: {target.chance:.0%}.")
    for column, index in zip(st.columns(8), range(min(8, len(target.train_pictures))), strict=False):
        picture = enlarged(Image.fromarray(target.train_pictures[index]), 96)
        column.image(jpeg_bytes(picture), caption=target.class_names[int(target.train_labels[index])], width="stretch")

    st.subheader("Fine-tuning")
    finished = transfer_ui.fine_tuned(chosen, target_key, target, runs, recipe)
    if finished is None:
        st.caption(
            f"Each run: {recipe.epochs} epochs of SGD (learning rate {recipe.lr:g}, momentum 0.9, batch "
            f"{recipe.batch_size}) on {server.device_label()}. The curves appear epoch by epoch; Stop ends the runs "
            f"within one batch."
        )
        st.stop()
    st.markdown(reading.runs_reading(finished, target.chance))
    common.table(reading.results_rows(finished))
    common.chart(curve_figure(finished, target.chance), png_name=f"transfer_{source_key}_{target_key}",
                 key="transfer.curves")  # fmt: skip
    st.caption(
        f"Held-out accuracy (solid) and training accuracy (dotted) after every epoch; epoch 0 is the start, with the "
        f"new head. Time per epoch is the training alone, on {server.device_label()}. Frozen parts still run forward, "
        f"so head-only saves the backward pass through the net, not the forward one. What this does not show: how the "
        f"choices rank with more data or more epochs — with many target images, training everything usually catches up."
    )

    st.subheader("How much did each part move?")
    common.chart(moved_figure(finished), png_name="transfer_moved", key="transfer.moved")
    st.caption(
        "‖ΔW‖/‖W‖: the change of each part's weights over the run, against their size at the start (the head against "
        "its new random weights). Frozen parts read 0: their weights come out bit for bit as they went in. "
        + reading.moved_reading(finished)
    )

    st.subheader("Grad-CAM before and after")
    st.caption(
        f"The last block's Grad-CAM of the first {len(finished[0].cams_before)} held-out images for the class each "
        "model predicts, at the start (new head) and after fine-tuning, each map scaled to its own peak."
    )
    names = target.class_names
    for result in finished:
        st.markdown(f"**{result.run.label}**")
        columns = st.columns(2 * len(result.cams_before))
        for i, (before, after) in enumerate(zip(result.cams_before, result.cams_after, strict=True)):
            seen = Image.fromarray(target.test_pictures[i])
            truth = names[int(target.test_labels[i])]
            for column, cam, when, said in ((columns[2 * i], before, "before", result.said_before[i]),
                                            (columns[2 * i + 1], after, "after", result.said_after[i])):  # fmt: skip
                column.image(jpeg_bytes(enlarged(overlay(seen, cam), 96)), width="stretch",
                             caption=f"{when}: {names[said]} (true {truth})")  # fmt: skip

    st.subheader("Downloads")
    downloads = st.columns(2)
    curves_details = {"page": "Transfer learning", "source": chosen.label, "target": target.description,
                      "recipe": recipe, "device": server.device_label()}  # fmt: skip
    downloads[0].download_button("Curves (CSV)", reading.curves_csv(finished, curves_details), mime="text/csv",
                                 file_name="transfer_curves.csv", on_click="ignore", key="transfer.csv")  # fmt: skip
    labels = {r.run.label: r for r in finished}
    which = downloads[1].selectbox("Fine-tuned weights of", list(labels), key="transfer.which")
    downloads[1].download_button(
        "Weights (state dict, .pth)", lambda: exported(labels[which]), file_name=f"{source_key}_finetuned.pth",
        on_click="ignore", key="transfer.weights",
    )  # fmt: skip
    st.caption(
        f"The state dict loads back in the Image lab: pick {chosen.spec.label.replace(' (CIFAR)', '')} (the same "
        f"family and depth, input {chosen.side}) and *Checkpoint file*; its {len(names)} classes are named class 0 … "
        f"class {len(names) - 1} there, in the order {', '.join(names)}."
    )
