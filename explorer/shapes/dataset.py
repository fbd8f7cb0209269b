"""Shapes: a procedural image dataset whose truth is known, so explanations can be scored.

Each image holds one *target* shape of a known class, drawn with a random size, colour,
position and rotation over a textured background, plus smaller distractors (dots and line
segments) that belong to no class. Every sample carries its class, the target's box and its
pixel mask. Sample ``i`` of a dataset is a pure function of ``(seed, i)``, at any resolution
from 32 to 224 pixels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from explorer.errors import check_range
from explorer.language import N_
from explorer.spec import SpecError

CLASSES: tuple[str, ...] = (N_("circle"), N_("square"), N_("triangle"), N_("star"), N_("cross"), N_("ring"))
MIN_SIZE, MAX_SIZE = 32, 224
SUPERSAMPLE = 4  # shapes are drawn this many times larger, then box-filtered down (anti-aliasing)


@dataclass(frozen=True)
class ShapesConfig:
    """What a Shapes dataset looks like; two equal configs give identical samples."""

    seed: int = 0
    size: int = 32
    min_radius: float = 0.17  # target radius as a fraction of the image side
    max_radius: float = 0.30
    max_distractors: int = 3

    def __post_init__(self) -> None:
        check_range("the side of a Shapes image", self.size, MIN_SIZE, MAX_SIZE)
        if not 0.05 <= self.min_radius <= self.max_radius <= 0.45:
            raise SpecError("target radius fractions must satisfy 0.05 <= min <= max <= 0.45")
        check_range("distractors", self.max_distractors, 0, 10)


@dataclass(frozen=True)
class Sample:
    """One image with its class, the target's box (x0, y0, x1, y1; exclusive ends) and mask."""

    image: np.ndarray  # (H, W, 3) uint8
    label: int
    box: tuple[int, int, int, int]
    mask: np.ndarray  # (H, W) bool

    @property
    def class_name(self) -> str:
        """The target's class name."""
        return CLASSES[self.label]


def _polygon(kind: str, cx: float, cy: float, r: float, angle: float) -> list[tuple[float, float]]:
    if kind == "square":
        local = [(math.cos(a), math.sin(a)) for a in np.linspace(math.pi / 4, 2 * math.pi + math.pi / 4, 5)[:-1]]
    elif kind == "triangle":
        local = [(math.cos(a), math.sin(a)) for a in np.linspace(-math.pi / 2, 1.5 * math.pi, 4)[:-1]]
    elif kind == "star":
        local = [
            ((1.0 if k % 2 == 0 else 0.42) * math.cos(a), (1.0 if k % 2 == 0 else 0.42) * math.sin(a))
            for k, a in enumerate(np.linspace(-math.pi / 2, 1.5 * math.pi, 11)[:-1])
        ]
    elif kind == "cross":
        w = 0.34
        local = [
            (-w, -1),
            (w, -1),
            (w, -w),
            (1, -w),
            (1, w),
            (w, w),
            (w, 1),
            (-w, 1),
            (-w, w),
            (-1, w),
            (-1, -w),
            (-w, -w),
        ]
    else:
        raise ValueError(kind)
    c, s = math.cos(angle), math.sin(angle)
    return [(cx + r * (x * c - y * s), cy + r * (x * s + y * c)) for x, y in local]


def _draw_shape(draw: ImageDraw.ImageDraw, kind: str, cx: float, cy: float, r: float, angle: float, fill) -> None:
    if kind == "circle":
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill)
    elif kind == "ring":
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=fill, width=max(1, round(0.38 * r)))
    else:
        draw.polygon(_polygon(kind, cx, cy, r, angle), fill=fill)


def _background(rng: np.random.Generator, side: int) -> np.ndarray:
    """A smooth colour field with faint stripes, (side, side, 3) float in 0..255."""
    coarse = rng.uniform(40, 215, size=(4, 4, 3)).astype(np.uint8)
    field = np.asarray(Image.fromarray(coarse).resize((side, side), Image.Resampling.BICUBIC), dtype=np.float32)
    yy, xx = np.mgrid[0:side, 0:side] / side
    theta = rng.uniform(0, math.pi)
    stripes = np.sin(2 * math.pi * rng.uniform(3, 9) * (xx * math.cos(theta) + yy * math.sin(theta)))
    field += rng.uniform(8, 22) * stripes[..., None]
    field += rng.normal(0, 6, size=field.shape)
    return np.clip(field, 0, 255)


def _contrasting_colour(rng: np.random.Generator, background: np.ndarray) -> tuple[int, int, int]:
    mean = background.reshape(-1, 3).mean(axis=0)
    for _ in range(50):
        colour = rng.integers(0, 256, size=3)
        if np.abs(colour - mean).sum() >= 200:
            break
    return tuple(int(v) for v in colour)


def sample(config: ShapesConfig, index: int) -> Sample:
    """Sample ``index`` of the dataset ``config`` (deterministic)."""
    rng = np.random.default_rng([config.seed, index])
    side, big = config.size, config.size * SUPERSAMPLE
    label = int(rng.integers(len(CLASSES)))
    canvas = Image.fromarray(_background(rng, big).astype(np.uint8))
    draw = ImageDraw.Draw(canvas)
    for _ in range(int(rng.integers(config.max_distractors + 1))):
        colour = tuple(int(v) for v in rng.integers(0, 256, size=3))
        if rng.random() < 0.5:
            x0, y0, x1, y1 = rng.uniform(0, big, size=4)
            draw.line((x0, y0, x1, y1), fill=colour, width=max(1, round(big * rng.uniform(0.015, 0.03))))
        else:
            cx, cy = rng.uniform(0, big, size=2)
            r = big * rng.uniform(0.03, 0.07)
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
    radius = big * rng.uniform(config.min_radius, config.max_radius)
    cx, cy = rng.uniform(radius, big - radius, size=2)
    angle = rng.uniform(0, 2 * math.pi)
    colour = _contrasting_colour(rng, np.asarray(canvas, dtype=np.float32))
    _draw_shape(draw, CLASSES[label], cx, cy, radius, angle, colour)
    mask_big = Image.new("L", (big, big), 0)
    _draw_shape(ImageDraw.Draw(mask_big), CLASSES[label], cx, cy, radius, angle, 255)
    image = np.asarray(canvas.resize((side, side), Image.Resampling.BOX))
    mask = np.asarray(mask_big.resize((side, side), Image.Resampling.BOX)) >= 128
    ys, xs = np.nonzero(mask)
    box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    return Sample(image, label, box, mask)


def samples(config: ShapesConfig, start: int, count: int) -> list[Sample]:
    """``count`` consecutive samples from ``start``."""
    return [sample(config, i) for i in range(start, start + count)]


def arrays(config: ShapesConfig, start: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, H, W, 3) uint8 and labels (N,) int64 of ``count`` samples from ``start``."""
    drawn = samples(config, start, count)
    return np.stack([s.image for s in drawn]), np.array([s.label for s in drawn], dtype=np.int64)
