"""Pure image helpers: scale maps, colour them, lay them over the image, pack PNGs."""

from __future__ import annotations

import functools
import io

import numpy as np
from PIL import Image, ImageDraw
from torch import Tensor


def to_unit(maps: list[np.ndarray], shared: bool) -> list[np.ndarray]:
    """Scale non-negative maps to [0, 1]: each by its own maximum, or all by the largest (``shared``)."""
    if shared:
        top = max((float(m.max()) for m in maps), default=0.0)
        return [m / top if top > 0 else np.zeros_like(m) for m in maps]
    return [m / float(m.max()) if m.max() > 0 else np.zeros_like(m) for m in maps]


@functools.lru_cache(maxsize=8)
def _palette(colormap: str) -> np.ndarray:
    """A matplotlib colormap as 256 RGB colours, (256, 3) uint8."""
    import matplotlib  # only the first map of a colormap needs it

    return (matplotlib.colormaps[colormap](np.linspace(0.0, 1.0, 256))[:, :3] * 255).round().astype(np.uint8)


def colourise(unit_map: np.ndarray, colormap: str = "jet") -> np.ndarray:
    """An (H, W) map in [0, 1] as an (H, W, 3) uint8 RGB image (256 levels, looked up in the colormap)."""
    levels = np.rint(np.clip(np.nan_to_num(unit_map), 0.0, 1.0) * 255).astype(np.uint8)
    return _palette(colormap)[levels]


MIN_SHOWN_SIDE = 224  # smaller images (CIFAR's 32×32) are enlarged, pixel by pixel, to be seen


def enlarged(image: Image.Image, side: int = MIN_SHOWN_SIDE) -> Image.Image:
    """``image`` enlarged by the smallest whole factor that makes its shorter side at least ``side``
    (nearest neighbour, so each pixel stays a crisp square); unchanged when it is already that large."""
    factor = -(-side // min(image.size))
    return image if factor <= 1 else image.resize((image.width * factor, image.height * factor), Image.NEAREST)


def overlay(image: Image.Image, unit_map: np.ndarray, alpha: float = 0.45, colormap: str = "jet") -> Image.Image:
    """The image with a colour-mapped [0, 1] map blended over it (the map is resized to the image)."""
    heat = Image.fromarray(colourise(unit_map, colormap))
    if heat.size != image.size:
        heat = heat.resize(image.size, Image.Resampling.BILINEAR)
    return Image.blend(image.convert("RGB"), heat, alpha)


def tensor_map(t: Tensor) -> np.ndarray:
    """A 2-D tensor as a float32 numpy array on the CPU."""
    return t.detach().float().cpu().numpy()


def jpeg_bytes(image: Image.Image, quality: int = 90) -> bytes:
    """The image encoded as JPEG (for showing; downloads stay PNG)."""
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def with_box(image: Image.Image, box: tuple[int, int, int, int], colour: str = "white", scale: int = 1) -> Image.Image:
    """The image enlarged ``scale`` times (nearest neighbour) with a rectangle drawn around ``box``."""
    big = image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)
    x0, y0, x1, y1 = (v * scale for v in box)
    ImageDraw.Draw(big).rectangle((x0, y0, x1 - 1, y1 - 1), outline=colour, width=max(1, scale // 2))
    return big
