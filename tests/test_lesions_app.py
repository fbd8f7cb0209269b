"""The Lesions and paths page, driven by AppTest: deletions change both nets' errors at once, the curve and the
paths are computed on request and every sentence follows the numbers shown."""

import json

import pytest
from streamlit.testing.v1 import AppTest

from explorer.lesions import nets
from explorer.lesions.lesion import Lesion, error
from tests.conftest import decode_plotly, open_page

PAGE = "pages/5_Lesions_and_paths.py"


pytestmark = pytest.mark.usefixtures("recordings_folder")  # never the real recordings


@pytest.fixture(scope="module")
def shapes() -> nets.TrainedPair:
    return nets.pair("shapes-20")


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def figures(at: AppTest) -> list[dict]:
    return [decode_plotly(json.loads(chart.proto.spec)) for chart in at.get("plotly_chart")]


def test_deleting_a_block_changes_both_nets_errors_at_once(shapes: nets.TrainedPair) -> None:
    at = open_page(PAGE)
    assert at.radio(key="widget.lesion_nets").value == "shapes-20"  # nothing trained yet: the shipped pair
    test = shapes.test
    intact = {label: error(model, test.images, test.labels) for label, model in shapes.nets().items()}
    assert metrics(at) == {f"{label} test error": f"{e:.1%}" for label, e in intact.items()}
    at.multiselect(key="widget.deleted_shapes-20").set_value(["conv3_1 ↓", "conv2_2"]).run()
    assert not at.exception
    lesion = Lesion.delete([1, 3])
    for label, model in shapes.nets().items():
        assert metrics(at)[f"{label} test error"] == f"{error(model, test.images, test.labels, lesion):.1%}"
    captions = [caption for image in at.get("image") for caption in image.captions]
    assert len(captions) == 8 and all(c.startswith("true ") and "ResNet-20: " in c for c in captions)
    assert "leaves its shortcut" in " ".join(c.value for c in at.caption)
    diagram = figures(at)[0]
    assert [len(t["x"]) for t in diagram["data"] if t.get("name") == "deleted"] == [2]  # struck through, both


def test_the_curve_and_the_paths_are_computed_on_request_and_read_from_their_numbers() -> None:
    at = open_page(PAGE)
    assert len(figures(at)) == 2  # only the block diagram and the binomial bars before anything is computed
    at.select_slider(key="widget.draws").set_value(1).run()
    at.button(key="lesions.curve.delete").click().run()
    assert not at.exception
    curve = figures(at)[1]
    assert [t["name"] for t in curve["data"]] == ["ResNet-20", "plain-20"]
    residual = curve["data"][0]
    assert residual["x"][0] == 0 and residual["x"][-1] == 9
    text = " ".join(m.value for m in at.markdown)
    assert f"**ResNet-20**: {residual['y'][0]:.1%} error intact, {residual['y'][1]:.1%} on average with 1 block" in text
    assert at.get("download_button")
    at.select_slider(key="widget.path_samples").set_value(4).run()
    at.button(key="lesions.paths").click().run()
    assert not at.exception
    shown = figures(at)
    assert len(shown) == 4 and [t["name"] for t in shown[2]["data"]] == ["share of all paths", "share of the gradient"]
    assert "The 9 blocks make 2^9 = 512 paths" in " ".join(m.value for m in at.markdown)


def test_digits_nets_not_trained_yet_are_offered_with_their_cost() -> None:
    at = open_page(PAGE, lesion_nets="digits-56")
    assert not at.metric  # nothing to show before the nets exist
    offered = at.button(key="lesions.train.digits-56").label
    assert offered.startswith("Train ResNet-56 and plain-56 on the digits (800 steps")
    assert "trained here the first time" in " ".join(c.value for c in at.caption)


def test_the_deletion_diagram_strikes_through_the_deleted_blocks() -> None:
    from explorer.architecture.diagram import architecture_figure
    from explorer.architecture.stages import stage_table
    from explorer.spec import ModelSpec

    table = stage_table(ModelSpec("cifar_resnet20", num_classes=6), 32)
    figure = architecture_figure(table, crossed=[4, 99])  # an index past the last block is ignored
    blocks = next(t for t in figure.data if t.name == "residual block")
    deleted = next(t for t in figure.data if t.name == "deleted")
    assert (deleted.x, deleted.y) == ((blocks.x[4],), (blocks.y[4],))
    assert not any(t.name == "deleted" for t in architecture_figure(table).data)
