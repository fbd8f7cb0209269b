"""The variants page's widgets and computations: the image (a sample photo, a Shapes test image or an upload),
the variants' models shared by every session, and the comparison computed one variant per queue job."""

from __future__ import annotations

from collections.abc import Iterator

import streamlit as st
from PIL import Image

from explorer.catalogue import NETS, Net
from explorer.images import FORMAT_NAMES, MAX_FILE_BYTES, SAMPLES, load_image, load_sample, sample_title
from explorer.language import N_, _
from explorer.ui.common import choice
from explorer.ui.imagelab import IMAGE_TYPES
from explorer.ui.server import kept_while, shared, shared_model, with_progress
from explorer.variants.catalogue import default_keys
from explorer.variants.compare import SHAPES_SIDE, VariantView, compare_variant, shapes_test_image

SOURCES = (N_("Sample photo"), N_("Shapes test image"), N_("Upload"))  # kept in the address in English


def first_source() -> str:
    """The image source the page opens on: a Shapes test image for the Shapes-trained pair, else a sample photo."""
    shapes_only = all(NETS[key].source.kind == "shapes" for key in default_keys())
    return SOURCES[1] if shapes_only else SOURCES[0]


def picked_image(source: str) -> tuple[str, Image.Image] | None:
    """The widgets for ``source`` and the image chosen, with a key naming its content; None until one is chosen
    (raises ImageError, one line, for an upload that is not a usable image)."""
    if source == "Shapes test image":
        index = choice(st.number_input, _("Shapes test image number"), "variants_shapes_index", 0, min_value=0,
                       max_value=99_999)  # fmt: skip
        return f"shapes-{index}", shapes_test_image(index)
    if source == "Upload":
        said = _("Image file ({formats}; up to {size} MB)").format(formats=FORMAT_NAMES, size=MAX_FILE_BYTES // 2**20)
        upload = st.file_uploader(said, type=IMAGE_TYPES,
                                  key="variants.upload", max_upload_size=MAX_FILE_BYTES // 2**20)  # fmt: skip
        if upload is None:
            return None
        key = f"upload-{upload.file_id}"

        def decode() -> Image.Image:
            return load_image(upload.getvalue(), upload.name, target_side=SHAPES_SIDE)

        return key, kept_while("variants.image", key, decode)  # decoded once per upload, not on every rerun
    sample = choice(st.selectbox, _("Sample photo"), "variants_sample", next(iter(SAMPLES)), options=list(SAMPLES),
                    format_func=sample_title, help=_("See explorer/samples/CREDITS.md"))  # fmt: skip
    return f"sample-{sample}", load_sample(sample)


def compared(nets: list[Net], image_key: str, image: Image.Image) -> list[VariantView]:
    """Every variant on the image, one per queue job under a progress bar with a stop button; kept for every
    session by variants and image."""

    def compute() -> list[VariantView]:
        models = [shared_model(net.spec, net.source_here()) for net in nets]  # loaded here, not inside a job

        def each() -> Iterator[VariantView]:
            for net, loaded in zip(nets, models, strict=True):
                yield compare_variant(net, loaded, image)

        return list(with_progress(each(), len(nets), N_("Comparing the variants"), "variants.stop"))

    return shared(("variants", tuple(net.key for net in nets), image_key), compute)
