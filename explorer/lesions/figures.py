"""Plotly figures of the lesion study: error against blocks deleted or swapped, and the paths' gradient."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go

from explorer.figstyle import is_residual, label_colour, log_axis, net_symbol
from explorer.language import _
from explorer.lesions.paths import PathGradients, path_share
from explorer.lesions.study import CurvePoint

LEGEND_ON_TOP = {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0}


def lesion_figure(curves: Mapping[str, Sequence[CurvePoint]], kind: str, chance: float) -> go.Figure:
    """Mean test error (± one standard deviation over the draws) against k for each net, with chance marked."""
    fig = go.Figure()
    for label, points in curves.items():
        fig.add_trace(
            go.Scatter(
                x=[p.k for p in points], y=[p.mean for p in points], name=label, mode="lines+markers",
                line={"color": label_colour(label)}, marker_symbol=net_symbol(is_residual(label)),
                error_y={"type": "data", "array": [p.spread for p in points], "visible": True, "thickness": 1.5},
            )
        )  # fmt: skip
    fig.add_hline(
        y=chance,
        line={"dash": "dot", "color": "#666"},
        annotation_text=_("chance {chance}").format(chance=f"{chance:.0%}"),
    )
    fig.update_layout(
        height=420,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        xaxis={
            "title": _("blocks deleted at random") if kind == "delete" else _("random swaps of neighbouring blocks")
        },
        yaxis={"title": _("test error"), "tickformat": ".0%", "range": [0, 1.02]},
        legend=LEGEND_ON_TOP,
    )
    return fig


def path_share_figure(blocks: int, measured: PathGradients | None = None) -> go.Figure:
    """Per path length: the share of all paths (bars, Binomial(n, ½)) and, once measured, the share of the
    gradient (line)."""
    fig = go.Figure()
    fig.add_trace(go.Bar(x=list(range(blocks + 1)), y=path_share(blocks), name=_("share of all paths"),
                         marker_color="#bbb"))  # fmt: skip
    if measured is not None:
        fig.add_trace(
            go.Scatter(
                x=measured.lengths, y=measured.total(), name=_("share of the gradient"), mode="lines+markers",
                line={"color": label_colour("ResNet")},
            )
        )  # fmt: skip
    return _by_path_length(fig, yaxis={"title": _("share"), "tickformat": ".0%"}, legend=LEGEND_ON_TOP, bargap=0.1)


def path_gradient_figure(measured: PathGradients) -> go.Figure:
    """The gradient norm of one path of each length (log scale): it falls by a factor with every block it takes."""
    per_path = measured.per_path()
    fig = go.Figure(
        go.Scatter(
            x=measured.lengths, y=per_path, name=_("one path"), mode="lines+markers",
            line={"color": label_colour("ResNet")},
        )
    )  # fmt: skip
    return _by_path_length(fig, yaxis=log_axis(per_path) | {"title": _("‖∂L/∂x‖ along one path")}, showlegend=False)


def _by_path_length(fig: go.Figure, **layout: object) -> go.Figure:
    """The layout of the paths' figures: path length along x, then ``layout``."""
    fig.update_layout(
        height=400, margin={"l": 10, "r": 10, "t": 40, "b": 10},
        xaxis={"title": _("path length (residual branches taken)")}, **layout,
    )  # fmt: skip
    return fig
