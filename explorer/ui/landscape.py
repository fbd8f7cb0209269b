"""The loss-landscape page's computations: the cost of a setting measured before it runs, and slices computed
with progress and a stop button, kept on disk by their settings (recordings) for the next class."""

from __future__ import annotations

import time

import streamlit as st

from explorer import recordings
from explorer.landscape import runs
from explorer.landscape.slices import loss_at
from explorer.language import N_, _
from explorer.lesions.nets import LabelledSet, TrainedPair
from explorer.ui.server import recorded_device, run, shared, with_progress

KIND = "landscape"


def seconds_per_loss(pair: TrainedPair, train: LabelledSet, images: int) -> float:
    """How long one loss of one net takes here (measured once per pair, the faster of two tries)."""

    def measure() -> float:
        tries = []
        for _try in range(2):
            began = time.perf_counter()
            loss_at(pair.residual, train.images[:images], train.labels[:images])
            tries.append(time.perf_counter() - began)
        return min(tries)

    return shared(("landscape.cost", pair.name, images), lambda: run(measure, N_("Timing one loss")))


def recorded_or_computed(
    pair: TrainedPair, train: LabelledSet, settings: runs.LandscapeSettings
) -> recordings.Recording | None:
    """The recording of ``settings``; else, once the page's button for it is pressed, both nets' slices computed
    now for every session (one point per queue job, with progress and a stop button) and kept on disk; None until
    then."""
    if (found := recordings.load(KIND, settings.recording(), runs.SLICES_SHAPE)) is not None:
        return found

    def compute() -> recordings.Recording:
        steps = runs.landscape_steps(pair, train, settings)
        total = runs.step_count(pair, settings)
        what = N_("Computing the line") if settings.kind == "line" else N_("Computing the plane")
        *_done, slices = with_progress(steps, total, what, f"landscape.stop.{settings.kind}")
        return recordings.save(KIND, settings.recording(), runs.to_results(slices), recorded_device())

    return shared(
        (KIND, settings),
        compute,
        lambda: st.button(
            _("Compute the line") if settings.kind == "line" else _("Compute the plane"),
            type="primary",
            key=f"landscape.{settings.kind}",
        ),
    )
