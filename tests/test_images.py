"""Image decoding and preparation: every format and mode, and one clear line for every bad file."""

import io
import zlib
from collections.abc import Callable

import numpy as np
import pytest
import torch
from PIL import Image

from explorer import images
from explorer.images import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    MIN_SIDE,
    SAMPLE_DIR,
    SAMPLES,
    ImageError,
    load_image,
    load_sample,
    prepare,
    to_rgb,
)

RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    """The image saved in ``fmt``."""
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def quadrants(width: int = 64, height: int = 48) -> Image.Image:
    """An RGB image with red, green, blue and white quadrants."""
    array = np.zeros((height, width, 3), np.uint8)
    h, w = height // 2, width // 2
    array[:h, :w], array[:h, w:], array[h:, :w], array[h:, w:] = RED, GREEN, BLUE, WHITE
    return Image.fromarray(array)


def quadrant_colours(image: Image.Image) -> list[tuple[int, int, int]]:
    """The colour at the centre of each quadrant (top left, top right, bottom left, bottom right)."""
    w, h = image.size
    return [image.getpixel((x, y)) for y in (h // 4, 3 * h // 4) for x in (w // 4, 3 * w // 4)]


def noise(width: int = 64, height: int = 64) -> Image.Image:
    """Random RGB pixels (compresses badly, so truncation always cuts pixel data)."""
    return Image.fromarray(np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8))


def png_claiming(width: int, height: int) -> bytes:
    """A small PNG whose header is patched to claim ``width`` x ``height`` (no such pixels exist)."""
    data = bytearray(encode(Image.new("L", (16, 16)), "PNG"))
    data[16:24] = width.to_bytes(4, "big") + height.to_bytes(4, "big")
    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")
    return bytes(data)


def assert_good_image_loads() -> None:
    """A valid image still decodes (nothing was left broken by a refusal)."""
    image = load_image(encode(quadrants(), "PNG"), "good.png")
    assert image.mode == "RGB" and quadrant_colours(image) == [RED, GREEN, BLUE, WHITE]


def close(a: tuple[int, ...], b: tuple[int, ...], tolerance: int) -> bool:
    """Whether two colours agree channel by channel within ``tolerance``."""
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize(
    ("fmt", "options", "tolerance"),
    [
        ("JPEG", {"quality": 95}, 12),
        ("PNG", {}, 0),
        ("WEBP", {"lossless": True}, 0),
        ("BMP", {}, 0),
        ("GIF", {}, 0),
        ("TIFF", {}, 0),
    ],
)
def test_formats(fmt: str, options: dict, tolerance: int) -> None:
    image = load_image(encode(quadrants(), fmt, **options), f"photo.{fmt.lower()}")
    assert image.mode == "RGB" and image.size == (64, 48)
    for got, want in zip(quadrant_colours(image), [RED, GREEN, BLUE, WHITE], strict=True):
        assert close(got, want, tolerance), (got, want)


def test_grayscale_and_bilevel() -> None:
    gradient = np.tile(np.arange(256, dtype=np.uint8), (20, 1))
    image = np.asarray(load_image(encode(Image.fromarray(gradient, "L"), "PNG")))
    assert (image == gradient[..., None]).all()
    checker = (np.indices((32, 32)).sum(axis=0) % 2).astype(bool)
    image = np.asarray(load_image(encode(Image.fromarray(checker), "PNG")))
    assert (image == np.where(checker, 255, 0)[..., None]).all()


def test_palette_with_and_without_transparency() -> None:
    indices = np.repeat(np.arange(3, dtype=np.uint8), 8).reshape(1, 24).repeat(24, axis=0)
    palette = Image.fromarray(indices, "P")
    palette.putpalette([*RED, *GREEN, *BLUE])
    image = load_image(encode(palette, "PNG"))
    assert [image.getpixel((x, 0)) for x in (0, 8, 16)] == [RED, GREEN, BLUE]
    image = load_image(encode(palette, "PNG", transparency=1))
    assert [image.getpixel((x, 0)) for x in (0, 8, 16)] == [RED, WHITE, BLUE]


def test_alpha_is_composited_over_white() -> None:
    rgba = np.zeros((20, 30, 4), np.uint8)
    rgba[:, :10] = (255, 0, 0, 255)  # opaque red
    rgba[:, 10:20] = (0, 0, 255, 0)  # fully transparent blue
    rgba[:, 20:] = (0, 0, 0, 128)  # half-transparent black
    image = load_image(encode(Image.fromarray(rgba, "RGBA"), "PNG"))
    assert image.getpixel((0, 0)) == RED and image.getpixel((15, 0)) == WHITE
    assert close(image.getpixel((25, 0)), (127, 127, 127), 1)
    la = Image.fromarray(rgba[..., [0, 3]], "LA")
    image = load_image(encode(la, "PNG"))
    assert image.getpixel((0, 0)) == WHITE and image.getpixel((15, 0)) == WHITE
    assert close(image.getpixel((25, 0)), (127, 127, 127), 1)


@pytest.mark.parametrize(("fmt", "tolerance"), [("TIFF", 2), ("JPEG", 12)])
def test_cmyk_round_trips(fmt: str, tolerance: int) -> None:
    image = load_image(encode(quadrants().convert("CMYK"), fmt))
    for got, want in zip(quadrant_colours(image), [RED, GREEN, BLUE, WHITE], strict=True):
        assert close(got, want, tolerance), (got, want)


def test_16_bit_is_scaled_by_range_not_clipped() -> None:
    gradient = np.tile(np.linspace(0, 65535, 256).round().astype(np.uint16), (20, 1))
    image = load_image(encode(Image.fromarray(gradient), "PNG"))
    row = np.asarray(image)[0, :, 0]
    assert row.min() == 0 and row.max() == 255 and (np.diff(row.astype(int)) >= 0).all()
    assert len(np.unique(row)) > 200  # a gradient, not a step to white at 255
    twelve_bit = (gradient // 16).astype(np.uint16)  # 0..4095: scaled by its own range
    row = np.asarray(load_image(encode(Image.fromarray(twelve_bit), "TIFF")))[0, :, 0]
    assert row.min() == 0 and row.max() == 255 and len(np.unique(row)) > 200


def test_big_endian_16_bit_32_bit_and_float_modes() -> None:
    ramp = np.arange(0, 4000, 100, dtype=np.uint16).reshape(1, 40).repeat(20, axis=0)
    big_endian = Image.frombytes("I;16B", (40, 20), ramp.astype(">u2").tobytes())
    signed = Image.fromarray(ramp.astype(np.int32) - 2000, "I")
    floats = Image.fromarray(ramp.astype(np.float32) / 4000 - 0.5, "F")
    for image in (big_endian, signed, floats):
        row = np.asarray(to_rgb(image))[0, :, 0]
        assert row[0] == 0 and row[-1] == 255 and (np.diff(row.astype(int)) > 0).all(), image.mode
    for image in (signed, floats):
        decoded = np.asarray(load_image(encode(image, "TIFF")))[0, :, 0]
        assert decoded[0] == 0 and decoded[-1] == 255 and (np.diff(decoded.astype(int)) > 0).all(), image.mode
    with_nan = np.asarray(floats).copy()
    with_nan[0, 0] = np.nan
    assert np.asarray(to_rgb(Image.fromarray(with_nan, "F")))[0, 0, 0] == 0


def test_exif_orientation_is_applied() -> None:
    landscape = Image.new("RGB", (40, 20), RED)
    landscape.paste(BLUE, (20, 0, 40, 20))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    image = load_image(encode(landscape, "JPEG", exif=exif, quality=95))
    assert image.size == (20, 40)
    assert close(image.getpixel((10, 5)), RED, 12) and close(image.getpixel((10, 35)), BLUE, 12)


@pytest.mark.parametrize("fmt", ["GIF", "PNG", "WEBP", "TIFF"])
def test_animations_and_multipage_give_the_first_frame(fmt: str) -> None:
    frames = [Image.new("RGB", (32, 32), colour) for colour in (RED, GREEN, BLUE)]
    options = {"lossless": True} if fmt == "WEBP" else {}
    data = encode(frames[0], fmt, save_all=True, append_images=frames[1:], **options)
    assert Image.open(io.BytesIO(data)).n_frames == 3
    image = load_image(data)
    assert image.size == (32, 32) and image.getpixel((16, 16)) == RED


BAD_FILES: dict[str, tuple[Callable[[], bytes], str]] = {
    "empty": (lambda: b"", "is empty"),
    "text": (lambda: b"just some notes\nline two\n", "not an image Pillow can read (JPEG, PNG, WebP, BMP, GIF, TIFF)"),
    "pdf": (lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "not an image Pillow can read"),
    "unsupported format": (lambda: encode(quadrants(), "PPM"), "not an image Pillow can read"),
    "truncated png": (lambda: (d := encode(noise(), "PNG"))[: len(d) // 2], "damaged or truncated"),
    "truncated jpeg": (lambda: (d := encode(noise(), "JPEG"))[: len(d) // 2], "damaged or truncated"),
    "corrupt png": (
        lambda: (d := encode(noise(), "PNG"))[: len(d) // 2] + bytes(b ^ 0xFF for b in d[len(d) // 2 :]),
        "damaged or truncated",
    ),
    "100000x100000 header": (lambda: png_claiming(100_000, 100_000), "megapixels"),
    "8000x8000 header": (lambda: png_claiming(8000, 8000), "8000×8000 = 64 megapixels; at most 40 megapixels"),
    "1x1": (lambda: encode(Image.new("RGB", (1, 1)), "PNG"), f"at least {MIN_SIDE} pixels"),
    "1x1000": (lambda: encode(Image.new("RGB", (1, 1000)), "PNG"), f"at least {MIN_SIDE} pixels"),
    "20x1000": (lambda: encode(Image.new("RGB", (20, 1000)), "PNG"), "aspect ratio over 20:1"),
}


@pytest.mark.parametrize("kind", BAD_FILES)
def test_bad_files_get_one_clear_line(kind: str) -> None:
    make, message = BAD_FILES[kind]
    with pytest.raises(ImageError) as caught:
        load_image(make(), "upload.bin")
    text = str(caught.value)
    assert message in text and "\n" not in text and text.startswith("'upload.bin' ")
    assert_good_image_loads()


@pytest.mark.parametrize(
    "action",
    [
        pytest.param("error", marks=pytest.mark.filterwarnings("error::PIL.Image.DecompressionBombWarning")),
        pytest.param("ignore", marks=pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")),
    ],
)
def test_pillow_decompression_bomb_warning_range(action: str) -> None:
    """100 megapixels: over Pillow's warning limit, under its error limit; refused whether the warning raises or not."""
    with pytest.raises(ImageError, match="megapixels"):
        load_image(png_claiming(10_000, 10_000))
    assert_good_image_loads()


def test_too_large_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(images, "MAX_FILE_BYTES", 1000)
    with pytest.raises(ImageError, match="are accepted: resize or compress it") as caught:
        load_image(encode(noise(), "PNG"))
    assert "\n" not in str(caught.value) and str(caught.value).startswith("This file is ")
    monkeypatch.undo()
    assert_good_image_loads()


def test_error_messages_are_one_line() -> None:
    assert str(ImageError("two\nlines  here")) == "two lines here"
    with pytest.raises(ImageError, match=r"^'bad name\.png' is empty"):
        load_image(b"", "bad\nname.png")


@pytest.mark.parametrize(("width", "height", "size"), [(300, 200, 224), (200, 300, 224), (20, 40, 224), (640, 480, 32)])
def test_prepare_shapes(width: int, height: int, size: int) -> None:
    x, shown = prepare(noise(width, height), size)
    assert x.shape == (1, 3, size, size) and x.dtype == torch.float32
    assert shown.mode == "RGB" and shown.size == (size, size)


def test_prepare_tensor_is_the_shown_image_normalised() -> None:
    x, shown = prepare(load_sample("cat"))
    mean, std = torch.tensor(IMAGENET_MEAN).view(3, 1, 1), torch.tensor(IMAGENET_STD).view(3, 1, 1)
    pixels = (x[0] * std + mean) * 255
    assert torch.allclose(pixels, torch.from_numpy(np.asarray(shown, np.float32)).permute(2, 0, 1), atol=1e-3)
    white, _ = prepare(Image.new("RGB", (50, 50), WHITE), 32)
    assert torch.allclose(white[0, :, 0, 0], (1 - torch.tensor(IMAGENET_MEAN)) / torch.tensor(IMAGENET_STD))


def test_prepare_crops_the_centre() -> None:
    stripes = Image.new("RGB", (300, 100), RED)
    stripes.paste(GREEN, (100, 0, 200, 100))
    stripes.paste(BLUE, (200, 0, 300, 100))
    _, shown = prepare(stripes, 100)
    assert np.all(np.asarray(shown) == GREEN)
    gray = stripes.convert("L")  # any mode is accepted
    _, shown = prepare(gray, 50)  # 300x100 -> 150x50, then the middle third (edges blend with the neighbours)
    assert shown.size == (50, 50) and np.all(np.asarray(shown)[:, 5:45] == gray.getpixel((150, 50)))


def test_samples_load_and_are_credited() -> None:
    credits = (SAMPLE_DIR / "CREDITS.md").read_text()
    assert 3 <= len(SAMPLES) <= 6
    for name, path in SAMPLES.items():
        assert path.stat().st_size <= 300_000 and path.name in credits
        image = load_sample(name)
        assert image.mode == "RGB" and min(image.size) >= 224
    assert sorted(p.name for p in SAMPLE_DIR.iterdir() if p.suffix != ".md") == sorted(p.name for p in SAMPLES.values())
    with pytest.raises(ImageError, match="unknown sample image 'dog': choose one of"):
        load_sample("dog")
