"""Figures of the receptive-field page: field sides per block, and a block's effective field over an image."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from PIL import Image, ImageDraw

from explorer.figstyle import is_residual, label_colour, log_axis, net_symbol
from explorer.language import N_, _
from explorer.receptive_fields.effective import HOLDING, EffectiveField
from explorer.receptive_fields.theory import Field
from explorer.render import colourise, enlarged

THEORY_COLOUR = "#555555"
THEORY_BOX = N_("white")  # the boxes' colours, named in the page's words
EFFECTIVE_BOX = N_("black")


def field_size_figure(
    theoretical: Sequence[Field],
    image_side: int,
    effective: Mapping[str, Sequence[EffectiveField]] | None = None,
) -> go.Figure:
    """The side of every block's theoretical field (grey), the image's side (dotted), and — when measured — the
    side of the square holding :data:`HOLDING` of each net's effective field (one colour per net)."""
    names = [f.paper_name for f in theoretical]
    sizes: list[float] = [f.size for f in theoretical]
    pixels = _("{x}: {y}×{y} pixels").format(x="%{x}", y="%{y}")
    fig = go.Figure(go.Scatter(
        x=names, y=sizes, mode="lines+markers", name=_("theoretical field"),
        line={"color": THEORY_COLOUR, "dash": "dash"}, hovertemplate=pixels + "<extra>" + _("theoretical") + "</extra>",
    ))  # fmt: skip
    for label, fields in (effective or {}).items():
        held = [f.side_holding() for f in fields]
        sizes += [h for h in held if h is not None]
        fig.add_trace(go.Scatter(
            x=[f.paper_name for f in fields], y=held, mode="lines+markers",
            name=_("{net}: {share} of gradient").format(net=label, share=f"{HOLDING:.0%}"),
            line={"color": label_colour(label)}, marker_symbol=net_symbol(is_residual(label)),
            hovertemplate=f"{pixels}<extra>{label}</extra>",
        ))  # fmt: skip
    fig.add_trace(go.Scatter(  # a trace, not add_hline: on a log axis its annotation would stretch the range
        x=[names[0], names[-1]], y=[image_side, image_side], mode="lines",
        name=_("the image: {side} px").format(side=image_side), line={"color": "#999999", "dash": "dot"},
        hoverinfo="skip",
    ))  # fmt: skip
    fig.update_layout(
        height=360, margin={"l": 10, "r": 10, "t": 10, "b": 10}, legend={"orientation": "h", "y": -0.3},
        yaxis=log_axis([*sizes, image_side]) | {"title": _("field side (input pixels)")},
        xaxis={"type": "category", "tickangle": -45, "automargin": True},
    )  # fmt: skip
    return fig


def _square(centre: tuple[int, int], side: int, scale: int) -> tuple[int, int, int, int]:
    row, column = centre
    half = side // 2
    return (
        (column - half) * scale,
        (row - half) * scale,
        (column + half + 1) * scale - 1,
        (row + half + 1) * scale - 1,
    )


def field_picture(image: Image.Image, field: EffectiveField) -> Image.Image:
    """``field``'s gradient over ``image`` (scaled to its own maximum, more opaque where stronger), enlarged to be
    seen, with the theoretical field outlined in white and the square holding :data:`HOLDING` of the gradient in
    black (both clipped to the image)."""
    peak = field.gradient.max()
    unit = field.gradient / peak if peak > 0 else field.gradient
    heat = colourise(unit).astype(np.float32)
    weight = (0.25 + 0.65 * unit)[..., None]  # the image shows through where the gradient is weak
    blended = (1 - weight) * np.asarray(image.convert("RGB"), dtype=np.float32) + weight * heat
    picture = enlarged(Image.fromarray(blended.round().astype(np.uint8)))
    scale = picture.width // image.width
    draw = ImageDraw.Draw(picture)
    width = max(2, scale // 2)
    draw.rectangle(_square(field.centre_pixel(), field.field.size, scale), outline=THEORY_BOX, width=width)
    held = field.side_holding()
    if held is not None:
        draw.rectangle(_square(field.centre_pixel(), held, scale), outline=EFFECTIVE_BOX, width=width)
    return picture
