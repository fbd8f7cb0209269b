"""Plotly figures of the Shapes dataset page."""

from __future__ import annotations

import plotly.graph_objects as go

from explorer.figstyle import is_residual, label_colour, net_symbol
from explorer.language import _
from explorer.shapes.scoring import BlockScore


def scores_figure(named: dict[str, list[BlockScore]]) -> go.Figure:
    """Pointing accuracy (solid) and energy on the object (dotted) per block; residual nets blue, plain red."""
    fig = go.Figure()
    for label, scores in named.items():
        colour, symbol = label_colour(label), net_symbol(is_residual(label))
        names = [s.paper_name for s in scores]
        fig.add_trace(
            go.Scatter(
                x=names,
                y=[s.pointing_accuracy for s in scores],
                name=_("{model}: pointing game").format(model=label),
                mode="lines+markers",
                line={"color": colour},
                marker_symbol=symbol,
            )
        )
        fig.add_trace(
            go.Scatter(
                x=names,
                y=[s.energy_in_mask for s in scores],
                name=_("{model}: energy on object").format(model=label),
                mode="lines+markers",
                line={"color": colour, "dash": "dot"},
                marker_symbol=symbol,
            )
        )
    fig.update_layout(
        height=380,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        yaxis={"range": [0, 1.02], "tickformat": ".0%", "title": _("share of test images / of map mass")},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
    )
    return fig
