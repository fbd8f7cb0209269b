"""The block diagram: the paper's Figure 3 laid out one Table-1 row per lane.

Each residual block is a box split into its conv layers; its shortcut is an arc over the
box, solid for an identity shortcut and dashed where the shortcut projects or zero-pads
(the dimensions change). A plain model has no arcs.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import plotly.graph_objects as go

from explorer.architecture.stages import ACTIVATION_NAMES, ADDITION, BlockInfo, StageTable, format_count
from explorer.language import N_, _

LANE_GAP = 1.4
BOX_HALF_WIDTH = 0.4
BOX_HALF_HEIGHT = 0.25
ARC_HEIGHT = 0.62
MIN_LANE_BLOCKS = 8  # lanes are at least this many blocks wide, so short nets keep box proportions
STAGE_COLOURS = ("#4c78a8", "#59a14f", "#e15759", "#b07aa1", "#edc948", "#76b7b2")
SHORTCUT_STYLE = {
    "identity": {"dash": "solid", "color": "#222222", "name": N_("identity shortcut (solid)")},
    "projection": {"dash": "dash", "color": "#f28e2b", "name": N_("projection shortcut (dashed)")},
    "zero-pad": {"dash": "dash", "color": "#9c27b0", "name": N_("zero-padding shortcut, option A (dashed)")},
}


def _box(x: float, y: float, half_width: float = BOX_HALF_WIDTH) -> tuple[list[float | None], list[float | None]]:
    xs = [x - half_width, x + half_width, x + half_width, x - half_width, x - half_width, None]
    ys = [y - BOX_HALF_HEIGHT, y - BOX_HALF_HEIGHT, y + BOX_HALF_HEIGHT, y + BOX_HALF_HEIGHT, y - BOX_HALF_HEIGHT, None]
    return xs, ys


def _arc(x: float, y: float) -> tuple[list[float | None], list[float | None]]:
    t = np.linspace(np.pi, 0, 24)
    xs = (x + (BOX_HALF_WIDTH + 0.04) * np.cos(t)).tolist()
    ys = (y + BOX_HALF_HEIGHT + (ARC_HEIGHT - BOX_HALF_HEIGHT) * np.sin(t)).tolist()
    return [*xs, None], [*ys, None]


def _filled(xs: list, ys: list, line: str, fill: str, **extra: object) -> go.Scatter:
    """Closed polygons (separated by None) filled with ``fill``, without hover or legend."""
    return go.Scatter(
        x=xs, y=ys, fill="toself", mode="lines", line={"color": line, "width": 1}, fillcolor=fill,
        hoverinfo="skip", showlegend=False, **extra,
    )  # fmt: skip


def _activation_ticks(block: BlockInfo, x: float, parts: int) -> list[float]:
    """Where the block's BN → activation steps sit along its box: at the start of a conv segment when they come
    before the conv (pre-activation), at its end when they follow it, right of the box after the addition."""
    left, width = x - BOX_HALF_WIDTH, 2 * BOX_HALF_WIDTH / parts
    ticks, convs_seen, added = [], 0, False
    for index, op in enumerate(block.operations):
        if op in block.layers:
            convs_seen += 1
        elif op == ADDITION:
            added = True
        elif op != "BN":  # an activation (BN, where there is one, comes just before it)
            following = block.operations[index + 1] if index + 1 < len(block.operations) else ""
            if added:
                ticks.append(x + BOX_HALF_WIDTH + 0.07)
            elif following in block.layers:
                ticks.append(left + width * convs_seen + 0.04)
            else:
                ticks.append(left + width * convs_seen - 0.04)
    return ticks


def block_hover(block: BlockInfo) -> str:
    """The hover text for one block: shapes, its layers, its shortcut, its cost."""
    c_in, h_in, w_in = block.in_shape
    c_out, h_out, w_out = block.out_shape
    layers = "<br>".join(f"  {layer}" for layer in block.layers)
    return _(
        "<b>{block}</b> ({name})<br>in {c_in}×{h_in}×{w_in} → out {c_out}×{h_out}×{w_out}<br>F(x):<br>{layers}<br>"
        "shortcut: {shortcut}<br>params {params} · MACs {macs}"
    ).format(
        block=block.paper_name, name=block.name, c_in=c_in, h_in=h_in, w_in=w_in, c_out=c_out, h_out=h_out,
        w_out=w_out, layers=layers, shortcut=block.shortcut_detail, params=f"{block.params:,}",
        macs=format_count(block.macs),
    )  # fmt: skip


def architecture_figure(table: StageTable, crossed: Collection[int] = ()) -> go.Figure:
    """The block diagram of ``table``'s model; each block's marker carries its index as customdata. Blocks whose
    indices are in ``crossed`` (deleted in a lesion) are struck through with a red cross."""
    fig = go.Figure()
    lanes = {row.name: -i * LANE_GAP for i, row in enumerate(table.rows)}
    widest = max([row.blocks for row in table.rows] + [MIN_LANE_BLOCKS])
    for row in table.rows:
        y = lanes[row.name]
        end = max(row.blocks, 1) - 1
        fig.add_trace(
            go.Scatter(
                x=[-0.7, end + 0.7],
                y=[y, y],
                mode="lines",
                line={"color": "#bbbbbb", "width": 2},
                hoverinfo="skip",
                showlegend=False,
            )
        )
        if not row.blocks:
            xs, ys = _box(0, y, BOX_HALF_WIDTH * 1.2)
            fig.add_trace(_filled(xs, ys, "#777777", "#dddddd"))
            fig.add_annotation(
                x=BOX_HALF_WIDTH * 1.2 + 0.15,
                y=y,
                text=str(row.layers),
                showarrow=False,
                xanchor="left",
                font={"size": 12},
            )

    shortcut_paths: dict[str, tuple[list, list]] = {kind: ([], []) for kind in SHORTCUT_STYLE}
    stage_boxes: dict[str, tuple[list, list]] = {}
    separators: tuple[list, list] = ([], [])
    activations: tuple[list, list] = ([], [])
    centres: tuple[list, list, list, list] = ([], [], [], [])
    position = {row.name: 0 for row in table.rows}
    for index, block in enumerate(table.blocks):
        x, y = position[block.stage], lanes[block.stage]
        position[block.stage] += 1
        xs, ys = _box(x, y)
        box_x, box_y = stage_boxes.setdefault(block.stage, ([], []))
        box_x += xs
        box_y += ys
        parts = len(block.layers)
        for k in range(1, parts):
            sx = x - BOX_HALF_WIDTH + 2 * BOX_HALF_WIDTH * k / parts
            separators[0].extend([sx, sx, None])
            separators[1].extend([y - BOX_HALF_HEIGHT, y + BOX_HALF_HEIGHT, None])
        for tick in _activation_ticks(block, x, parts):
            activations[0].extend([tick, tick, None])
            activations[1].extend([y - 0.8 * BOX_HALF_HEIGHT, y + 0.8 * BOX_HALF_HEIGHT, None])
        if block.shortcut in shortcut_paths:
            ax, ay = _arc(x, y)
            shortcut_paths[block.shortcut][0].extend(ax)
            shortcut_paths[block.shortcut][1].extend(ay)
        for target, value in zip(centres, (x, y, block_hover(block), index), strict=True):
            target.append(value)

    for colour_index, (stage, (xs, ys)) in enumerate(stage_boxes.items()):
        colour = STAGE_COLOURS[colour_index % len(STAGE_COLOURS)]
        fig.add_trace(_filled(xs, ys, colour, colour, name=stage, opacity=0.85))
    fig.add_trace(
        go.Scatter(
            x=separators[0],
            y=separators[1],
            mode="lines",
            line={"color": "white", "width": 1.5},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    if activations[0]:
        act = ACTIVATION_NAMES[table.spec.activation]
        name = (
            _("BN → {act} (where it acts)").format(act=act)
            if table.spec.batch_norm
            else _("activation (where it acts)")
        )
        fig.add_trace(
            go.Scatter(
                x=activations[0], y=activations[1], mode="lines", name=name.format(act=act), hoverinfo="skip",
                line={"color": "#222222", "width": 4},
            )
        )  # fmt: skip
    for kind, (xs, ys) in shortcut_paths.items():
        if xs:
            style = SHORTCUT_STYLE[kind]
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    mode="lines",
                    name=_(style["name"]),
                    hoverinfo="skip",
                    line={"color": style["color"], "dash": style["dash"], "width": 2.2},
                )
            )
    fig.add_trace(
        go.Scatter(
            x=centres[0],
            y=centres[1],
            mode="markers",
            name=_("residual block"),
            marker={"symbol": "square", "size": 14, "color": "rgba(0,0,0,0)"},
            hovertext=centres[2],
            hoverinfo="text",
            customdata=centres[3],
            showlegend=False,
        )
    )
    if crossed:
        struck = [i for i in sorted(crossed) if 0 <= i < len(centres[0])]
        fig.add_trace(go.Scatter(
            x=[centres[0][i] for i in struck], y=[centres[1][i] for i in struck], mode="markers", name=_("deleted"),
            marker={"symbol": "x-thin", "size": 26, "line": {"width": 4, "color": "#d62728"}}, hoverinfo="skip",
        ))  # fmt: skip
    fig.update_layout(
        height=int(140 + 95 * len(table.rows)),
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        plot_bgcolor="white",
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        xaxis={"visible": False, "range": [-1.0, widest + 0.2]},
        yaxis={
            "tickvals": list(lanes.values()),
            "ticktext": [f"<b>{row.name}</b><br>{row.output_size}" for row in table.rows],
            "showgrid": False,
            "zeroline": False,
            "range": [-(len(table.rows) - 0.5) * LANE_GAP, 0.9],
        },
        dragmode=False,
        clickmode="event+select",
    )
    if not table.spec.skip:
        fig.add_annotation(
            xref="paper",
            yref="paper",
            x=1,
            y=1.02,
            yanchor="bottom",
            xanchor="right",
            showarrow=False,
            text=_("plain network: no shortcuts, each block outputs only F(x)"),
        )
    return fig
