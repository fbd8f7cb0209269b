"""The variants page's widgets and computations: the image (a sample photo, a Shapes test image or an upload),
the variants' models shared by every session, and the comparison computed one variant per queue job."""

from __future__ import annotations

import streamlit as st
from PIL import Image

from explorer.images import FORMAT_NAMES, MAX_FILE_BYTES, SAMPLES, load_image, load_sample
from explorer.ui.imagelab import IMAGE_TYPES
from explorer.ui.server import device, kept_while, shared_model, shared_on_request, with_progress
from explorer.variants.catalogue import VARIANTS, Variant, default_keys, load_variant
from explorer.variants.compare import SHAPES_SIDE, VariantView, compare_variant, shapes_test_image
from explorer.weights import LoadedModel

SOURCES = ("Sample photo", "Shapes test image", "Upload")


def first_source() -> str:
    """The image source the page opens on: a Shapes test image for the Shapes-trained pair, else a sample photo."""
    shapes_only = all(VARIANTS[key].weights == "shapes" for key in default_keys())
    return SOURCES[1] if shapes_only else SOURCES[0]


def picked_image(source: str) -> tuple[str, Image.Image] | None:
    """The widgets for ``source`` and the image chosen, with a key naming its content; None until one is chosen
    (raises ImageError, one line, for an upload that is not a usable image)."""
    if source == "Shapes test image":
        index = int(st.number_input("Shapes test image number", 0, 99_999, 0, key="variants.shapes_index"))
        return f"shapes-{index}", shapes_test_image(index)
    if source == "Upload":
        upload = st.file_uploader(f"Image file ({FORMAT_NAMES}; up to {MAX_FILE_BYTES // 2**20} MB)", type=IMAGE_TYPES,
                                  key="variants.upload", max_upload_size=MAX_FILE_BYTES // 2**20)  # fmt: skip
        if upload is None:
            return None
        key = f"upload-{upload.file_id}"

        def decode() -> Image.Image:
            return load_image(upload.getvalue(), upload.name, target_side=SHAPES_SIDE)

        return key, kept_while("variants.image", key, decode)  # decoded once per upload, not on every rerun
    sample = st.selectbox("Sample photo", list(SAMPLES), key="variants.sample", help="See explorer/samples/CREDITS.md")
    return f"sample-{sample}", load_sample(sample)


def loaded(variant: Variant) -> LoadedModel:
    """The variant's model, loaded once for every session."""
    weights = variant.weights if variant.available() else "random"
    return shared_model((variant.spec, weights, "variants", str(device())), lambda: load_variant(variant, device()))


def compared(variants: list[Variant], image_key: str, image: Image.Image) -> list[VariantView]:
    """Every variant on the image, one per queue job under a progress bar with a stop button; kept for every
    session by variants and image."""

    def compute() -> list[VariantView]:
        models = [loaded(variant) for variant in variants]  # loaded here, each through the queue, not inside a job

        def each():
            for variant, model in zip(variants, models, strict=True):
                yield compare_variant(variant.name, model, image, variant.input_size)

        return list(with_progress(each(), len(variants), "Comparing the variants", "variants.stop"))

    found = shared_on_request(("variants", tuple(v.key for v in variants), image_key, str(device())), compute)
    assert found is not None  # always asked
    return found
