"""Figures of the variants page: ‖F(x)‖/‖x‖ of every block, one line per variant, over the relative depth."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from explorer.figstyle import is_residual, label_colour, log_axis, net_symbol
from explorer.language import _
from explorer.variants.compare import VariantView

DASHES = ("solid", "dash", "dot", "dashdot")  # told apart even where two variants share a colour


def ratio_figure(views: Sequence[VariantView]) -> go.Figure:
    """‖F(x)‖/‖x‖ of every block of every variant; x is the block's place in its net (0 first, 1 last), so nets of
    different depths share one axis; hovering names the block."""
    fig = go.Figure()
    values = [1.0]
    for view, dash in zip(views, DASHES, strict=False):
        n = len(view.ratios)
        values += [r for _, r in view.ratios]
        fig.add_trace(go.Scatter(
            x=[(i + 0.5) / n for i in range(n)], y=[r for _, r in view.ratios], text=[b for b, _ in view.ratios],
            mode="lines+markers", name=str(view.name), line={"color": label_colour(view.name), "dash": dash},
            marker_symbol=net_symbol(is_residual(view.name)),
            hovertemplate="%{text}: %{y:.3g}<extra>" + str(view.name) + "</extra>",
        ))  # fmt: skip
    fig.add_trace(go.Scatter(x=[0, 1], y=[1, 1], mode="lines", name="‖F(x)‖ = ‖x‖", hoverinfo="skip",
                             line={"color": "#999999", "dash": "dot"}))  # fmt: skip
    fig.update_layout(
        height=360, margin={"l": 10, "r": 10, "t": 10, "b": 10}, legend={"orientation": "h", "y": -0.25},
        yaxis=log_axis(values) | {"title": "‖F(x)‖ / ‖x‖"},
        xaxis={"title": _("place in the net (first block → last block)"), "range": [0, 1], "tickformat": ".0%"},
    )  # fmt: skip
    return fig
