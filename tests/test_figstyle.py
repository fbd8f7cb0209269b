"""The shared figure style: decade-only log axes that never crowd, one colour per net, projector mode."""

import math

import plotly.graph_objects as go
import pytest

from explorer.figstyle import MAX_DECADE_LABELS, SharedFigure, for_projector, label_colour, log_axis, net_colour


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
