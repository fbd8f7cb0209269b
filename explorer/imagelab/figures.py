"""Plotly figures of the image lab: branch ratios and grids of maps."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from explorer.figstyle import log_axis, net_colour
from explorer.imagelab.explain import BlockStats
from explorer.language import _


def branch_ratio_figure(stats: list[BlockStats] | tuple[BlockStats, ...]) -> go.Figure:
    """‖F(x)‖ / ‖shortcut‖ per block as stems drawn from 1 on a log scale (below 1 hangs below the line), or
    ‖F(x)‖ alone as points for a plain model."""
    names = [s.paper_name for s in stats]
    plain = all(s.shortcut_norm is None for s in stats)
    values = [s.residual_norm if plain else s.residual_to_shortcut for s in stats]
    colour = net_colour(not plain)
    fig = go.Figure()
    if not plain:
        stems_x = [v for name in names for v in (name, name, None)]
        stems_y = [v for value in values for v in (1.0, value, None)]
        fig.add_trace(go.Scatter(x=stems_x, y=stems_y, mode="lines", line={"color": colour, "width": 3},
                                 hoverinfo="skip", showlegend=False))  # fmt: skip
        fig.add_hline(y=1, line_dash="dot", line_color="#555555")
        fig.add_annotation(  # on a log axis an annotation's y is log10 of the value: add_hline's own would float off
            text=_("F(x) as large as its shortcut"), x=1, xref="paper", xanchor="right", y=0, yref="y",
            yanchor="bottom", showarrow=False,
        )  # fmt: skip
    fig.add_trace(
        go.Scatter(x=names, y=values, mode="markers", marker={"color": colour, "size": 10}, showlegend=False,
                   hovertemplate="%{x}: %{y:.3g}<extra></extra>")
    )  # fmt: skip
    fig.update_layout(
        height=320,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        yaxis=log_axis([*values, 1.0])
        | {"title": "‖F(x)‖" if plain else _("‖F(x)‖ / ‖shortcut‖"), "range": _log_range(values)},
        xaxis={"type": "category", "tickangle": -45, "automargin": True},
    )
    return fig


def _log_range(values: list[float]) -> list[float] | None:
    """A log axis range just around ``values`` and 1 (plotly's own pads to whole decades)."""
    logs = [math.log10(v) for v in [*values, 1.0] if v > 0 and math.isfinite(v)]
    return [min(logs) - 0.1, max(logs) + 0.1] if logs else None


def map_grid_figure(maps: list[np.ndarray | None], titles: list[str], columns: int = 4) -> go.Figure:
    """Maps as square heatmaps in a tight grid (each with its own colour scale); ``None`` leaves a labelled gap.

    The figure is built in one go from plain data, which is several times faster than ``make_subplots``.
    """
    rows = max(1, math.ceil(len(maps) / columns))
    gap, title_room = 0.015, 0.12 / rows
    width = (1 - gap * (columns - 1)) / columns
    height = (1 - title_room * rows) / rows
    data: list[dict] = []
    layout: dict[str, object] = {}
    notes = []
    for i, values in enumerate(maps):
        row, column = divmod(i, columns)
        suffix = "" if i == 0 else str(i + 1)
        left, top = column * (width + gap), 1 - row * (height + title_room)
        layout[f"xaxis{suffix}"] = {"domain": [left, left + width], "visible": False, "anchor": f"y{suffix}"}
        layout[f"yaxis{suffix}"] = {
            "domain": [top - height - title_room / 2, top - title_room / 2], "visible": False, "anchor": f"x{suffix}",
            "scaleanchor": f"x{suffix}", "autorange": "reversed", "constrain": "domain",
        }  # fmt: skip
        notes.append(
            {"text": titles[i], "x": left + width / 2, "y": top, "xref": "paper", "yref": "paper", "showarrow": False,
             "yanchor": "top", "font": {"size": 12}}
        )  # fmt: skip
        if values is not None:
            data.append(
                {"type": "heatmap", "z": values, "colorscale": "Viridis", "showscale": False, "xaxis": f"x{suffix}",
                 "yaxis": f"y{suffix}", "hovertemplate": "%{z:.3g}<extra></extra>"}
            )  # fmt: skip
    layout |= {"height": 250 * rows, "margin": {"l": 5, "r": 5, "t": 5, "b": 5}, "annotations": notes}
    return go.Figure({"data": data, "layout": layout})
