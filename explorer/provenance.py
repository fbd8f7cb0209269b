"""Exports that say where they come from: every CSV, PNG and zip the explorer writes carries what made it.

A CSV starts with ``# key: value`` lines (``pandas.read_csv(path, comment="#")`` skips them), said in the reader's
language (the keys are English texts marked with ``N_`` where the details are made; the column names stay English,
for programs); a PNG holds the same details in text chunks and a zip carries ``provenance.json``, their keys English.
"""

from __future__ import annotations

import csv
import io
import json
import time
import zipfile
from collections.abc import Iterable, Mapping, Sequence

from PIL import Image
from PIL.PngImagePlugin import PngInfo

from explorer.language import N_, _

TITLE = N_("ResNet Explorer export")


def stamp(details: Mapping[str, object]) -> dict[str, str]:
    """``details`` (model, weights, target, image, settings …) with the time of the export, as text."""
    return {N_("made"): time.strftime("%Y-%m-%d %H:%M:%S"), **{k: str(v) for k, v in details.items()}}


def csv_text(columns: Sequence[str], rows: Iterable[Mapping[str, object]], details: Mapping[str, object]) -> str:
    """The one way the explorer writes a CSV: a ``#`` header block of ``details`` (what made it, and when), then the
    ``columns`` and one line per row (a row may leave columns out: they stay empty)."""
    lines = [f"# {_(TITLE)}", *(f"# {_(key)}: {' '.join(value.split())}" for key, value in stamp(details).items())]
    body = io.StringIO()
    writer = csv.DictWriter(body, fieldnames=list(columns), restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return "\n".join(lines) + "\n" + body.getvalue()


def png_bytes(image: Image.Image, details: Mapping[str, object] | None = None) -> bytes:
    """The image as PNG, with ``details`` in its text chunks."""
    info = PngInfo()
    for key, value in stamp(details or {}).items():
        info.add_text(key, value)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def zip_pngs(images: Mapping[str, Image.Image], details: Mapping[str, object]) -> bytes:
    """A zip of ``<name>.png`` for each image (each carrying ``details``) and ``provenance.json``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, image in images.items():
            archive.writestr(f"{name}.png", png_bytes(image, details))
        archive.writestr("provenance.json", json.dumps({"title": TITLE, **stamp(details)}, indent=2))
    return buffer.getvalue()
