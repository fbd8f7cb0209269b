"""The gradient lab page, driven by AppTest: it opens on the classic picture, every sentence follows the numbers
it shows, long runs are recorded and replayed, and the settings live in the page address."""

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from explorer import gradlab
from tests.conftest import DegradationDemo, decode_plotly, open_page, shown_tables

PAGE = "pages/4_Gradient_lab.py"


pytestmark = pytest.mark.usefixtures("recordings_folder")  # never the real recordings


def figures(at: AppTest) -> dict[str, dict]:
    return {chart.proto.id: decode_plotly(json.loads(chart.proto.spec)) for chart in at.get("plotly_chart")}


def metric(at: AppTest, quantity: str, net: str) -> float:
    """The first ÷ last ratio shown under the signal (left) or the relative-gradient (right) figure."""
    shown = [m for m in at.metric if m.label == f"{net}, first ÷ last"]
    assert len(shown) == 2
    return float(shown[0 if quantity == "signal" else 1].value)


def words(at: AppTest) -> str:
    return " ".join(e.value for e in [*at.markdown, *at.caption, *at.info])


def test_the_page_opens_on_the_vanishing_picture() -> None:
    at = open_page(PAGE)
    assert at.selectbox(key="widget.g.preset").value == gradlab.FIRST_PRESET
    assert at.select_slider(key="widget.g.depth").value == 56 and at.radio(key="widget.g.activation").value == "sigmoid"
    assert metric(at, "signal", "plain") < 1e-9  # underflows
    assert metric(at, "signal", "residual") > 1e-3
    text = words(at)
    assert "the backward signal of the plain net is 0 (it underflowed to zero in 32-bit floats): it vanishes" in text
    assert "without batch norm" in text and "batch norm in training mode" not in text
    assert "The classic picture" in text
    plotted = list(figures(at).values())
    signal = plotted[0]
    assert [t["name"] for t in signal["data"]] == ["plain", "residual"]
    axis = signal["layout"]["yaxis"]
    assert axis["type"] == "log" and axis["dtick"] == 3  # labels every third decade of the ~22 shown, no crowding
    assert plotted[1]["layout"]["yaxis"]["title"]["text"] == "‖∂L/∂W‖ / ‖W‖ of the layer's kernels"
    at.toggle(key="widget.g.preact").set_value(False).run()  # a sigmoid after every addition, on the shortcut too
    assert metric(at, "signal", "residual") < 1e-9


def test_with_batch_norm_the_text_explains_growth_not_vanishing() -> None:
    at = open_page(PAGE)
    at.selectbox(key="widget.g.preset").set_value("the paper: plain vs ResNet with BN").run()
    ratio = metric(at, "signal", "plain")
    assert ratio > 100  # grows towards the input at initialisation
    text = words(at)
    assert f"the backward signal of the plain net is ×{ratio:.2g}: it explodes" in text or "it grows" in text
    assert "(Yang et al. 2019)" in text and "healthy, meaning they do not vanish" in text
    assert "plain net is 0" not in text and "plain net is ×" in text and "vanishes." not in text
    assert "batch norm in training mode" in text
    assert metric(at, "relative", "plain") > 10


def test_exploding_preset_says_shortcuts_alone_do_not_keep_gradients_in_check() -> None:
    at = open_page(PAGE)
    at.selectbox(key="widget.g.preset").set_value("exploding: residual, no BN").run()
    assert metric(at, "signal", "residual") > 100
    assert "shortcuts alone do not keep gradients in check" in words(at)


def test_the_settings_live_in_the_page_address() -> None:
    at = open_page(PAGE, **{"g.depth": "20", "g.batch_norm": "1", "g.activation": "relu", "g.init": "he",
                      "g.preact": "0", "g.preset": ""})  # fmt: skip
    assert at.select_slider(key="widget.g.depth").value == 20 and at.toggle(key="widget.g.batch_norm").value is True
    assert at.selectbox(key="widget.g.preset").value is None
    at.select_slider(key="widget.g.depth").set_value(32).run()
    assert at.query_params["g.depth"] in ("32", ["32"])
    broken = open_page(PAGE, **{"g.depth": "21"})  # not 6n+2: the page starts from its defaults
    assert broken.select_slider(key="widget.g.depth").value == 56 and not broken.exception


def test_a_short_live_run_is_recorded_and_can_be_replayed(recordings_folder: Path) -> None:
    at = open_page(PAGE, **{"g.depth": "8", "g.preset": ""})
    at.number_input(key="widget.g.steps").set_value(6).run()
    at.button(key="grad.start").click().run()
    assert not at.exception
    assert any("Recorded run (finished at step 6 of 6)" in c.value for c in at.caption)
    heat = next(f for f in figures(at).values() if f["data"] and f["data"][0]["type"] == "heatmap")
    assert len(heat["data"]) == 2 and heat["data"][0]["x"] == [1, 2, 3, 4, 5, 6]
    assert len(heat["data"][0]["y"]) == 1 + 3  # the stem and the 3 blocks of a depth-8 net
    assert len(list(recordings_folder.glob("live-run-*.json"))) == 1
    again = open_page(PAGE, **{"g.depth": "8", "g.preset": ""})
    again.number_input(key="widget.g.steps").set_value(6).run()
    again.button(key="grad.replay").click().run()
    assert any("A recording made" in c.value for c in again.caption)
    again.slider(key="grad.replay_step").set_value(3).run()
    heat = next(f for f in figures(again).values() if f["data"] and f["data"][0]["type"] == "heatmap")
    assert heat["data"][0]["x"] == [1, 2, 3]


def test_the_first_training_steps() -> None:
    at = open_page(PAGE, **{"g.depth": "8", "g.batch_norm": "1", "g.activation": "relu", "g.init": "he",
                      "g.preact": "0", "g.preset": ""})  # fmt: skip
    at.button(key="grad.early").click().run()
    assert not at.exception
    text = words(at)
    assert "The backward signal, first block ÷ last, after 0 steps:" in text and "after 20 steps:" in text
    early = [f for f in figures(at).values() if any("step 20" in t.get("name", "") for t in f["data"])]
    assert early and len(early[0]["data"]) == 2 * len(gradlab.EARLY_STEPS)


@pytest.mark.xdist_group("degradation")
def test_the_degradation_demo_is_recorded_and_shown_at_once_next_time(
    degradation_demo_clicked: DegradationDemo, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = degradation_demo_clicked.page
    assert not at.exception
    table = shown_tables(at)[0]
    assert list(table["net"]) == ["plain-20", "ResNet-20", "plain-56", "ResNet-56"]
    assert any("Training error over the last 50 steps: plain-20" in c.value for c in at.caption)
    assert len(list(degradation_demo_clicked.folder.glob("degradation-*.json"))) == 1
    monkeypatch.setenv("EXPLORER_RECORDINGS", str(degradation_demo_clicked.folder))
    next_class = open_page(PAGE, **{"demo_steps": "100"})  # no button: the recording is shown at once
    assert list(shown_tables(next_class)[0]["net"]) == ["plain-20", "ResNet-20", "plain-56", "ResNet-56"]
    assert any("A recording made" in c.value for c in next_class.caption)


def test_extreme_settings_still_render() -> None:
    at = open_page(PAGE, **{"g.depth": "8", "g.preset": ""})
    at.number_input(key="widget.g.lr").set_value(10.0).run()
    at.radio(key="widget.g.optimiser").set_value("adam").run()
    at.number_input(key="widget.g.steps").set_value(3).run()
    at.button(key="grad.start").click().run()
    assert not at.exception and not at.error
    assert any("Recorded run (finished at step 3 of 3)" in c.value for c in at.caption)


def test_projector_mode_hides_the_training_settings_and_keeps_their_values() -> None:
    at = open_page(PAGE)
    at.number_input(key="widget.g.lr").set_value(0.01).run()
    at.toggle(key="widget.projector").set_value(True).run()
    at.run()  # a second run: Streamlit drops the state of widgets it did not draw, unless the page keeps it
    assert not at.exception
    assert not [n for n in at.number_input if n.key == "widget.g.lr"] and at.query_params["g.lr"] == "0.01"
    at.toggle(key="widget.projector").set_value(False).run()
    assert at.number_input(key="widget.g.lr").value == 0.01
