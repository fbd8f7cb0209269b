"""The gradient lab's controls and cached computations."""

from __future__ import annotations

import streamlit as st

from explorer import gradlab
from explorer.gradlab.data import DATA_KINDS, IMAGE_SIZES
from explorer.spec import SpecError
from explorer.ui.common import device, show_error
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


@st.cache_data(max_entries=32, show_spinner="Measuring gradients at initialisation…")
def cached_initial_profiles(config: gradlab.GradLabConfig) -> dict[str, gradlab.GradientProfile]:
    """``gradlab.initial_profiles``, cached across reruns and sessions."""
    return gradlab.initial_profiles(config, device())


@st.cache_data(max_entries=8, show_spinner="Training plain-20, plain-56, ResNet-20 and ResNet-56…")
def cached_degradation(steps: int) -> dict[str, gradlab.Curve]:
    """``gradlab.degradation_demo``, cached: a class sees the second run at once."""
    return gradlab.degradation_demo(steps, device=device())
