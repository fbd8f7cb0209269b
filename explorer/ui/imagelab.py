"""The image lab's widgets and caches: image sources, the weights panel, and the stored explanation."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import streamlit as st
import torch
from PIL import Image

from explorer.imagelab.explain import Explanation, explain_batch
from explorer.images import FORMAT_NAMES, MAX_FILE_BYTES, SAMPLES, load_image, load_sample, prepare, sample_title
from explorer.language import N_, _, class_name
from explorer.render import colourise, jpeg_bytes
from explorer.shapes import dataset, shipped, training
from explorer.shapes.dataset import Sample, ShapesConfig
from explorer.spec import ModelSpec
from explorer.ui.common import choice, plain
from explorer.ui.server import device, jobs, keep, kept, kept_while, shared_model, wait
from explorer.weights import SOURCES, CheckpointWeights, LoadedModel, RandomWeights, imagenet
from explorer.weights.checkpoint import MAX_CHECKPOINT_BYTES

LAB_MAX_INPUT = 512
STRIP_COLUMNS = 6
IMAGE_TYPES = ["jpg", "jpeg", "png", "webp", "bmp", "gif", "tif", "tiff"]
CHECKPOINT_TYPES = ["pth", "pt", "safetensors"]
IMAGE_SOURCES: tuple[str, ...] = (N_("Sample"), N_("Shapes"), N_("Upload"), N_("Camera"))  # English in the address
SHAPES_TEST_SEED = training.test_config_for(ShapesConfig()).seed


@dataclass(frozen=True)
class PickedImage:
    """An image chosen in the page: how to read its bytes (uploads, camera), a Shapes sample, or a bundled photo.

    ``key`` names the content (an upload by its file id), so it is decoded once, not on every rerun.
    """

    name: str
    key: str
    read: Callable[[], bytes] | None = None
    shapes: Sample | None = None

    @property
    def title(self) -> str:
        """What the page calls it: a file's own name, or a bundled photo's in the reader's language."""
        return sample_title(self.name) if self.read is None and self.shapes is None else self.name


@dataclass(frozen=True)
class PreparedImage:
    """The network input and the crop the network sees; the full-size image is not kept."""

    key: tuple[str, int]
    x: torch.Tensor
    seen: Image.Image
    shapes: Sample | None


@dataclass
class LabView:
    """What the page shows for one explanation, computed once: the explanation, its time, rendered strips."""

    key: tuple
    result: Explanation
    seconds: float
    strips: dict[bool, list[bytes]] = field(default_factory=dict)

    def strip(self, shared_scale: bool) -> list[bytes]:
        """The Grad-CAM overlays as JPEG bytes, rendered once per colour-scale choice."""
        if shared_scale not in self.strips:
            self.strips[shared_scale] = [jpeg_bytes(o) for o in self.result.overlays(shared_scale).values()]
        return self.strips[shared_scale]


def image_input(source: str, size: int) -> PickedImage | None:
    """The image widgets for ``source`` (one of :data:`IMAGE_SOURCES`); None until something is chosen."""
    if source == "Shapes":
        index = choice(
            st.number_input, _("Shapes test image number"), "shapes_index", 0, min_value=0, max_value=99_999, step=1,
            help=_("Images from the held-out test set of the shipped models: each has a known class, box and mask."),
        )  # fmt: skip
        config = ShapesConfig(seed=SHAPES_TEST_SEED, size=min(max(size, dataset.MIN_SIZE), dataset.MAX_SIZE))
        return PickedImage(
            f"shapes-{index}", f"shapes-{index}-{config.size}", shapes=dataset.sample(config, int(index))
        )
    if source == "Upload":
        upload = st.file_uploader(
            _("Image file ({formats}; up to {size} MB)").format(formats=FORMAT_NAMES, size=MAX_FILE_BYTES // 2**20),
            type=IMAGE_TYPES,
            key="lab.upload",
            max_upload_size=MAX_FILE_BYTES // 2**20,
        )
        return None if upload is None else PickedImage(upload.name, f"upload-{upload.file_id}", upload.getvalue)
    if source == "Camera":
        shot = st.camera_input(_("Take a photo"), key="lab.camera")
        return None if shot is None else PickedImage("camera.jpg", f"camera-{shot.file_id}", shot.getvalue)
    sample = choice(
        st.selectbox, _("Sample photo"), "sample", next(iter(SAMPLES)), options=list(SAMPLES),
        format_func=sample_title, help=_("See explorer/samples/CREDITS.md"),
    )  # fmt: skip
    return PickedImage(sample, f"sample-{sample}")


@st.cache_resource
def colour_legend() -> Image.Image:
    """The Grad-CAM colour scale as a strip: no support (left) to the strongest (right)."""
    return Image.fromarray(colourise(np.tile(np.linspace(0.0, 1.0, 256), (14, 1))))


def prepared(picked: PickedImage, size: int) -> PreparedImage:
    """The picked image decoded and cropped once per image and size (raises ImageError with one line).

    Only the crop is kept for the session; the decoded full-size image is dropped at once.
    """
    key = (picked.key, size)
    found = kept("lab.image")
    if isinstance(found, PreparedImage) and found.key == key:
        return found
    if picked.shapes is not None:
        image = Image.fromarray(picked.shapes.image)
    elif picked.read is None:
        image = load_sample(picked.name)
    else:
        image = load_image(picked.read(), picked.name, target_side=size)
    x, seen = prepare(image, size)
    del image
    ready = PreparedImage(key, x, seen, picked.shapes)
    keep("lab.image", ready)
    return ready


def _random(spec: ModelSpec) -> LoadedModel:
    return shared_model(spec, RandomWeights())


def _imagenet_fallback(spec: ModelSpec) -> LoadedModel:
    """Say why the ImageNet weights are not here (offering the download where it helps); the untrained model."""
    member = imagenet.imagenet_weights(spec)
    if member is None:
        st.warning(
            _("{reason} Showing the untrained model instead.").format(reason=imagenet.imagenet_unavailable_reason(spec))
        )
        return _random(spec)
    path = imagenet.cache_path(member)
    st.warning(
        _(
            "ImageNet weights for {model} are not in the local cache (`{path}`): this page shows the untrained model "
            "until they are. Online, download them here; offline, copy the file to that path (or run `python -m "
            "explorer weights download` on a machine that is online)."
        ).format(model=spec.label, path=path)
    )
    megabytes = member.meta.get("_file_size", 0)
    if st.button(_("Download ImageNet weights ({size} MB)").format(size=f"{megabytes:.0f}"), key="lab.download"):
        bar = st.progress(0.0, text=_("Downloading…"))

        def report(done: int, total: int | None) -> None:
            fraction = min(done / total, 1.0) if total else 0.0
            bar.progress(fraction, text=_("Downloading… {size} MB").format(size=f"{done / 2**20:.0f}"))

        try:
            imagenet.download_imagenet(spec, report)  # offline: a WeightsError, shown by the page in one line
        finally:
            bar.empty()
        st.rerun()
    return _random(spec)


def _checkpoint(spec: ModelSpec) -> LoadedModel | None:
    upload = st.file_uploader(
        _("Checkpoint: a state dict (.pth, .pt or .safetensors; up to {size} MB)").format(
            size=MAX_CHECKPOINT_BYTES // 2**20
        ),
        type=CHECKPOINT_TYPES,
        key="lab.checkpoint",
        max_upload_size=MAX_CHECKPOINT_BYTES // 2**20,
    )
    if upload is None:
        st.info(
            _(
                "Upload a state dict for {model} (.pth, .pt or .safetensors). It is loaded with weights_only=True: "
                "tensors only, never arbitrary Python objects."
            ).format(model=spec.label)
        )
        return None
    digest = kept_while(  # a (possibly large) file hashed once, not on every rerun
        "lab.checkpoint_digest", upload.file_id, lambda: CheckpointWeights(upload.getvalue(), upload.name).digest
    )
    return shared_model(spec, CheckpointWeights(upload.getvalue(), upload.name, digest))


def _offer_shapes_model() -> None:
    if st.button(_("Use the Shapes-trained ResNet-20"), key="lab.use_shapes"):
        shapes_net = {"family": "cifar", "cifar_depth": 20, "preact": False, "skip": True, "shortcut": "default",
                      "cifar_size": 32}  # fmt: skip
        st.session_state.update({f"choice.{name}": value for name, value in shapes_net.items()})
        st.rerun()


def weights_panel(spec: ModelSpec, kind: str) -> LoadedModel | None:
    """Widgets for the chosen weights and the loaded model; None (after saying why) when there is none."""
    if kind == "imagenet" and not imagenet.is_cached(spec):
        return _imagenet_fallback(spec)
    if kind == "checkpoint":
        return _checkpoint(spec)
    if kind == "shapes" and not SOURCES[kind].available(spec):
        st.warning(plain(shipped.no_shipped_message(spec)))
        _offer_shapes_model()
        return None
    return shared_model(spec, SOURCES[kind])


def _explain_together(items: Sequence[tuple[LoadedModel, torch.Tensor, Image.Image, int | None]]) -> list[Explanation]:
    """One batched trace for the requests of several sessions that share a model and an input size."""
    loaded = items[0][0]
    x = torch.cat([item[1] for item in items]).to(device())
    return explain_batch(loaded.model, x, [item[2] for item in items], loaded.class_names, [item[3] for item in items])


def explanation(loaded: LoadedModel, image: PreparedImage, target: int | None) -> LabView:
    """The explanation of the image, traced once per model, weights, image, size and target.

    Requests of sessions that wait in the queue at the same time for the same model and input size are
    traced in one batch. The key is what determines the result (never the model object's identity,
    which a new model can reuse after the cache evicts the old one).
    """
    key = (loaded.spec, loaded.weights_id, image.key, target)
    found = kept("lab.explanation")
    if isinstance(found, LabView) and found.key == key:
        return found
    start = time.perf_counter()
    batch = (loaded.spec, loaded.weights_id, tuple(image.x.shape[1:]))
    ticket = jobs().submit_batched(batch, (loaded, image.x, image.seen, target), _explain_together)
    view = LabView(key, wait(ticket, N_("Explaining the image")), time.perf_counter() - start)
    keep("lab.explanation", view)
    return view


def searchable_class(names: Sequence[str], index: int) -> str:
    """Class ``index`` of ``names`` as the class picker lists it: in the reader's language, its English name beside
    a translated one (either can be typed to search: papers name ImageNet's classes in English), then its index."""
    said = class_name(names[index])
    return f"{said} · {names[index]} ({index})" if said != names[index] else f"{said} ({index})"
