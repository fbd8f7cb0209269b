"""The shared figure style: decade-only log axes that never crowd, one colour per net, projector mode."""

import math

import plotly.graph_objects as go
import pytest

from explorer.figstyle import (
    MAX_DECADE_LABELS,
    PLAIN_SHADES,
    RESIDUAL_SHADES,
    SharedFigure,
    for_projector,
    label_colour,
    log_axis,
    net_colour,
)


@pytest.mark.parametrize(
    ("low", "high", "step"), [(0.5, 20, 1), (1e-3, 1e4, 1), (1e-9, 1e4, 2), (1e-22, 1.0, 3), (1e-40, 1e5, 10)]
)
def test_log_axis_labels_decades_without_crowding(low: float, high: float, step: int) -> None:
    axis = log_axis([low, None, 0.0, math.inf, high])  # zeros, gaps and infinities are not drawn on a log axis
    assert axis["type"] == "log" and axis["exponentformat"] == "power"
    assert axis["dtick"] == step
    decades = math.ceil(math.log10(high)) - math.floor(math.log10(low))
    assert decades / step <= MAX_DECADE_LABELS
    assert axis["minor"] == ({"ticks": "inside"} if step == 1 else {"ticks": "inside", "dtick": 1})


def test_log_axis_of_nothing_is_still_a_log_axis() -> None:
    assert log_axis([])["dtick"] == 1


def test_one_colour_per_net_darker_when_deeper() -> None:
    assert label_colour("ResNet-56") == net_colour(True, 56) != net_colour(False, 56) == label_colour("plain-56")
    assert label_colour("ResNet-20 (CIFAR)") == net_colour(True, 20) != net_colour(True, 110)
    assert label_colour("plain") == net_colour(False)


def test_projector_mode_enlarges_type_lines_and_markers() -> None:
    fig = go.Figure(go.Scatter(x=[1, 2], y=[1, 2], mode="lines+markers"), layout={"height": 400})
    fig.update_xaxes(nticks=20)
    before = fig.to_dict()
    big = for_projector(fig)
    assert big.layout.font.size >= 20 and big.data[0].line.width >= 4 and big.data[0].marker.size >= 11
    assert big.layout.xaxis.nticks == 10  # the larger labels would collide
    assert big.layout.height == 500
    assert fig.to_dict() == before  # a copy: the figure given may be shared by every session


def test_a_shared_figure_is_the_figure_made_plain_once_and_copies_of_it_leave_it_so() -> None:
    import plotly.io as pio

    fig = go.Figure(go.Scatter(x=[1, 2], y=[3, 4], name="plain"), layout={"height": 300})
    shared = SharedFigure(fig)
    assert shared.to_dict() is shared.to_dict()  # made once: every later run of every session reads the same dict
    assert pio.to_json(shared.to_dict()) == pio.to_json(fig.to_dict())
    big, copy = for_projector(shared), go.Figure(shared)
    big.update_layout(height=900)
    copy.data[0].name = "changed"
    assert shared.to_dict() == fig.to_dict() and shared.layout.height == 300


def test_labels_on_log_axes_sit_where_their_lines_are() -> None:
    # plotly.js reads an annotation's y on a log axis as log10 of the value: the branch-ratio label of the line at 1
    # must be at y = 0, and the receptive-field figure draws the image's side as a trace (an annotation at 224 would
    # stretch the axis to 10^224).
    from explorer.imagelab.explain import BlockStats
    from explorer.imagelab.figures import branch_ratio_figure
    from explorer.receptive_fields.figures import field_size_figure
    from explorer.receptive_fields.theory import stem_and_block_fields
    from explorer.spec import ModelSpec

    stats = [BlockStats("layer1.0", "conv2_1", "64×56×56", r, 1.0, r, 1.0, 1.0, 1.0, 1.0, 0, 0) for r in (0.2, 2.0)]
    figure = branch_ratio_figure(stats)
    assert figure.layout.yaxis.type == "log"
    assert [(a.text, a.y) for a in figure.layout.annotations] == [("F(x) as large as its shortcut", 0)]
    fields = field_size_figure(stem_and_block_fields(ModelSpec("resnet18").build("meta"), 224), 224)
    assert not fields.layout.annotations and fields.data[-1].name == "the image: 224 px"


# Machado, Oliveira and Fernandes (2009): a dichromat's view of linear RGB (severity 1.0).
DICHROMATS = {
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216), (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413), (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602), (0.004733, 0.691367, 0.303900)),
}
# CIE76 ΔE: about 2.3 is the smallest difference an eye notices between two patches side by side; two thin lines on
# a projector, read across a room, need many times that to be told apart at a glance: 20.
APART = 20.0


def _linear(colour: str) -> list[float]:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    return [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]


def _lab(linear: list[float]) -> tuple[float, float, float]:
    linear = [min(max(c, 0.0), 1.0) for c in linear]
    x, y, z = (sum(m * c for m, c in zip(row, linear, strict=True)) / white for row, white in zip(
        ((0.4124, 0.3576, 0.1805), (0.2126, 0.7152, 0.0722), (0.0193, 0.1192, 0.9505)), (0.95047, 1.0, 1.08883),
        strict=True))  # fmt: skip
    f = [t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29 for t in (x, y, z)]
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def _seen(colour: str, vision: str) -> tuple[float, float, float]:
    linear = _linear(colour)
    if vision == "greyscale":
        grey = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
        return _lab([grey] * 3)
    return _lab([sum(m * c for m, c in zip(row, linear, strict=True)) for row in DICHROMATS[vision]])


def _difference(a: str, b: str, vision: str) -> float:
    return math.dist(_seen(a, vision), _seen(b, vision))


@pytest.mark.parametrize("vision", list(DICHROMATS))
@pytest.mark.parametrize("depth", [20, 56, 110])
def test_a_residual_and_a_plain_net_stay_apart_for_colour_blind_eyes(vision: str, depth: int) -> None:
    assert _difference(net_colour(True, depth), net_colour(False, depth), vision) >= APART


def test_on_a_greyscale_projector_colour_alone_would_not_tell_them_apart() -> None:
    # the blue and the red have the same lightness: which is why every figure also gives them a marker or a dash
    assert max(_difference(net_colour(True, d), net_colour(False, d), "greyscale") for d in (20, 56, 110)) < APART


def _shapes(figure: go.Figure, residual: bool) -> set[tuple[object, object]]:
    shades = RESIDUAL_SHADES if residual else PLAIN_SHADES
    return {(t.marker.symbol if "markers" in (t.mode or "") else None, t.line.dash or "solid")
            for t in figure.data if t.line.color in shades}  # fmt: skip


def test_every_figure_comparing_nets_tells_them_apart_without_colour() -> None:
    from explorer.gradlab import GradLabConfig, initial_profiles
    from explorer.gradlab.figures import layer_figure
    from explorer.landscape.figures import line_figure
    from explorer.landscape.slices import Slice
    from explorer.lesions.figures import lesion_figure
    from explorer.lesions.study import CurvePoint
    from explorer.shapes.figures import scores_figure
    from explorer.shapes.scoring import BlockScore

    nets = ("ResNet-20", "plain-20")
    points = [CurvePoint(k, (0.1 * k, 0.1 * k + 0.05)) for k in range(3)]
    line = Slice((-1.0, 0.0, 1.0), (0.0,), ((2.0, 0.5, 2.5),))
    scores = [BlockScore("layer1.0", "conv2_1", 0.5, 0.4, 10)]
    figures = {
        "lesions": lesion_figure(dict.fromkeys(nets, points), "delete", 0.83),
        "landscape": line_figure(dict.fromkeys(nets, line)),
        "shapes": scores_figure(dict.fromkeys(nets, scores)),
        "gradient lab": layer_figure(initial_profiles(GradLabConfig(depth=8, batch_size=8)), "signal"),
    }
    for name, figure in figures.items():
        residual, plain = _shapes(figure, True), _shapes(figure, False)
        assert residual and plain and not residual & plain, (name, residual, plain)
