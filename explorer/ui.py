"""The Streamlit pieces every page shares: page set-up and the model picker in the sidebar.

This is the only module of ``explorer`` that imports Streamlit; pages call it, and it calls
the plain functions of the rest of the package.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st
import torch
from PIL import Image

from explorer import dataset, gradflow, training, weights
from explorer.dataset import Sample, ShapesConfig
from explorer.device import describe_device, pick_device
from explorer.explain import Explanation, explain
from explorer.images import SAMPLES, load_image, load_sample
from explorer.lab import LoadedModel, load_model
from explorer.lab_data import DATA_KINDS, IMAGE_SIZES
from explorer.scoring import BlockScore, score_model
from explorer.spec import (
    CIFAR_DEPTHS,
    CIFAR_MAX_DEPTH,
    DEFAULT_INPUT_SIZE,
    IMAGENET_MODELS,
    INPUT_SIZE_LIMITS,
    ModelSpec,
    SpecError,
)
from explorer.stages import StageTable, stage_table
from models.init import INIT_SCHEMES

# Choices live under keys of our own so they survive page switches (widget keys are per page).
_DEFAULTS: dict[str, Any] = {
    "family": "imagenet",
    "imagenet_model": "resnet50",
    "cifar_depth": 20,
    "skip": True,
    "shortcut": "default",
    "paper_stride": False,
    "preact": False,
    "imagenet_size": DEFAULT_INPUT_SIZE["imagenet"],
    "cifar_size": DEFAULT_INPUT_SIZE["cifar"],
}
_FAMILY_LABELS = {"imagenet": "ImageNet (Table 1)", "cifar": "CIFAR-10 (6n+2)"}
_SHORTCUT_LABELS = {
    "default": "family default",
    "A": "A: zero-padding",
    "B": "B: projection when shape changes",
    "C": "C: projection everywhere",
}
_CIFAR_DEPTH_CHOICES = tuple(sorted({*range(8, 116, 6), *CIFAR_DEPTHS, CIFAR_MAX_DEPTH}))


def setup_page(title: str, icon: str) -> None:
    """Page config and title; call first on every page. ``icon`` is a ``:material/name:`` code."""
    st.set_page_config(page_title=f"{title} · ResNet Explorer", page_icon=icon, layout="wide")
    st.title(f"{icon} {title}")


def _choice(widget: Callable[..., Any], label: str, name: str, **kwargs: Any) -> Any:
    """Render ``widget`` bound to the persistent choice ``name``."""
    store, key = f"choice.{name}", f"widget.{name}"
    st.session_state.setdefault(store, _DEFAULTS[name])
    st.session_state[key] = st.session_state[store]

    def save() -> None:
        st.session_state[store] = st.session_state[key]

    return widget(label, key=key, on_change=save, **kwargs)


@st.cache_resource
def device() -> torch.device:
    """The device this server runs models on (picked once per server)."""
    return pick_device()


def device_label() -> str:
    """The device models run on, in words."""
    return describe_device(device())


def model_sidebar() -> tuple[ModelSpec, int]:
    """The shared sidebar: pick a model and its options; returns the spec and the input size."""
    with st.sidebar:
        st.header("Model")
        family = _choice(
            st.radio,
            "Family",
            "family",
            options=list(_FAMILY_LABELS),
            format_func=_FAMILY_LABELS.get,
            horizontal=True,
        )
        if family == "imagenet":
            name = _choice(st.selectbox, "Variant", "imagenet_model", options=list(IMAGENET_MODELS))
        else:
            depth = _choice(
                st.select_slider,
                "Depth (6n+2)",
                "cifar_depth",
                options=list(_CIFAR_DEPTH_CHOICES),
                help="The paper's CIFAR-10 nets: 20, 32, 44, 56, 110 (and 1202).",
            )
            name = f"cifar_resnet{depth}"
        skip = _choice(
            st.toggle,
            "Skip connections (residual)",
            "skip",
            help="Off builds the plain counterpart: the same layers with every shortcut removed.",
        )
        with st.expander("Options", expanded=False):
            shortcut = _choice(
                st.radio,
                "Shortcut option",
                "shortcut",
                options=list(_SHORTCUT_LABELS),
                format_func=_SHORTCUT_LABELS.get,
                disabled=not skip,
                help="He et al. 2015, §3.3. Default: B for ImageNet (as torchvision), A for CIFAR.",
            )
            paper_stride = _choice(
                st.toggle,
                "Paper stride placement (v1)",
                "paper_stride",
                help="Bottlenecks only: stride 2 on the first 1×1 conv as in the paper, "
                "instead of on the 3×3 conv as torchvision (v1.5).",
                disabled=name not in IMAGENET_MODELS or name in ("resnet18", "resnet34"),
            )
            preact = _choice(st.toggle, "Pre-activation blocks (He et al. 2016)", "preact")
            low, high = INPUT_SIZE_LIMITS[family]
            size = _choice(
                st.number_input,
                "Input size (pixels)",
                f"{family}_size",
                min_value=low,
                max_value=high,
                step=16,
            )
        spec = ModelSpec(
            name,
            skip=skip,
            shortcut=None if shortcut == "default" else shortcut,
            stride_in_1x1=paper_stride,
            preact=preact,
        )
        st.caption(f"**{spec.label}** · input {size}×{size}")
        st.caption(f"Device: {device_label()}")
    return spec, int(size)


@st.cache_data(max_entries=64, show_spinner="Computing the stage table…")
def cached_stage_table(spec: ModelSpec, input_size: int) -> StageTable:
    """``stage_table`` cached across reruns and sessions."""
    return stage_table(spec, input_size)


# The image lab ----------------------------------------------------------------------------

LAB_MAX_INPUT = 512
STRIP_COLUMNS = 6
IMAGE_TYPES = ["jpg", "jpeg", "png", "webp", "bmp", "gif", "tif", "tiff"]
CHECKPOINT_TYPES = ["pth", "pt", "safetensors"]
SHAPES_TEST_SEED = training.test_config_for(ShapesConfig()).seed


@dataclass(frozen=True)
class PickedImage:
    """An image chosen in the page: uploaded or camera bytes, a Shapes sample, or a bundled photo's name."""

    name: str
    data: bytes | None = None
    shapes: Sample | None = None


def image_input(source: str, size: int) -> PickedImage | None:
    """The image widgets for ``source`` (Sample, Shapes, Upload or Camera); None until something is chosen."""
    if source == "Shapes":
        index = st.number_input(
            "Shapes test image number",
            min_value=0,
            max_value=99_999,
            value=0,
            step=1,
            key="lab.shapes_index",
            help="Images from the held-out test set of the shipped models: each has a known class, box and mask.",
        )
        config = ShapesConfig(seed=SHAPES_TEST_SEED, size=min(max(size, dataset.MIN_SIZE), dataset.MAX_SIZE))
        return PickedImage(f"shapes-{index}-{config.size}", shapes=dataset.sample(config, int(index)))
    if source == "Upload":
        upload = st.file_uploader("Image file", type=IMAGE_TYPES, key="lab.upload")
        return None if upload is None else PickedImage(upload.name, upload.getvalue())
    if source == "Camera":
        shot = st.camera_input("Take a photo", key="lab.camera")
        return None if shot is None else PickedImage("camera.jpg", shot.getvalue())
    sample = st.selectbox("Sample photo", list(SAMPLES), key="lab.sample", help="See explorer/samples/CREDITS.md")
    return PickedImage(sample)


@st.cache_data(max_entries=16, show_spinner=False)
def _decode_bytes(data: bytes, name: str) -> Image.Image:
    return load_image(data, name)


def decode(picked: PickedImage) -> tuple[Image.Image, str]:
    """The RGB image and a short id for it; raises ImageError with a one-line message."""
    if picked.shapes is not None:
        return Image.fromarray(picked.shapes.image), picked.name
    if picked.data is None:
        return load_sample(picked.name), f"sample-{picked.name}"
    return _decode_bytes(picked.data, picked.name), hashlib.sha256(picked.data).hexdigest()[:16]


@st.cache_resource(max_entries=6, show_spinner="Loading the model…")
def _cached_model(spec: ModelSpec, kind: str, digest: str, _checkpoint: bytes | None, filename: str) -> LoadedModel:
    return load_model(spec, kind, device(), _checkpoint, filename)


def _imagenet_panel(spec: ModelSpec) -> LoadedModel:
    member = weights.imagenet_weights(spec)
    if member is None:
        st.warning(f"{weights.imagenet_unavailable_reason(spec)} Showing the untrained model instead.")
    elif not weights.is_cached(spec):
        path = weights.cache_path(member)
        st.warning(
            f"ImageNet weights for {spec.label} are not in the local cache (`{path}`): this page shows the "
            "untrained model until they are. Online, download them here; offline, copy the file to that path."
        )
        megabytes = member.meta.get("_file_size", 0)
        if st.button(f"Download ImageNet weights ({megabytes:.0f} MB)", key="lab.download"):
            bar = st.progress(0.0, text="Downloading…")

            def report(done: int, total: int | None) -> None:
                fraction = min(done / total, 1.0) if total else 0.0
                bar.progress(fraction, text=f"Downloading… {done / 2**20:.0f} MB")

            try:
                weights.download_imagenet(spec, report)
            except weights.WeightsError as error:
                st.error(str(error))
            else:
                st.rerun()
    else:
        return _cached_model(spec, "imagenet", "", None, "")
    return _cached_model(spec, "random", "", None, "")


def weights_panel(spec: ModelSpec, kind: str) -> LoadedModel | None:
    """Widgets for the chosen weights and the loaded model; None (after saying why) when there is none."""
    if kind == "imagenet":
        return _imagenet_panel(spec)
    if kind == "random":
        return _cached_model(spec, "random", "", None, "")
    if kind == "shapes":
        if training.shipped_for(spec) is None:
            st.warning(training.no_shipped_message(spec))
            if st.button("Use the Shapes-trained ResNet-20", key="lab.use_shapes"):
                st.session_state.update({"choice.family": "cifar", "choice.cifar_depth": 20, "choice.preact": False})
                st.session_state.update({"choice.shortcut": "default", "choice.cifar_size": 32})
                st.rerun()
            return None
        return _cached_model(spec, "shapes", "", None, "")
    upload = st.file_uploader("Checkpoint (a state dict)", type=CHECKPOINT_TYPES, key="lab.checkpoint")
    if upload is None:
        st.info(
            f"Upload a state dict for {spec.label} (.pth, .pt or .safetensors). It is loaded with "
            "weights_only=True: tensors only, never arbitrary Python objects."
        )
        return None
    data = upload.getvalue()
    try:
        return _cached_model(spec, "checkpoint", hashlib.sha256(data).hexdigest(), data, upload.name)
    except weights.WeightsError as error:
        st.error(str(error))
        return None


def explanation(
    loaded: LoadedModel, x: torch.Tensor, seen: Image.Image, image_id: str, target: int | None
) -> tuple[Explanation, float]:
    """The explanation of the image (traced once per model, image and target in this session) and its time."""
    key = (id(loaded.model), image_id, tuple(x.shape), target)
    memo = st.session_state.get("lab.memo")
    if memo is None or memo[0] != key:
        start = time.perf_counter()
        result = explain(loaded.model, x.to(device()), seen, loaded.class_names, target)
        memo = (key, result, time.perf_counter() - start)
        st.session_state["lab.memo"] = memo
    return memo[1], memo[2]


# The Shapes dataset page ------------------------------------------------------------------


@st.cache_data(max_entries=8, show_spinner="Scoring every block on the test images…")
def cached_scores(count: int) -> dict[str, list[BlockScore]]:
    """Pointing-game and energy scores of every shipped model on ``count`` of its test images."""
    return {
        m.spec.label: score_model(training.load_shipped(m, device()), m.test_config, count)
        for m in training.shipped_models().values()
    }


# The gradient lab -------------------------------------------------------------------------

LIVE_UPDATE_S = 0.2  # at most five redraws a second while training
_GRAD_DEPTHS = tuple(range(gradflow.MIN_DEPTH, gradflow.MAX_DEPTH + 1, 6))
_GRAD_DEFAULTS = gradflow.GradflowConfig()
_GRAD_FIELDS = (
    "depth", "batch_norm", "preact", "activation", "init", "optimiser", "lr", "batch_size", "steps", "data",
    "image_size", "seed",
)  # fmt: skip


def apply_gradflow_preset() -> None:
    """Callback of the preset picker: copy the preset's settings into the controls."""
    name = st.session_state.get("grad.preset")
    if name:
        for field, value in gradflow.PRESETS[name].items():
            st.session_state[f"grad.{field}"] = value


def gradflow_controls() -> gradflow.GradflowConfig | None:
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
    top[2].radio("Activation", ["relu", "tanh", "sigmoid"], horizontal=True, key="grad.activation")
    top[3].radio(
        "Initialisation", list(INIT_SCHEMES), horizontal=True, key="grad.init",
        help="he: Kaiming normal; xavier: Glorot normal; default: PyTorch's own (Kaiming uniform, a=√5).",
    )  # fmt: skip
    bottom = st.columns(7)
    bottom[0].radio("Optimiser", list(gradflow.OPTIMISERS), horizontal=True, key="grad.optimiser")
    bottom[1].number_input("Learning rate", 1e-5, gradflow.MAX_LR, format="%.4f", key="grad.lr")
    bottom[2].select_slider("Batch size", [8, 16, 32, 64, 128, 256], key="grad.batch_size")
    bottom[3].number_input("Steps", 1, gradflow.MAX_STEPS, key="grad.steps")
    bottom[4].radio("Data", list(DATA_KINDS), horizontal=True, key="grad.data")
    bottom[5].select_slider(
        "Image side", list(IMAGE_SIZES), key="grad.image_size", help="Digits are 8×8; larger sides repeat pixels."
    )
    bottom[6].number_input("Seed", 0, 10_000, key="grad.seed")
    try:
        return gradflow.GradflowConfig(**{field: st.session_state[f"grad.{field}"] for field in _GRAD_FIELDS})
    except SpecError as error:
        st.error(str(error))
        return None


@st.cache_data(max_entries=32, show_spinner="Measuring gradients at initialisation…")
def cached_initial_profiles(config: gradflow.GradflowConfig) -> dict[str, gradflow.GradientProfile]:
    """``gradflow.initial_profiles``, cached across reruns and sessions."""
    return gradflow.initial_profiles(config)


@st.cache_data(max_entries=8, show_spinner="Training plain-20, plain-56, ResNet-20 and ResNet-56…")
def cached_degradation(steps: int) -> dict[str, gradflow.Curve]:
    """``gradflow.degradation_demo``, cached: a class sees the second run at once."""
    return gradflow.degradation_demo(steps)
