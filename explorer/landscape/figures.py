"""Plotly figures of the loss landscape: the line through the trained weights and the plane around them."""

from __future__ import annotations

import math
from collections.abc import Mapping

import plotly.graph_objects as go

from explorer.figstyle import is_residual, label_colour, log_axis, net_symbol
from explorer.landscape.slices import Slice
from explorer.language import _

LEGEND_ON_TOP = {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0}


def line_figure(lines: Mapping[str, Slice]) -> go.Figure:
    """Training loss along one filter-normalised direction, one curve per net (log scale)."""
    fig = go.Figure()
    for label, line in lines.items():
        fig.add_trace(go.Scatter(x=list(line.alphas), y=list(line.losses[0]), name=label, mode="lines+markers",
                                 line={"color": label_colour(label)},
                                 marker_symbol=net_symbol(is_residual(label))))  # fmt: skip
    values = [v for line in lines.values() for v in line.losses[0]]
    fig.update_layout(
        height=400, margin={"l": 10, "r": 10, "t": 40, "b": 10}, legend=LEGEND_ON_TOP,
        xaxis={"title": _("step α along the direction (0 = the trained weights)")},
        yaxis=log_axis(values) | {"title": _("training loss")},
    )  # fmt: skip
    return fig


def _log10(value: float) -> float:
    return math.log10(max(value, 1e-12))


def plane_range(planes: Mapping[str, Slice]) -> tuple[float, float]:
    """One colour range for every plane: log10 of the smallest and largest loss shown."""
    values = [_log10(v) for plane in planes.values() for row in plane.losses for v in row]
    return min(values), max(values)


def plane_figure(label: str, plane: Slice, colour_range: tuple[float, float], surface: bool = False) -> go.Figure:
    """log10 of the training loss over the plane of two directions: contours, or a 3-D surface."""
    z = [[_log10(v) for v in row] for row in plane.losses]
    low, high = colour_range
    common = {"x": list(plane.alphas), "y": list(plane.betas[: len(z)]), "z": z, "zmin": low, "zmax": high,
              "colorscale": "Viridis", "colorbar": {"title": {"text": _("log10 loss")}}}  # fmt: skip
    if surface:
        fig = go.Figure(go.Surface(**{k: v for k, v in common.items() if k not in ("zmin", "zmax")},
                                   cmin=low, cmax=high))  # fmt: skip
        fig.update_layout(scene={"xaxis_title": "α", "yaxis_title": "β", "zaxis_title": _("log10 loss")})
    else:
        fig = go.Figure(go.Contour(**common, contours={"coloring": "heatmap", "showlabels": True}, ncontours=20))
        fig.update_layout(
            xaxis={"title": _("α (direction 1)")}, yaxis={"title": _("β (direction 2)"), "scaleanchor": "x"}
        )
    fig.update_layout(height=460, margin={"l": 10, "r": 10, "t": 40, "b": 10}, title={"text": label})
    return fig
