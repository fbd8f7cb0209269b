"""One look for every figure: a colour per net on every page, decade-only log axes, and projector mode.

* Residual nets are blue and plain nets red, on every page; within a family a deeper net is darker
  (:func:`net_colour`).
* A log axis labels decades only (:data:`LOG_AXIS`): on a projector a "5" under "0.1" reads as 5.
* :func:`for_projector` enlarges fonts, ticks, lines and markers of any figure for a classroom wall.
"""

from __future__ import annotations

import plotly.graph_objects as go

RESIDUAL_SHADES = ("#6baed6", "#2171b5", "#08306b")  # shallow → deep
PLAIN_SHADES = ("#fc9272", "#cb181d", "#67000d")
LOG_AXIS: dict[str, object] = {"type": "log", "dtick": 1, "exponentformat": "power", "minor": {"ticks": "inside"}}
PROJECTOR_FONT = 20


def net_colour(residual: bool, depth: int | None = None) -> str:
    """The colour of a net: blue when residual, red when plain; darker when deeper (up to 20, 56, beyond)."""
    shades = RESIDUAL_SHADES if residual else PLAIN_SHADES
    if depth is None:
        return shades[1]
    return shades[0] if depth <= 20 else shades[1] if depth <= 56 else shades[2]


def label_colour(label: str) -> str:
    """The colour of a net named like ``ResNet-56``, ``plain-20`` or ``ResNet-20 (CIFAR)``."""
    residual = not label.lower().startswith("plain")
    digits = "".join(c if c.isdigit() else " " for c in label).split()
    return net_colour(residual, int(digits[0]) if digits else None)


def for_projector(fig: go.Figure) -> go.Figure:
    """``fig`` restyled for a projector: larger fonts and ticks, thicker lines, bigger markers."""
    fig.update_layout(font={"size": PROJECTOR_FONT}, legend={"font": {"size": PROJECTOR_FONT}})
    fig.update_xaxes(tickfont={"size": PROJECTOR_FONT}, title_font={"size": PROJECTOR_FONT + 2})
    fig.update_yaxes(tickfont={"size": PROJECTOR_FONT}, title_font={"size": PROJECTOR_FONT + 2})
    for trace in fig.data:
        if trace.type != "scatter" or trace.fill == "toself":  # filled shapes (diagram boxes) keep their outline
            continue
        if trace.line is not None and (trace.line.width or 2) < 4:
            trace.line.width = 4
        if trace.mode and "markers" in trace.mode:
            trace.marker.size = max(trace.marker.size or 6, 11)
    fig.update_annotations(font={"size": PROJECTOR_FONT})
    if fig.layout.height:
        fig.update_layout(height=int(fig.layout.height * 1.25))
    return fig
