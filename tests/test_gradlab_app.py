"""The gradient lab page, driven by AppTest: presets, the profiles at initialisation, a short run, the demo."""

import json

from streamlit.testing.v1 import AppTest

from explorer import gradlab
from tests.conftest import ROOT, decode_plotly

PAGE = "pages/4_Gradient_lab.py"


def open_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=300)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def figures(at: AppTest) -> list[dict]:
    return [decode_plotly(json.loads(chart.proto.spec)) for chart in at.get("plotly_chart")]


def metric(at: AppTest, label: str) -> float:
    return float(next(m.value for m in at.metric if m.label == label))


def test_profiles_at_initialisation_and_presets() -> None:
    at = open_page()
    profile = figures(at)[0]
    names = [t["name"] for t in profile["data"]]
    assert "plain: ‖∂L/∂activation‖ (backward signal)" in names and "residual: RMS ∂L/∂weight" in names
    assert 0.5 < metric(at, "plain: backward signal, first ÷ last") < 100  # BN: no vanishing

    at.selectbox(key="grad.preset").set_value("vanishing: plain-56, sigmoid, no BN").run()
    assert not at.exception
    assert at.select_slider(key="grad.depth").value == 56 and at.toggle(key="grad.batch_norm").value is False
    assert at.radio(key="grad.activation").value == "sigmoid"
    assert metric(at, "plain: backward signal, first ÷ last") < 1e-9
    assert metric(at, "residual: backward signal, first ÷ last") > 1e-3  # pre-activation: a clean identity path
    assert "slope is at most 1/4" in " ".join(c.value for c in at.caption)
    at.toggle(key="grad.preact").set_value(False).run()
    assert metric(at, "residual: backward signal, first ÷ last") < 1e-9  # the sigmoid after each addition

    at.selectbox(key="grad.preset").set_value("exploding: residual, no BN").run()
    assert metric(at, "residual: backward signal, first ÷ last") > 100


def test_a_short_run_records_both_nets_and_offers_the_csv() -> None:
    at = open_page()
    at.number_input(key="grad.steps").set_value(6).run()
    at.button(key="grad.start").click().run()
    assert not at.exception
    assert any("Recorded run (finished at step 6 of 6)" in c.value for c in at.caption)
    heat = next(f for f in figures(at) if f["data"] and f["data"][0]["type"] == "heatmap")
    assert len(heat["data"]) == 2 and heat["data"][0]["x"] == [1, 2, 3, 4, 5, 6]
    assert len(heat["data"][0]["y"]) == 1 + 9  # the stem and the 9 blocks of a depth-20 net
    run = at.session_state["grad.run"]
    assert {r.net for r in run["records"]} == set(gradlab.NETS) and len(run["records"]) == 12
    assert len(at.get("download_button")) == 1


def test_extreme_settings_still_render() -> None:
    at = open_page()
    at.number_input(key="grad.lr").set_value(10.0).run()
    at.radio(key="grad.optimiser").set_value("adam").run()
    at.number_input(key="grad.steps").set_value(3).run()
    at.button(key="grad.start").click().run()
    assert not at.exception and not at.error
    assert any("Recorded run (finished at step 3 of 3)" in c.value for c in at.caption)


def test_degradation_demo() -> None:
    at = open_page()
    at.select_slider(key="grad.demo_steps").set_value(100).run()
    at.button(key="grad.demo").click().run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["net"]) == ["plain-20", "ResNet-20", "plain-56", "ResNet-56"]
