"""The image lab's widgets and caches: image sources, the weights panel, and the stored explanation."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

import streamlit as st
import torch
from PIL import Image

from explorer.imagelab.explain import Explanation, explain
from explorer.images import FORMAT_NAMES, MAX_FILE_BYTES, SAMPLES, load_image, load_sample
from explorer.shapes import dataset, training
from explorer.shapes.dataset import Sample, ShapesConfig
from explorer.spec import ModelSpec
from explorer.ui.common import device, plain, show_error
from explorer.weights import (
    SOURCES,
    CheckpointWeights,
    LoadedModel,
    RandomWeights,
    WeightsError,
    WeightSource,
    imagenet,
    load_model,
)
from explorer.weights.checkpoint import MAX_CHECKPOINT_BYTES

LAB_MAX_INPUT = 512
STRIP_COLUMNS = 6
IMAGE_TYPES = ["jpg", "jpeg", "png", "webp", "bmp", "gif", "tif", "tiff"]
CHECKPOINT_TYPES = ["pth", "pt", "safetensors"]
IMAGE_SOURCES: tuple[str, ...] = ("Sample", "Shapes", "Upload", "Camera")
SHAPES_TEST_SEED = training.test_config_for(ShapesConfig()).seed


@dataclass(frozen=True)
class PickedImage:
    """An image chosen in the page: uploaded or camera bytes, a Shapes sample, or a bundled photo's name."""

    name: str
    data: bytes | None = None
    shapes: Sample | None = None


def image_input(source: str, size: int) -> PickedImage | None:
    """The image widgets for ``source`` (one of :data:`IMAGE_SOURCES`); None until something is chosen."""
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
        upload = st.file_uploader(
            f"Image file ({FORMAT_NAMES}; up to {MAX_FILE_BYTES // 2**20} MB)",
            type=IMAGE_TYPES,
            key="lab.upload",
            max_upload_size=MAX_FILE_BYTES // 2**20,
        )
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
def _cached_model(spec: ModelSpec, key: str, _source: WeightSource) -> LoadedModel:
    return load_model(spec, _source, device())


def _load(spec: ModelSpec, source: WeightSource) -> LoadedModel:
    """The model with these weights, shared by every session (cached by spec and what the weights are)."""
    return _cached_model(spec, source.key, source)


def _imagenet_fallback(spec: ModelSpec) -> LoadedModel:
    """Say why the ImageNet weights are not here (offering the download where it helps); the untrained model."""
    member = imagenet.imagenet_weights(spec)
    if member is None:
        st.warning(f"{imagenet.imagenet_unavailable_reason(spec)} Showing the untrained model instead.")
        return _load(spec, RandomWeights())
    path = imagenet.cache_path(member)
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
            imagenet.download_imagenet(spec, report)
        except WeightsError as error:
            show_error(error)
        else:
            st.rerun()
    return _load(spec, RandomWeights())


def _checkpoint_source(spec: ModelSpec) -> CheckpointWeights | None:
    upload = st.file_uploader(
        f"Checkpoint: a state dict (.pth, .pt or .safetensors; up to {MAX_CHECKPOINT_BYTES // 2**20} MB)",
        type=CHECKPOINT_TYPES,
        key="lab.checkpoint",
        max_upload_size=MAX_CHECKPOINT_BYTES // 2**20,
    )
    if upload is None:
        st.info(
            f"Upload a state dict for {spec.label} (.pth, .pt or .safetensors). It is loaded with "
            "weights_only=True: tensors only, never arbitrary Python objects."
        )
        return None
    return CheckpointWeights(upload.getvalue(), upload.name)


def _offer_shapes_model() -> None:
    if st.button("Use the Shapes-trained ResNet-20", key="lab.use_shapes"):
        st.session_state.update({"choice.family": "cifar", "choice.cifar_depth": 20, "choice.preact": False})
        st.session_state.update({"choice.shortcut": "default", "choice.cifar_size": 32})
        st.rerun()


def weights_panel(spec: ModelSpec, kind: str) -> LoadedModel | None:
    """Widgets for the chosen weights and the loaded model; None (after saying why) when there is none."""
    if kind == "imagenet" and not imagenet.is_cached(spec):
        return _imagenet_fallback(spec)
    source = _checkpoint_source(spec) if kind == "checkpoint" else SOURCES[kind]
    if source is None:
        return None
    try:
        return _load(spec, source)
    except WeightsError as error:
        if kind == "shapes":
            st.warning(plain(str(error)))
            _offer_shapes_model()
        else:
            show_error(error)
        return None


def explanation(
    loaded: LoadedModel, x: torch.Tensor, seen: Image.Image, image_id: str, target: int | None
) -> tuple[Explanation, float]:
    """The explanation of the image and its time, traced once per model, weights, image, size and target.

    The key is what determines the result (never the model object's identity, which a new model can reuse
    after the cache evicts the old one).
    """
    key = (loaded.spec, loaded.weights_id, image_id, tuple(x.shape), target)
    memo = st.session_state.get("lab.memo")
    if memo is None or memo[0] != key:
        start = time.perf_counter()
        result = explain(loaded.model, x.to(device()), seen, loaded.class_names, target)
        memo = (key, result, time.perf_counter() - start)
        st.session_state["lab.memo"] = memo
    return memo[1], memo[2]
