"""The gradient lab's controls and computations: settings kept in the page address, progress and stop for
everything long, results shared by every session and recordings kept on disk."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, replace

import streamlit as st

from explorer import gradlab, recordings
from explorer.gradlab.data import DATA_KINDS, IMAGE_SIZES
from explorer.spec import SpecError
from explorer.ui.common import from_address, projector, show_error, to_address
from explorer.ui.server import device, device_label, results, with_progress
from models import ACTIVATIONS, INIT_SCHEMES

LIVE_UPDATE_S = 0.2  # at most five redraws a second while training
DEPTHS = tuple(range(gradlab.MIN_DEPTH, gradlab.MAX_DEPTH + 1, 6))
BATCH_SIZES = (8, 16, 32, 64, 128, 256)
DEFAULTS = replace(gradlab.GradLabConfig(), **gradlab.PRESETS[gradlab.FIRST_PRESET])  # type: ignore[arg-type]
FIELDS = (
    "depth", "batch_norm", "preact", "activation", "init", "optimiser", "lr", "batch_size", "steps", "data",
    "image_size", "seed",
)  # fmt: skip
TRAINING_FIELDS = ("optimiser", "lr", "batch_size", "steps", "data", "image_size", "seed")
SIDE_HELP = "Digits are 8×8; larger sides repeat pixels."


def apply_preset() -> None:
    """Callback of the preset picker: copy the preset's settings into the controls."""
    name = st.session_state.get("grad.preset")
    if name:
        for field, value in gradlab.PRESETS[name].items():
            st.session_state[f"grad.{field}"] = value


def _start_from_address() -> None:
    """On a session's first run: the settings in the page address, else the first preset (the vanishing one)."""
    if "grad.depth" in st.session_state:
        return
    try:
        chosen = gradlab.GradLabConfig(**{f: from_address(f"g.{f}", getattr(DEFAULTS, f)) for f in FIELDS})
    except SpecError:
        chosen = DEFAULTS
    for field in FIELDS:
        st.session_state[f"grad.{field}"] = getattr(chosen, field)
    preset = from_address("g.preset", gradlab.FIRST_PRESET, gradlab.PRESETS)
    matches = all(getattr(chosen, f) == v for f, v in gradlab.PRESETS[preset].items())
    st.session_state["grad.preset"] = preset if matches else None


def controls() -> gradlab.GradLabConfig | None:
    """The gradient lab's settings; None (after an error message) if they do not make a valid setting."""
    _start_from_address()
    st.selectbox(
        "Classroom preset", list(gradlab.PRESETS), placeholder="choose a preset, or set the controls",
        key="grad.preset", on_change=apply_preset,
    )  # fmt: skip
    top = st.columns(4)
    top[0].select_slider("Depth (6n+2)", DEPTHS, key="grad.depth")
    top[1].toggle("Batch norm", key="grad.batch_norm")
    top[1].toggle(
        "Pre-activation", key="grad.preact",
        help="Activation before each conv, nothing after the addition: a clean identity path (He et al. 2016).",
    )  # fmt: skip
    top[2].radio("Activation", list(ACTIVATIONS), horizontal=True, key="grad.activation")
    top[3].radio(
        "Initialisation", list(INIT_SCHEMES), horizontal=True, key="grad.init",
        help="he: Kaiming normal; xavier: Glorot normal; default: PyTorch's own (Kaiming uniform, a=√5).",
    )  # fmt: skip
    if projector():  # fewer controls: the training settings are hidden, and keep their values
        for field in TRAINING_FIELDS:
            st.session_state[f"grad.{field}"] = st.session_state[f"grad.{field}"]
    else:
        with st.expander("Training settings", key="grad.training_settings"):
            row = st.columns([2, 2, 3, 2, 3, 3, 2])
            row[0].radio("Optimiser", list(gradlab.OPTIMISERS), horizontal=True, key="grad.optimiser")
            row[1].number_input("Learning rate", 1e-5, gradlab.MAX_LR, format="%.4f", key="grad.lr")
            row[2].select_slider("Batch size", BATCH_SIZES, key="grad.batch_size")
            row[3].number_input("Steps", 1, gradlab.MAX_STEPS, key="grad.steps")
            row[4].radio("Data", list(DATA_KINDS), horizontal=True, key="grad.data")
            row[5].select_slider("Image side", list(IMAGE_SIZES), key="grad.image_size", help=SIDE_HELP)
            row[6].number_input("Seed", 0, 10_000, key="grad.seed")
    try:
        config = gradlab.GradLabConfig(**{field: st.session_state[f"grad.{field}"] for field in FIELDS})
    except SpecError as error:
        show_error(error)
        return None
    for field in FIELDS:
        to_address(f"g.{field}", getattr(config, field), getattr(DEFAULTS, field))
    to_address("g.preset", st.session_state.get("grad.preset") or "", gradlab.FIRST_PRESET)
    return config


def initial_profiles(config: gradlab.GradLabConfig) -> dict[str, gradlab.GradientProfile]:
    """Both nets' profiles at initialisation, computed once per setting for every session (one job per net)."""
    key = ("shared", ("gradlab.profiles", config))
    if (done := results().get(key)) is not None:
        return done

    def each() -> Iterator[tuple[str, gradlab.GradientProfile]]:
        for net in gradlab.NETS:
            yield net, gradlab.initial_profile(config, net, device())

    profiles = dict(with_progress(each(), len(gradlab.NETS), "Measuring both nets", "grad.profiles_stop"))
    results().put(key, profiles)
    return profiles


def first_to_last(profiles: dict[str, gradlab.GradientProfile], quantity: str) -> None:
    """Under a per-layer figure: each net's first ÷ last ratio of ``quantity``, with what it means."""
    for column, (net, profile) in zip(st.columns(len(profiles)), profiles.items(), strict=True):
        ratio = gradlab.first_to_last_ratio(profile, quantity)
        meaning = f"first layer ÷ last layer: it {gradlab.trend(ratio)}"
        column.metric(f"{net}, first ÷ last", f"{ratio:.2g}", help=meaning)


def early_steps(config: gradlab.GradLabConfig) -> dict[int, dict[str, gradlab.GradientProfile]] | None:
    """The profiles after the first training steps: kept for every session once computed; computed on request."""
    key = ("shared", ("gradlab.early", config))
    if (done := results().get(key)) is not None:
        return done
    last = max(gradlab.EARLY_STEPS)
    if not st.button(f"Train both nets {last} steps and measure again", key="grad.early"):
        return None
    steps = gradlab.early_profiles(config, device=device())
    measured: dict[int, dict[str, gradlab.GradientProfile]] = {}
    for _, so_far in with_progress(steps, last + 1, "Training", "grad.early_stop"):
        measured = so_far
    results().put(key, measured)
    return measured


def degradation(steps: int, start: bool) -> recordings.Recording | None:
    """The degradation demo: its recording on disk when one was made with these settings; else, when
    ``start``, trained now (one step per queue job, with progress and a stop button) and recorded."""
    settings = {"steps": steps, "seed": 0, "depths": list(gradlab.DEMO_DEPTHS)}
    if (found := recordings.load("degradation", settings)) is not None or not start:
        return found
    run = gradlab.DegradationRun(steps, device=device())
    for _ in with_progress(iter(run.step, False), run.total, "Training the four nets", "grad.demo_stop"):
        pass
    return recordings.save("degradation", settings, gradlab.curves_to_results(run.curves()), device_label())


def live_settings(config: gradlab.GradLabConfig) -> dict:
    """What a live run's recording is kept under."""
    return asdict(config)


def save_live_run(config: gradlab.GradLabConfig, records: list[gradlab.StepRecord]) -> None:
    """Keep a finished live run on disk, to be replayed."""
    recordings.save("live-run", live_settings(config), gradlab.records_to_results(records), device_label())
