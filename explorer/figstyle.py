"""One look for every figure: a colour per net on every page, decade-only log axes, and projector mode.

* Residual nets are blue and plain nets red, on every page; within a family a deeper net is darker
  (:func:`net_colour`). Colour is not all that tells them apart: a residual net's markers are circles and a plain
  net's squares (:func:`net_symbol`), and a plain net's line without markers is dashed (:func:`net_dash`) — on a
  greyscale projector the two reds and blues have the same lightness.
* A log axis labels decades only (:func:`log_axis`): on a projector a "5" under "0.1" reads as 5; over many
  decades it labels every second, fifth, … so that no labels collide.
* :func:`for_projector` enlarges fonts, ticks, lines and markers of any figure for a classroom wall.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import plotly.graph_objects as go

RESIDUAL_SHADES = ("#6baed6", "#2171b5", "#08306b")  # shallow → deep
PLAIN_SHADES = ("#fc9272", "#cb181d", "#67000d")
MAX_DECADE_LABELS = 8
PROJECTOR_FONT = 20


def log_axis(values: Iterable[float | None]) -> dict[str, object]:
    """A log axis for ``values`` labelled at decades only, every ``k``-th decade so that at most
    :data:`MAX_DECADE_LABELS` labels show; minor ticks mark the other decades (or 2…9 when few decades show)."""
    logs = [math.log10(v) for v in values if v is not None and v > 0 and math.isfinite(v)]
    decades = math.ceil(max(logs)) - math.floor(min(logs)) if logs else 1
    step = next(k for k in (1, 2, 3, 5, 10, 20, 50, 100) if decades / k <= MAX_DECADE_LABELS or k == 100)
    minor = {"ticks": "inside"} if step == 1 else {"ticks": "inside", "dtick": 1}
    return {"type": "log", "dtick": step, "exponentformat": "power", "minor": minor}


def net_colour(residual: bool, depth: int | None = None) -> str:
    """The colour of a net: blue when residual, red when plain; darker when deeper (up to 20, 56, beyond)."""
    shades = RESIDUAL_SHADES if residual else PLAIN_SHADES
    if depth is None:
        return shades[1]
    return shades[0] if depth <= 20 else shades[1] if depth <= 56 else shades[2]


def net_symbol(residual: bool) -> str:
    """The marker of a net: a circle when residual, a square when plain."""
    return "circle" if residual else "square"


def net_dash(residual: bool) -> str:
    """The line of a net drawn without markers: solid when residual, dashed when plain."""
    return "solid" if residual else "dash"


def is_residual(label: object) -> bool:
    """Whether a net named like ``ResNet-56``, ``plain-20`` or ``ResNet-20 (CIFAR)`` (a text or a message) has
    shortcuts."""
    return not str(label).lower().startswith("plain")


def label_colour(label: object) -> str:
    """The colour of a net named like ``ResNet-56``, ``plain-20`` or ``ResNet-20 (CIFAR)`` (a text or a message)."""
    digits = "".join(c if c.isdigit() else " " for c in str(label)).split()
    return net_colour(is_residual(label), int(digits[0]) if digits else None)


def for_projector(figure: go.Figure) -> go.Figure:
    """A copy of ``figure`` restyled for a projector: larger fonts and ticks, half as many x labels, thicker lines,
    bigger markers (``figure`` itself is left as it is: it may be shared by every session)."""
    fig = go.Figure(figure)
    fig.update_layout(font={"size": PROJECTOR_FONT}, legend={"font": {"size": PROJECTOR_FONT}})
    fig.update_xaxes(tickfont={"size": PROJECTOR_FONT}, title_font={"size": PROJECTOR_FONT + 2})
    fig.update_yaxes(tickfont={"size": PROJECTOR_FONT}, title_font={"size": PROJECTOR_FONT + 2})
    fig.for_each_xaxis(lambda axis: axis.update(nticks=max(axis.nticks // 2, 2)) if axis.nticks else None)
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


class SharedFigure(go.Figure):
    """A figure built once and shown to every session unchanged (never change one): the plain dict Streamlit asks
    for on each run is made once, not deep-copied again for every run of every session."""

    def __init__(self, figure: go.Figure) -> None:
        super().__init__(figure)
        self._plain: dict | None = None

    def to_dict(self) -> dict:
        """The figure as plain data, made on the first call (the same dict after it: read it, do not change it)."""
        if self._plain is None:
            self._plain = super().to_dict()
        return self._plain
