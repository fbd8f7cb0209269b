"""Plotly figures of the image lab: predictions, branch ratios, and grids of maps."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explorer.imagelab.explain import BlockStats, Prediction


def predictions_figure(predictions: list[Prediction], target: int) -> go.Figure:
    """Horizontal bars of the top classes' probabilities; the explained class is highlighted."""
    ordered = list(reversed(predictions))
    fig = go.Figure(
        go.Bar(
            x=[p.probability for p in ordered],
            y=[f"{p.name} ({p.index})" for p in ordered],
            orientation="h",
            marker_color=["#e15759" if p.index == target else "#4c78a8" for p in ordered],
            text=[f"{p.probability:.1%}" for p in ordered],
            textposition="auto",
            hovertemplate="%{y}: %{x:.2%}<extra></extra>",
        )
    )
    fig.update_layout(
        height=60 + 34 * len(ordered),
        margin={"l": 10, "r": 10, "t": 10, "b": 30},
        xaxis={"title": "probability", "range": [0, 1], "tickformat": ".0%"},
    )
    return fig


def branch_ratio_figure(stats: list[BlockStats] | tuple[BlockStats, ...]) -> go.Figure:
    """‖F(x)‖ / ‖shortcut‖ per block (log scale), or ‖F(x)‖ alone for a plain model."""
    names = [s.paper_name for s in stats]
    plain = all(s.shortcut_norm is None for s in stats)
    values = [s.residual_norm if plain else s.residual_to_shortcut for s in stats]
    fig = go.Figure(
        go.Bar(
            x=names,
            y=values,
            marker_color="#59a14f",
            hovertemplate="%{x}: %{y:.3g}<extra></extra>",
        )
    )
    if not plain:
        fig.add_hline(y=1, line_dash="dot", line_color="#888888", annotation_text="F(x) as large as x")
    fig.update_layout(
        height=320,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        yaxis={"type": "log", "title": "‖F(x)‖" if plain else "‖F(x)‖ / ‖shortcut‖"},
    )
    return fig


def map_grid_figure(maps: list[np.ndarray | None], titles: list[str], columns: int = 4) -> go.Figure:
    """Maps as heatmaps in a grid (each with its own colour scale); ``None`` leaves a labelled gap."""
    rows = max(1, math.ceil(len(maps) / columns))
    fig = make_subplots(rows=rows, cols=columns, subplot_titles=titles, horizontal_spacing=0.03, vertical_spacing=0.08)
    for i, values in enumerate(maps):
        if values is None:
            continue
        fig.add_trace(
            go.Heatmap(z=values[::-1], colorscale="Viridis", showscale=False, hovertemplate="%{z:.3g}<extra></extra>"),
            row=i // columns + 1,
            col=i % columns + 1,
        )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(height=40 + 210 * rows, margin={"l": 5, "r": 5, "t": 30, "b": 5})
    fig.update_annotations(font_size=12)
    return fig
