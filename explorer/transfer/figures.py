"""Figures of the transfer-learning page: accuracy per epoch for every run, and how far each part moved."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from explorer.language import _
from explorer.transfer.finetune import RunResult

RUN_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#a6761d", "#666666")


def curve_figure(results: Sequence[RunResult], chance: float) -> go.Figure:
    """Held-out accuracy (solid) and training accuracy (dotted) after every epoch, one colour per run; epoch 0 is
    before any training."""
    fig = go.Figure()
    for result, colour in zip(results, RUN_COLOURS, strict=False):
        epochs = [p.epoch for p in result.curve]
        fig.add_trace(go.Scatter(x=epochs, y=[p.test_accuracy for p in result.curve], mode="lines+markers",
                                 name=result.run.label, line={"color": colour}, legendgroup=result.run.label,
                                 hovertemplate=_("epoch {x}: {y} held out").format(x="%{x}", y="%{y:.1%}")
                                 + "<extra></extra>"))  # fmt: skip
        fig.add_trace(go.Scatter(x=epochs, y=[p.train_accuracy for p in result.curve], mode="lines",
                                 name=_("{run} (training)").format(run=result.run.label),
                                 line={"color": colour, "dash": "dot"},
                                 legendgroup=result.run.label, showlegend=False,
                                 hovertemplate=_("epoch {x}: {y} on training images").format(x="%{x}", y="%{y:.1%}")
                                 + "<extra></extra>"))  # fmt: skip
    fig.add_trace(go.Scatter(x=[0, max((len(r.curve) - 1 for r in results), default=1)], y=[chance, chance],
                             mode="lines", name=_("chance {chance}").format(chance=f"{chance:.0%}"),
                             line={"color": "#999999", "dash": "dash"},
                             hoverinfo="skip"))  # fmt: skip
    fig.update_layout(
        height=380, margin={"l": 10, "r": 10, "t": 10, "b": 10}, legend={"orientation": "h", "y": -0.2},
        yaxis={"title": _("accuracy (solid: held out, dotted: training)"), "range": [0, 1.02], "tickformat": ".0%"},
        xaxis={"title": _("epoch"), "dtick": 1},
    )  # fmt: skip
    return fig


def moved_figure(results: Sequence[RunResult]) -> go.Figure:
    """‖ΔW‖/‖W‖ of every part (columns) for every run (rows); frozen parts read 0."""
    parts = list(results[0].moved)
    z = [[r.moved[p] for p in parts] for r in results]
    frozen = _("0 (frozen)")
    text = [[f"{v:.3f}" if v > 0 else frozen for v in row] for row in z]
    fig = go.Figure(go.Heatmap(
        z=z, x=parts, y=[r.run.label for r in results], text=text, texttemplate="%{text}", colorscale="Blues",
        colorbar={"title": "‖ΔW‖/‖W‖"}, hovertemplate="%{y}, %{x}: %{z:.4f}<extra></extra>",
    ))  # fmt: skip
    fig.update_layout(height=80 + 45 * len(results), margin={"l": 10, "r": 10, "t": 10, "b": 10},
                      yaxis={"autorange": "reversed", "automargin": True}, xaxis={"side": "top"})  # fmt: skip
    return fig
