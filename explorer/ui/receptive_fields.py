"""The receptive-field page's computations: the subject's nets shared by every session, and their effective
fields measured on request (one block per step, with progress and a stop button), kept for every session."""

from __future__ import annotations

import streamlit as st

from explorer.receptive_fields.effective import EffectiveField, effective_field_steps
from explorer.receptive_fields.subjects import MeasuredNet, subject_images, subject_nets
from explorer.ui.server import device, results, shared_model, with_progress


def nets(subject: str) -> list[MeasuredNet]:
    """The subject's residual and plain nets, loaded once for every session."""
    return shared_model(("receptive.nets", subject, str(device())), lambda: subject_nets(subject, device()))


def measured(subject: str, side: int, count: int) -> dict[str, list[EffectiveField]] | None:
    """Both nets' effective fields on ``count`` images at ``side``: kept for every session once measured, measured
    when the page's button is pressed; None until then."""
    key = ("shared", ("receptive.effective", subject, side, count, str(device())))
    if (done := results().get(key)) is not None:
        return done
    if not st.button(f"Measure the effective fields ({count} images at {side}×{side})", type="primary",
                     key="receptive.measure"):  # fmt: skip
        return None
    images, _ = subject_images(subject, count, side)
    chosen = nets(subject)
    found: dict[str, list[EffectiveField]] = {}

    def each():
        for net in chosen:
            for _, _, so_far in effective_field_steps(net.model, images):
                found[net.label] = so_far
                yield None

    total = sum(len(net.model.blocks()) for net in chosen)
    for _ in with_progress(each(), total, "Measuring block by block", "receptive.stop"):
        pass
    results().put(key, found)
    return found
