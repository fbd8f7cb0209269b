"""The gradient lab's controls and cached computations."""

from __future__ import annotations

import time

import streamlit as st

from explorer import gradlab
from explorer.gradlab.data import DATA_KINDS, IMAGE_SIZES
from explorer.spec import SpecError
from explorer.ui.common import show_error
from explorer.ui.server import device, queued, results, shared_result
from models import ACTIVATIONS, INIT_SCHEMES

LIVE_UPDATE_S = 0.2  # at most five redraws a second while training
_GRAD_DEPTHS = tuple(range(gradlab.MIN_DEPTH, gradlab.MAX_DEPTH + 1, 6))
_GRAD_DEFAULTS = gradlab.GradLabConfig()
_GRAD_FIELDS = (
    "depth", "batch_norm", "preact", "activation", "init", "optimiser", "lr", "batch_size", "steps", "data",
    "image_size", "seed",
)  # fmt: skip


def apply_preset() -> None:
    """Callback of the preset picker: copy the preset's settings into the controls."""
    name = st.session_state.get("grad.preset")
    if name:
        for field, value in gradlab.PRESETS[name].items():
            st.session_state[f"grad.{field}"] = value


def controls() -> gradlab.GradLabConfig | None:
    """The gradient lab's settings; None (after an error message) if they do not make a valid setting."""
    for field in _GRAD_FIELDS:
        st.session_state.setdefault(f"grad.{field}", getattr(_GRAD_DEFAULTS, field))
    top = st.columns(4)
    top[0].select_slider("Depth (6n+2)", _GRAD_DEPTHS, key="grad.depth")
    top[1].toggle("Batch norm", key="grad.batch_norm")
    top[1].toggle(
        "Pre-activation blocks", key="grad.preact",
        help="Activation before each conv, nothing after the addition: a clean identity path (He et al. 2016).",
    )  # fmt: skip
    top[2].radio("Activation", list(ACTIVATIONS), horizontal=True, key="grad.activation")
    top[3].radio(
        "Initialisation", list(INIT_SCHEMES), horizontal=True, key="grad.init",
        help="he: Kaiming normal; xavier: Glorot normal; default: PyTorch's own (Kaiming uniform, a=√5).",
    )  # fmt: skip
    bottom = st.columns(7)
    bottom[0].radio("Optimiser", list(gradlab.OPTIMISERS), horizontal=True, key="grad.optimiser")
    bottom[1].number_input("Learning rate", 1e-5, gradlab.MAX_LR, format="%.4f", key="grad.lr")
    bottom[2].select_slider("Batch size", [8, 16, 32, 64, 128, 256], key="grad.batch_size")
    bottom[3].number_input("Steps", 1, gradlab.MAX_STEPS, key="grad.steps")
    bottom[4].radio("Data", list(DATA_KINDS), horizontal=True, key="grad.data")
    bottom[5].select_slider(
        "Image side", list(IMAGE_SIZES), key="grad.image_size", help="Digits are 8×8; larger sides repeat pixels."
    )
    bottom[6].number_input("Seed", 0, 10_000, key="grad.seed")
    try:
        return gradlab.GradLabConfig(**{field: st.session_state[f"grad.{field}"] for field in _GRAD_FIELDS})
    except SpecError as error:
        show_error(error)
        return None


def initial_profiles(config: gradlab.GradLabConfig) -> dict[str, gradlab.GradientProfile]:
    """``gradlab.initial_profiles``, computed once per setting for every session."""
    return shared_result(
        ("gradlab.profiles", config), lambda: gradlab.initial_profiles(config, device()), "Measuring gradients"
    )


def degradation(steps: int) -> dict[str, gradlab.Curve] | None:
    """The degradation demo's curves: from the server's store when any session ran it, else trained now,
    one step per queue job, with progress, an estimate of the time left and a stop button."""
    key = ("shared", ("gradlab.degradation", steps))
    if (done := results().get(key)) is not None:
        return done
    run = gradlab.DegradationRun(steps, device=device())
    bar = st.progress(0.0, text="Training plain-20, ResNet-20, plain-56 and ResNet-56…")
    st.button("Stop the demo", key="grad.demo_stop", help="Stops within a step; nothing is kept.")
    began = time.perf_counter()
    for _ in queued(iter(run.step, False), "Training the four nets"):
        elapsed = time.perf_counter() - began
        left = elapsed / run.done * (run.total - run.done)
        bar.progress(run.done / run.total, text=f"step {run.done} of {run.total} · about {left:.0f} s left")
    bar.empty()
    curves = run.curves()
    results().put(key, curves)
    return curves
