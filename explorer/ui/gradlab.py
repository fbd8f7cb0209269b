"""The gradient lab's controls and computations: settings kept in the page address, progress and stop for
everything long, results shared by every session and recordings kept on disk."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace

import streamlit as st

from explorer import gradlab, recordings
from explorer.gradlab.data import DATA_KINDS, IMAGE_SIZES
from explorer.language import N_, _
from explorer.ui.common import choice, projector, remembered
from explorer.ui.server import device, keep, kept, recorded_device, shared, with_progress
from models import ACTIVATIONS, INIT_SCHEMES

LIVE_UPDATE_S = 0.2  # at most five redraws a second while training
DEPTHS = tuple(range(gradlab.MIN_DEPTH, gradlab.MAX_DEPTH + 1, 6))
BATCH_SIZES = (8, 16, 32, 64, 128, 256)
DEFAULTS = replace(gradlab.GradLabConfig(), **gradlab.PRESETS[gradlab.FIRST_PRESET])  # type: ignore[arg-type]
# How the options of some settings are shown (the address keeps the values): names, or English texts said per reader.
OPTION_NAMES = {"he": "He", "xavier": "Xavier", "default": "PyTorch", "sgd": "SGD", "adam": "Adam",
                "digits": N_("digits"), "shapes": N_("Shapes"), "random": N_("random noise")}  # fmt: skip


def _said(value: str) -> str:
    return _(OPTION_NAMES[value])


# Every setting's widget: its kind, label and options or bounds (the address is checked against the same).
CONTROLS: dict[str, tuple[str, str, dict]] = {
    "depth": ("select_slider", N_("Depth (6n+2)"), {"options": DEPTHS}),
    "batch_norm": ("toggle", N_("Batch norm"), {}),
    "preact": ("toggle", N_("Pre-activation"), {"help": N_(
        "Activation before each conv, nothing after the addition: a clean identity path (He et al. 2016).")}),
    "activation": ("radio", N_("Activation"), {"options": list(ACTIVATIONS), "horizontal": True}),
    "init": ("radio", N_("Initialisation"), {"options": list(INIT_SCHEMES), "horizontal": True, "format_func": _said,
             "help": N_("He: Kaiming normal; Xavier: Glorot normal; PyTorch: its own (Kaiming uniform, a=√5).")}),
    "optimiser": ("radio", N_("Optimiser"), {"options": list(gradlab.OPTIMISERS), "horizontal": True,
                  "format_func": _said}),
    "lr": ("number_input", N_("Learning rate"), {"min_value": 1e-5, "max_value": gradlab.MAX_LR, "format": "%.4f"}),
    "batch_size": ("select_slider", N_("Batch size"), {"options": BATCH_SIZES}),
    "steps": ("number_input", N_("Steps"), {"min_value": 1, "max_value": gradlab.MAX_STEPS}),
    "data": ("radio", N_("Data"), {"options": list(DATA_KINDS), "horizontal": True, "format_func": _said}),
    "image_size": ("select_slider", N_("Image side"), {"options": list(IMAGE_SIZES),
                   "help": N_("Digits are 8×8; larger sides repeat pixels.")}),
    "seed": ("number_input", N_("Seed"), {"min_value": 0, "max_value": 10_000}),
}  # fmt: skip
TRAINING_FIELDS = ("optimiser", "lr", "batch_size", "steps", "data", "image_size", "seed")
PRESET = "g.preset"


def _control(place: object, field: str) -> object:
    """The widget of one setting in ``place`` (a column), kept in the address as ``g.<field>``; changing it by hand
    leaves the preset (the settings are no longer the preset's)."""
    kind, label, options = CONTROLS[field]
    said = {**options, "help": _(options["help"])} if "help" in options else options
    return choice(getattr(place, kind), _(label), f"g.{field}", getattr(DEFAULTS, field), on_change=_leave_preset,
                  **said)  # fmt: skip


def _leave_preset() -> None:
    st.session_state[f"choice.{PRESET}"] = None


def _apply_preset() -> None:
    """Callback of the preset picker: copy the preset's settings into the controls."""
    if name := st.session_state.get(f"choice.{PRESET}"):
        for field, value in gradlab.PRESETS[name].items():
            st.session_state[f"choice.g.{field}"] = value


def _settings() -> dict[str, object]:
    """Every setting as remembered (this session's, else the address's, else the first preset's)."""
    return {f: remembered(f"g.{f}", getattr(DEFAULTS, f), **CONTROLS[f][2]) for f in CONTROLS}


def controls() -> gradlab.GradLabConfig:
    """The gradient lab's settings, every one kept in the page address; a UserError if they make no valid setting.

    The page opens on the first preset (the vanishing one); a preset is shown only while the settings are its own.
    """
    values = _settings()
    if f"choice.{PRESET}" not in st.session_state:  # first run: the address's preset, if the settings are still its
        named = remembered(PRESET, gradlab.FIRST_PRESET, options=list(gradlab.PRESETS))
        own = named is not None and all(values[f] == v for f, v in gradlab.PRESETS[named].items())
        st.session_state[f"choice.{PRESET}"] = named if own else None
    choice(
        st.selectbox, _("Classroom preset"), PRESET, gradlab.FIRST_PRESET, options=list(gradlab.PRESETS),
        format_func=_, placeholder=_("choose a preset, or set the controls"), on_change=_apply_preset,
    )  # fmt: skip
    top = st.columns(4)
    _control(top[0], "depth")
    _control(top[1], "batch_norm")
    _control(top[1], "preact")
    _control(top[2], "activation")
    _control(top[3], "init")
    if not projector():  # fewer controls on a projector: the training settings are hidden, and keep their values
        with st.expander(_("Training settings"), key="grad.training_settings"):
            for place, field in zip(st.columns([2, 2, 3, 2, 3, 3, 2]), TRAINING_FIELDS, strict=True):
                _control(place, field)
    return gradlab.GradLabConfig(**_settings())


def initial_profiles(config: gradlab.GradLabConfig) -> dict[str, gradlab.GradientProfile]:
    """Both nets' profiles at initialisation, computed once per setting for every session (one job per net)."""

    def compute() -> dict[str, gradlab.GradientProfile]:
        def each() -> Iterator[tuple[str, gradlab.GradientProfile]]:
            for net in gradlab.NETS:
                yield net, gradlab.initial_profile(config, net, device())

        return dict(with_progress(each(), len(gradlab.NETS), N_("Measuring both nets"), "grad.profiles_stop"))

    return shared(("gradlab.profiles", config), compute)


def first_to_last(profiles: dict[str, gradlab.GradientProfile], quantity: str) -> None:
    """Under a per-layer figure: each net's first ÷ last ratio of ``quantity``, with what it means."""
    for column, (net, profile) in zip(st.columns(len(profiles)), profiles.items(), strict=True):
        ratio = gradlab.first_to_last_ratio(profile, quantity)
        meaning = _("first layer ÷ last layer: it {trend}").format(trend=_(gradlab.trend(ratio)))
        column.metric(_("{net}, first ÷ last").format(net=_(net)), f"{ratio:.2g}", help=meaning)


def early_steps(config: gradlab.GradLabConfig) -> dict[int, dict[str, gradlab.GradientProfile]] | None:
    """The profiles after the first training steps: kept for every session once computed; computed on request."""
    last = max(gradlab.EARLY_STEPS)

    def compute() -> dict[int, dict[str, gradlab.GradientProfile]]:
        measured: dict[int, dict[str, gradlab.GradientProfile]] = {}
        for _step, so_far in with_progress(gradlab.early_profiles(config, device=device()), last + 1, N_("Training"),
                                           "grad.early_stop"):  # fmt: skip
            measured = so_far
        return measured

    label = _("Train both nets {steps} steps and measure again").format(steps=last)
    return shared(("gradlab.early", config), compute, lambda: st.button(label, key="grad.early"))


def degradation(steps: int, asked: Callable[[], bool]) -> recordings.Recording | None:
    """The degradation demo: its recording on disk when one was made with these settings; else, once ``asked()``
    (the page's button), trained now for every session (one step per queue job, with progress and a stop button)
    and recorded."""
    settings = {"steps": steps, "seed": 0, "depths": list(gradlab.DEMO_DEPTHS)}
    if (found := recordings.load("degradation", settings, gradlab.CURVES_SHAPE)) is not None:
        return found

    def compute() -> recordings.Recording:
        run = gradlab.DegradationRun(steps, device=device())
        for _step in with_progress(iter(run.step, False), run.total, N_("Training the four nets"), "grad.demo_stop"):
            pass
        return recordings.save("degradation", settings, gradlab.curves_to_results(run.curves()), recorded_device())

    return shared(("gradlab.degradation", steps), compute, asked)


@dataclass
class LiveRun:
    """A live run of both nets as this session shows it: its settings, the records so far, whether it was stopped,
    and the recording it replays (None for a run trained here)."""

    config: gradlab.GradLabConfig
    records: list[gradlab.StepRecord] = field(default_factory=list)
    stopped: bool = True
    recording: recordings.Recording | None = None


def train_live(run: LiveRun) -> Iterator[int]:
    """Train both nets of ``run`` now, one queue job per step, with progress and a stop button; yields the step after
    every step that should be drawn (at most every :data:`LIVE_UPDATE_S`, and the last). The run is kept for this
    session as it grows (so a stop leaves what was trained, within the session's budget) and recorded on disk when
    it finishes."""
    keep("grad.run", run)
    shown = 0.0
    steps = gradlab.train(run.config, device=device())
    for records in with_progress(steps, run.config.steps, N_("Training"), "grad.stop"):
        run.records.extend(records)
        step = records[0].step
        if (now := time.perf_counter()) - shown >= LIVE_UPDATE_S or step == run.config.steps:
            shown = now
            keep("grad.run", run)  # measured again as it grows
            yield step
    run.stopped = False
    keep("grad.run", run)
    recordings.save("live-run", asdict(run.config), gradlab.records_to_results(run.records), recorded_device())


def replayed(recording: recordings.Recording, config: gradlab.GradLabConfig) -> LiveRun:
    """A recorded live run, to replay (kept for this session)."""
    run = LiveRun(config, gradlab.records_from_results(recording.results), False, recording)
    keep("grad.run", run)
    return run


def last_run() -> LiveRun | None:
    """The live run this session showed last, if it is still kept."""
    found = kept("grad.run")
    return found if isinstance(found, LiveRun) else None


def recorded_run(config: gradlab.GradLabConfig) -> recordings.Recording | None:
    """The recording of a live run with exactly these settings, if one was made."""
    return recordings.load("live-run", asdict(config), gradlab.RECORDS_SHAPE)
