"""Plotly figures of the gradient lab: per-layer profiles, the first steps, live heatmaps, training curves."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import plotly.graph_objects as go

from explorer.figstyle import is_residual, label_colour, log_axis, net_colour, net_dash, net_symbol
from explorer.gradlab.degradation import Curve
from explorer.gradlab.profiles import GradientProfile
from explorer.gradlab.training import StepRecord
from explorer.language import N_, _

QUANTITIES: dict[str, str] = {
    "signal": N_("‖∂L/∂a‖ at the layer's output"),
    "relative": N_("‖∂L/∂W‖ / ‖W‖ of the layer's kernels"),
    "activation_std": N_("std of the layer's output"),
}
LEGEND_ON_TOP = {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0}


def _net_colour(net: str) -> str:
    return net_colour(net == "residual")


def _log10(values: Sequence[float]) -> list[float | None]:
    return [math.log10(v) if v > 0 else None for v in values]


def _plotted(fig: go.Figure) -> list[float]:
    """Every y value drawn in ``fig``."""
    return [y for trace in fig.data for y in (trace.y or ()) if y is not None]


def _per_layer_layout(fig: go.Figure, y_title: str) -> go.Figure:
    """The shared layout of the per-layer figures: layers along x, a log y labelled in decades, legend on top."""
    fig.update_layout(
        height=400,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        yaxis=log_axis(_plotted(fig)) | {"title": _(y_title)},
        xaxis={"title": _("layer (input → output)"), "nticks": 20, "tickangle": -45, "automargin": True},
        legend=LEGEND_ON_TOP,
    )
    return fig


def layer_figure(profiles: Mapping[str, GradientProfile], quantity: str) -> go.Figure:
    """One of :data:`QUANTITIES` per layer for each net (log scale): the backward signal, the relative weight
    gradient, or the forward spread."""
    fig = go.Figure()
    for net, profile in profiles.items():
        fig.add_trace(
            go.Scatter(
                x=list(profile.names), y=list(getattr(profile, quantity)), name=_(net), mode="lines+markers",
                line={"color": _net_colour(net)}, marker_symbol=net_symbol(net == "residual"),
            )
        )  # fmt: skip
    return _per_layer_layout(fig, QUANTITIES[quantity])


def early_steps_figure(by_step: Mapping[int, Mapping[str, GradientProfile]]) -> go.Figure:
    """The backward signal per layer after each number of training steps, both nets; later steps darker."""
    fig = go.Figure()
    count = len(by_step)
    for index, (step, profiles) in enumerate(sorted(by_step.items())):
        for net, profile in profiles.items():
            fig.add_trace(
                go.Scatter(
                    x=list(profile.names), y=list(profile.signal), mode="lines+markers",
                    name=_("{net}, step {step}").format(net=_(net), step=step),
                    line={"color": _net_colour(net), "dash": ("dot", "dash", "solid")[min(2, 3 * index // count)]},
                    marker_symbol=net_symbol(net == "residual"),
                    opacity=0.35 + 0.65 * (index + 1) / count,
                )
            )  # fmt: skip
    return _per_layer_layout(fig, QUANTITIES["signal"])


def _side_by_side(count: int, gap: float = 0.05) -> list[tuple[float, float]]:
    """Horizontal domains of ``count`` panels of equal width (make_subplots is too slow for live redraws)."""
    width = (1 - gap * (count - 1)) / count
    return [(i * (width + gap), i * (width + gap) + width) for i in range(count)]


def _panel_axes(index: int, domain: tuple[float, float], title: str) -> dict[str, object]:
    suffix = "" if index == 0 else str(index + 1)
    return {
        f"xaxis{suffix}": {"domain": domain, "anchor": f"y{suffix}", "title": {"text": title}},
        f"yaxis{suffix}": {"anchor": f"x{suffix}"},
    }


def heatmap_figure(records: Sequence[StepRecord], nets: Sequence[str]) -> go.Figure:
    """Layer × step heatmaps of log10 ‖∂L/∂activation‖, one per net, on one colour scale."""
    by_net = {net: [r for r in records if r.net == net and r.signal] for net in nets}
    values = [v for rs in by_net.values() for r in rs for v in _log10(r.signal) if v is not None]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    fig = go.Figure()
    layout: dict[str, object] = {}
    for index, (net, domain) in enumerate(zip(nets, _side_by_side(len(nets)), strict=True)):
        rows = by_net[net]
        layout |= _panel_axes(index, domain, _("{net}: step").format(net=_(net)))
        if index:
            layout[f"yaxis{index + 1}"] |= {"showticklabels": False}  # the layer names stand beside the first panel
        if not rows:
            continue
        logs = [_log10(r.signal) for r in rows]
        suffix = "" if index == 0 else str(index + 1)
        fig.add_trace(
            go.Heatmap(
                z=[list(column) for column in zip(*logs, strict=True)], x=[r.step for r in rows],
                y=list(rows[0].layers),
                zmin=low, zmax=high, colorscale="Viridis", colorbar={"title": {"text": "log10 ‖∂L/∂a‖"}},
                showscale=index == len(nets) - 1, xaxis=f"x{suffix}", yaxis=f"y{suffix}",
                hovertemplate=_("step {x}, {y}: 10^{z}").format(x="%{x}", y="%{y}", z="%{z:.2f}") + "<extra></extra>",
            )
        )  # fmt: skip
    fig.update_layout(height=420, margin={"l": 10, "r": 10, "t": 10, "b": 10}, **layout)
    return fig


def curves_figure(records: Sequence[StepRecord], nets: Sequence[str]) -> go.Figure:
    """Training-batch loss (left, log scale) and accuracy (right) per net over the steps."""
    fig = go.Figure()
    for net in nets:
        rows = [r for r in records if r.net == net]
        steps = [r.step for r in rows]
        colour = _net_colour(net)
        line = {"color": colour, "dash": net_dash(net == "residual")}
        fig.add_trace(go.Scatter(x=steps, y=[r.loss for r in rows], name=_(net), line=line))
        fig.add_trace(
            go.Scatter(
                x=steps, y=[r.accuracy for r in rows], name=_(net), line=line, showlegend=False,
                xaxis="x2", yaxis="y2",
            )
        )  # fmt: skip
    left, right = _side_by_side(2, gap=0.08)
    axes = _panel_axes(0, left, _("step")) | _panel_axes(1, right, _("step"))
    axes["yaxis"] |= log_axis(r.loss for r in records) | {"title": {"text": _("training loss")}}
    axes["yaxis2"] |= {"range": [0, 1.02], "tickformat": ".0%", "title": {"text": _("training-batch accuracy")}}
    fig.update_layout(height=340, margin={"l": 10, "r": 10, "t": 40, "b": 10}, legend=LEGEND_ON_TOP)
    fig.update_layout(**axes)
    return fig


def degradation_figure(curves: Mapping[str, Curve], smooth: int = 20) -> go.Figure:
    """Training loss of each net over the steps (moving average of ``smooth`` steps), log scale.

    Residual nets are solid blue, plain nets dashed red; the deeper net of each is darker.
    """
    fig = go.Figure()
    for label, curve in curves.items():
        loss = curve.loss
        averaged = [sum(loss[max(0, i - smooth + 1) : i + 1]) / len(loss[max(0, i - smooth + 1) : i + 1])
                    for i in range(len(loss))]  # fmt: skip
        line = {"color": label_colour(label), "dash": net_dash(is_residual(label))}
        fig.add_trace(go.Scatter(x=list(range(1, len(loss) + 1)), y=averaged, name=label, line=line))
    fig.update_layout(
        height=380,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        yaxis=log_axis(_plotted(fig)) | {"title": _("training loss ({steps}-step average)").format(steps=smooth)},
        xaxis={"title": _("step")},
        legend=LEGEND_ON_TOP,
    )
    return fig
