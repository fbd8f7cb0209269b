"""The transfer-learning page's computations: the source model shared by every session, the target set (built in
or uploaded), and the runs fine-tuned on request with live curves, progress and a stop button, kept by settings."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import streamlit as st

from explorer.language import N_, _, ngettext
from explorer.transfer import targets
from explorer.transfer.figures import curve_figure
from explorer.transfer.finetune import Recipe, Run, RunResult, run_steps, steps_per_run
from explorer.transfer.sources import Source
from explorer.ui.server import device, kept_while, shared, shared_model, with_progress
from models import ResNet


def source_model(chosen: Source) -> ResNet:
    """The source's model, shared by every session like any model (never trained itself: each run trains its own)."""
    if not chosen.available():
        chosen.load()  # raises TransferError, saying where the weights belong
    return shared_model(chosen.spec, chosen.net.source).model


def own_target(side: int) -> tuple[str, targets.TargetSet] | None:
    """The upload widget for the user's zip of class folders and the set it holds (key, set); None until one is
    uploaded. Raises TargetError (one line) for an unusable archive."""
    limit = targets.MAX_ARCHIVE_BYTES // 2**20
    upload = st.file_uploader(
        _("A .zip with one folder of images per class (at most {files} files, {limit} MB)").format(
            files=f"{targets.MAX_FILES:,}", limit=limit
        ),
        type=["zip"], key="transfer.upload", max_upload_size=limit,
    )  # fmt: skip
    if upload is None:
        return None
    key = f"own-{hashlib.sha256(upload.getvalue()).hexdigest()[:16]}-{side}"

    def unpack() -> targets.TargetSet:
        return targets.own_images(targets.read_archive(upload.getvalue(), upload.name), side, upload.name)

    return key, kept_while("transfer.own", key, unpack)  # unpacked and decoded once per upload and side


def fine_tuned(
    chosen: Source, target_key: str, target: targets.TargetSet, runs: Sequence[Run], recipe: Recipe
) -> list[RunResult] | None:
    """Every run's result: kept for every session once computed; computed when the page's button is pressed, one
    batch per queue job, with the curves drawn live after every epoch; None until then."""
    steps = steps_per_run(target, recipe)

    def compute() -> list[RunResult]:
        model = source_model(chosen)
        finished: list[RunResult] = []
        live = st.empty()

        def each():
            for run in runs:
                for so_far in run_steps(chosen.spec, model, target, run, recipe, device()):
                    yield so_far
                finished.append(so_far)  # before the next run's first step reaches the page

        drawn = 0
        for current in with_progress(each(), len(runs) * steps, N_("Fine-tuning"), "transfer.stop"):
            shown = [*finished, current]
            points = sum(len(r.curve) for r in shown)
            if points != drawn:  # a new epoch somewhere: redraw the curves
                drawn = points
                live.plotly_chart(curve_figure(shown, target.chance), key=f"transfer.live.{points}")
        live.empty()
        return finished

    label = ngettext(
        "Fine-tune {count} run ({steps} training steps)", "Fine-tune {count} runs ({steps} training steps)", len(runs)
    ).format(count=len(runs), steps=f"{len(runs) * steps:,}")
    return shared(
        ("transfer", chosen.key, target_key, tuple(runs), recipe),
        compute,
        lambda: st.button(label, type="primary", key="transfer.start"),
    )
