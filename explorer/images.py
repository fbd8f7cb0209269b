"""Images in: decode uploads and bundled samples to RGB, and prepare them for a ResNet.

:func:`load_image` turns the bytes of an upload (or a camera shot) into an RGB image, or
raises :class:`ImageError` with one line saying what is wrong and what to do; nothing else
escapes it. Sizes are checked from the header before any pixel is decoded.
:func:`prepare` makes the network input and the cropped image the network sees.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from explorer.errors import UserError, short_detail
from explorer.language import N_, _

MAX_FILE_BYTES = 25 * 2**20
MAX_PIXELS = 40_000_000
MIN_SIDE = 16
MAX_ASPECT = 20
# Only these Pillow plugins may open an upload: the formats we promise, and no plugin that
# runs an external program (EPS calls Ghostscript). The JPEG plugin also opens MPO phone photos.
FORMATS: tuple[str, ...] = ("JPEG", "PNG", "WEBP", "BMP", "GIF", "TIFF")
FORMAT_NAMES = "JPEG, PNG, WebP, BMP, GIF, TIFF"
IMAGENET_MEAN: tuple[float, float, float] = (0.485, 0.456, 0.406)
IMAGENET_STD: tuple[float, float, float] = (0.229, 0.224, 0.225)
SAMPLE_DIR = Path(__file__).resolve().parent / "samples"
SAMPLES: dict[str, Path] = {path.stem: path for path in sorted(SAMPLE_DIR.glob("*.jpg"))}
# What the pages call each bundled photo: English texts, said in the reader's language.
SAMPLE_TITLES: dict[str, str] = {
    "astronaut": N_("astronaut"),
    "cat": N_("cat"),
    "coffee": N_("coffee"),
    "rocket": N_("rocket"),
}


def sample_title(name: str) -> str:
    """What the pages call the bundled photo ``name`` (a key of :data:`SAMPLES`), in the reader's language."""
    return _(SAMPLE_TITLES.get(name, name))


class ImageError(UserError):
    """An image that cannot be used; the message says why and what to do, on one line."""


def _subject(filename: str | None) -> str:
    """How messages name the file: its name when known, else "This file"."""
    name = " ".join((filename or "").split())
    return repr(name) if name else _("This file")


def check_dimensions(width: int, height: int, subject: str | None = None) -> None:
    """Raise ImageError if a ``width`` x ``height`` image has too many pixels, a too-short side or an extreme shape
    (``subject``: how the message names it, "This image" when None)."""
    subject = subject or _("This image")
    if width * height > MAX_PIXELS:
        raise ImageError(
            _(
                "{subject} is {width}×{height} = {megapixels} megapixels; at most {most} megapixels are accepted: "
                "downscale it and try again"
            ).format(
                subject=subject,
                width=width,
                height=height,
                megapixels=f"{width * height / 1e6:.0f}",
                most=f"{MAX_PIXELS / 1e6:.0f}",
            )
        )
    if min(width, height) < MIN_SIDE:
        raise ImageError(
            _(
                "{subject} is only {width}×{height} pixels; both sides must be at least {least} pixels: use a larger "
                "image"
            ).format(subject=subject, width=width, height=height, least=MIN_SIDE)
        )
    if max(width, height) > MAX_ASPECT * min(width, height):
        raise ImageError(
            _(
                "{subject} is {width}×{height} pixels, an aspect ratio over {aspect}:1: crop it closer to a square and "
                "try again"
            ).format(subject=subject, width=width, height=height, aspect=MAX_ASPECT)
        )


def _stretch(values: np.ndarray) -> np.ndarray:
    """Scale numbers linearly from their own finite min..max to 0..255 uint8 (constant arrays become 0)."""
    values = values.astype(np.float64)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.zeros(values.shape, np.uint8)
    low, high = float(finite.min()), float(finite.max())
    values = np.nan_to_num(values, nan=low, posinf=high, neginf=low)
    if high == low:
        return np.zeros(values.shape, np.uint8)
    return np.rint((values - low) * (255 / (high - low))).astype(np.uint8)


def to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow mode as RGB: alpha composited over white, 16-bit/32-bit/float stretched over their range."""
    if image.mode == "RGB":
        return image
    if image.mode in ("I", "F") or image.mode.startswith("I;16"):
        return Image.fromarray(_stretch(np.asarray(image)), "L").convert("RGB")
    if "A" in image.getbands() or "a" in image.getbands() or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")


def load_image(data: bytes, filename: str | None = None, target_side: int | None = None) -> Image.Image:
    """Decode an uploaded file to an upright RGB image (first frame), or raise ImageError.

    ``filename`` only names the file in messages; the format is read from the content. With
    ``target_side`` a JPEG is decoded directly at the smallest power-of-two reduction that keeps
    both sides at least that long (what :func:`prepare` needs), which is many times faster for
    phone photos.
    Pillow's own decompression-bomb error (and its warning, where warnings are errors) become
    ImageError too; :data:`MAX_PIXELS` is below Pillow's warning threshold, so every image
    Pillow warns about is refused here.
    """
    subject = _subject(filename)
    if not data:
        raise ImageError(
            _("{subject} is empty: choose a photo ({formats})").format(subject=subject, formats=FORMAT_NAMES)
        )
    if len(data) > MAX_FILE_BYTES:
        raise ImageError(
            _("{subject} is {size} MB; files up to {most} MB are accepted: resize or compress it and try again").format(
                subject=subject, size=f"{len(data) / 2**20:.1f}", most=f"{MAX_FILE_BYTES / 2**20:.0f}"
            )
        )
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as opened:
            check_dimensions(*opened.size, subject)
            if target_side is not None and opened.format == "JPEG":
                opened.draft(None, (target_side, target_side))
            opened.load()
            return to_rgb(ImageOps.exif_transpose(opened))
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError(
            _("{subject} is not an image Pillow can read ({formats}): upload a photo in one of these formats").format(
                subject=subject, formats=FORMAT_NAMES
            )
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageError(
            _(
                "{subject} has too many pixels to decode safely ({detail}): at most {most} megapixels are accepted, "
                "downscale it and try again"
            ).format(subject=subject, detail=short_detail(error), most=f"{MAX_PIXELS / 1e6:.0f}")
        ) from None
    except Exception as error:  # Pillow's decoders raise many types (OSError, SyntaxError, ...) on bad data
        raise ImageError(
            _(
                "{subject} is damaged or truncated and cannot be decoded ({detail}): re-save or re-export it and try "
                "again"
            ).format(subject=subject, detail=short_detail(error))
        ) from None


def load_sample(name: str) -> Image.Image:
    """A bundled sample photo (a key of :data:`SAMPLES`) as RGB; raises ImageError for unknown names."""
    if name not in SAMPLES:
        raise ImageError(
            _("unknown sample image {name}: choose one of {samples}").format(
                name=repr(name), samples=", ".join(SAMPLES)
            )
        )
    path = SAMPLES[name]
    return load_image(path.read_bytes(), path.name)


def prepare(image: Image.Image, size: int = 224) -> tuple[torch.Tensor, Image.Image]:
    """The network input for ``image`` and the ``size`` x ``size`` RGB crop it shows.

    The shorter side is resized to ``size`` (bilinear, antialiased), the centre is cropped
    as torchvision's ``CenterCrop`` does, and the crop is normalised with the ImageNet mean
    and std into a float tensor of shape (1, 3, size, size).
    """
    image = to_rgb(image)
    width, height = image.size
    short = min(width, height)
    resized = image.resize((size * width // short, size * height // short), Image.Resampling.BILINEAR)
    left = round((resized.width - size) / 2)
    top = round((resized.height - size) / 2)
    crop = resized.crop((left, top, left + size, top + size))
    return normalise(np.asarray(crop)[None]), crop


def normalise(images: np.ndarray) -> torch.Tensor:
    """(N, H, W, 3) uint8 images as a (N, 3, H, W) float tensor normalised with the ImageNet mean and std."""
    pixels = torch.tensor(np.asarray(images)).permute(0, 3, 1, 2).float() / 255.0  # a copy: arrays may be read-only
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return ((pixels - mean) / std).contiguous()
