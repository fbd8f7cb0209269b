"""The receptive-field page's computations: the subject's nets shared by every session, and their effective
fields measured on request (one block per step, with progress and a stop button), kept for every session."""

from __future__ import annotations

import streamlit as st
from PIL import Image
from torch import Tensor

from explorer import catalogue
from explorer.language import N_, ngettext
from explorer.receptive_fields.effective import EffectiveField, effective_field_steps
from explorer.receptive_fields.subjects import MeasuredNet, measured_net, subject_images
from explorer.receptive_fields.theory import Field, stem_and_block_fields
from explorer.spec import ModelSpec
from explorer.ui.server import run, shared, shared_model, with_progress


def nets(subject: str) -> list[MeasuredNet]:
    """The subject's residual and plain nets, shared by every session like any model."""
    found = []
    for net in catalogue.pair(subject).nets():
        found.append(measured_net(net, shared_model(net.spec, net.source_here())))
    return found


def images(subject: str, count: int, side: int) -> tuple[Tensor, list[Image.Image]]:
    """The subject's images (inputs and pictures), drawn once for every session rather than on every rerun (treat
    the tensors as read-only)."""
    return shared(("receptive.images", subject, count, side),
                  lambda: run(lambda: subject_images(subject, count, side), N_("Drawing the images")))  # fmt: skip


def theoretical(spec: ModelSpec, size: int) -> list[Field]:
    """The stem's and every block's theoretical field of ``spec`` at ``size``, computed once for every session."""

    def lay_out() -> list[Field]:
        return stem_and_block_fields(spec.build("meta"), size)

    return shared(("receptive.theory", spec, size), lambda: run(lay_out, N_("Laying out the fields")))


def measured(subject: str, side: int, count: int) -> dict[str, list[EffectiveField]] | None:
    """Both nets' effective fields on ``count`` images at ``side``: kept for every session once measured, measured
    when the page's button is pressed; None until then."""

    def compute() -> dict[str, list[EffectiveField]]:
        inputs, _ = images(subject, count, side)
        found: dict[str, list[EffectiveField]] = {}

        def each():
            for net in chosen:
                for _done, _blocks, so_far in effective_field_steps(net.model, inputs):
                    found[net.label] = so_far
                    yield None

        chosen = nets(subject)
        total = sum(len(net.model.blocks()) for net in chosen)
        for _step in with_progress(each(), total, N_("Measuring block by block"), "receptive.stop"):
            pass
        return found

    label = ngettext(
        "Measure the effective fields ({count} image at {side}×{side})",
        "Measure the effective fields ({count} images at {side}×{side})",
        count,
    ).format(count=count, side=side)
    return shared(
        ("receptive.effective", subject, side, count),
        compute,
        lambda: st.button(label, type="primary", key="receptive.measure"),
    )
