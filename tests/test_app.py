"""The Streamlit pages, driven by Streamlit's AppTest."""

import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from explorer.device import describe_device, pick_device
from tests.conftest import ROOT, decode_plotly, shown_tables

ARCHITECTURE = "pages/1_Architecture.py"


@pytest.fixture
def architecture() -> AppTest:
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120)
    at.run()
    at.switch_page(ARCHITECTURE).run()
    assert not at.exception
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def diagram_traces(at: AppTest) -> list[dict]:
    charts = at.get("plotly_chart")
    assert len(charts) == 1
    return decode_plotly(json.loads(charts[0].proto.spec))["data"]


def shown_table(at: AppTest, which: str) -> pd.DataFrame:
    """The stage table, the block's steps or the comparison."""
    marks = {"stage": "shortcuts", "steps": "operation", "comparison": "ResNet-"}
    return next(t for t in shown_tables(at) if any(marks[which] in column for column in t.columns))


def block_order_text(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**Block order**"))


def shortcut_traces(at: AppTest) -> dict[str, dict]:
    return {t["name"]: t for t in diagram_traces(at) if "shortcut" in t.get("name", "")}


def test_home_page_renders_with_sidebar() -> None:
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=60).run()
    assert not at.exception
    assert any("ResNet-50" in c.value for c in at.sidebar.caption)
    assert any(f"Device: {describe_device(pick_device())}" in c.value for c in at.sidebar.caption)


def test_architecture_defaults_to_resnet50(architecture: AppTest) -> None:
    m = metrics(architecture)
    assert m["Depth"] == "50"
    assert (
        m["Parameters"] == "25.56M" and m["MACs at 224×224"] == "4.089G" and m["Device"] == pick_device().type.upper()
    )
    frame = shown_table(architecture, "stage")
    assert list(frame["stage"]) == ["conv1", "conv2_x", "conv3_x", "conv4_x", "conv5_x", "pool, fc", "total"]
    assert list(frame["output"])[:5] == ["112×112", "56×56", "28×28", "14×14", "7×7"]
    traces = shortcut_traces(architecture)
    assert set(traces) == {"identity shortcut (solid)", "projection shortcut (dashed)"}
    assert traces["projection shortcut (dashed)"]["line"]["dash"] == "dash"
    assert traces["identity shortcut (solid)"]["line"]["dash"] == "solid"


def test_variant_switch_updates_everything(architecture: AppTest) -> None:
    architecture.selectbox(key="widget.imagenet_model").set_value("resnet152").run()
    assert not architecture.exception
    m = metrics(architecture)
    assert m["Depth"] == "152" and m["Residual blocks"] == "50"
    frame = shown_table(architecture, "stage")
    assert frame.loc[frame["stage"] == "total", "params"].item() == "60,192,808"
    blocks = next(t for t in diagram_traces(architecture) if t.get("name") == "residual block")
    assert len(blocks["x"]) == 50


def test_plain_toggle_removes_every_shortcut(architecture: AppTest) -> None:
    architecture.selectbox(key="widget.imagenet_model").set_value("resnet34").run()
    architecture.toggle(key="widget.skip").set_value(False).run()
    assert not architecture.exception
    assert "plain-34" in architecture.warning[0].value
    assert shortcut_traces(architecture) == {}
    frame = shown_table(architecture, "stage")
    assert frame.loc[frame["stage"] == "total", "shortcuts"].item() == "16 without shortcut"
    assert frame.loc[frame["stage"] == "total", "params"].item() == "21,623,848"
    architecture.toggle(key="widget.skip").set_value(True).run()
    assert "projection shortcut (dashed)" in shortcut_traces(architecture)


def test_cifar_family_and_option_a(architecture: AppTest) -> None:
    architecture.radio(key="widget.family").set_value("cifar").run()
    assert not architecture.exception
    m = metrics(architecture)
    assert m["Depth"] == "20" and m["MACs at 32×32"] == "40.55M"
    assert "zero-padding shortcut, option A (dashed)" in shortcut_traces(architecture)
    architecture.select_slider(key="widget.cifar_depth").set_value(110).run()
    frame = shown_table(architecture, "stage")
    assert frame.loc[frame["stage"] == "total", "params"].item() == "1,727,962"


def test_paper_stride_option_matches_table1(architecture: AppTest) -> None:
    architecture.toggle(key="widget.paper_stride").set_value(True).run()
    assert metrics(architecture)["MACs at 224×224"] == "3.858G"


def test_choices_survive_a_page_switch(architecture: AppTest) -> None:
    architecture.selectbox(key="widget.imagenet_model").set_value("resnet101").run()
    architecture.toggle(key="widget.skip").set_value(False).run()
    architecture.switch_page("Home.py").run()
    assert any("plain-101" in c.value for c in architecture.sidebar.caption)
    architecture.switch_page(ARCHITECTURE).run()
    assert metrics(architecture)["Depth"] == "101"
    assert architecture.toggle(key="widget.skip").value is False


def test_block_details_follow_the_picker(architecture: AppTest) -> None:
    architecture.selectbox(key="widget.block").set_value(3).run()
    text = " ".join(md.value for md in architecture.markdown)
    assert "conv3_1" in text
    assert any("projection: 1×1, 512, /2 conv + BN" in md.value for md in architecture.markdown)


def test_comparison_table(architecture: AppTest) -> None:
    frame = shown_table(architecture, "comparison")
    assert list(frame.columns) == ["stage", "output", "ResNet-18", "ResNet-34", "ResNet-50", "ResNet-101", "ResNet-152"]
    assert frame.loc[frame["stage"] == "MACs", "ResNet-152"].item() == "11.514G"
    architecture.multiselect(key="widget.compare_imagenet").set_value(["resnet18"]).run()
    assert list(shown_table(architecture, "comparison").columns) == ["stage", "output", "ResNet-18"]


def test_pre_activation_changes_the_block_order_text(architecture: AppTest) -> None:
    text = " ".join(md.value for md in architecture.markdown)
    assert "**Block order** — original (He et al. 2015): conv → BN → ReLU" in text
    architecture.toggle(key="widget.preact").set_value(True).run()
    text = " ".join(md.value for md in architecture.markdown)
    assert "**Block order** — pre-activation (He et al. 2016): BN → ReLU → conv" in text
    assert "The net ends with BN → ReLU → pool" in text


@pytest.mark.parametrize("families", [("imagenet", "cifar"), ("cifar", "imagenet")])
def test_the_comparison_follows_a_family_switch(architecture: AppTest, families: tuple[str, str]) -> None:
    architecture.radio(key="widget.family").set_value(families[0]).run()
    architecture.radio(key="widget.family").set_value(families[1]).run()
    assert not architecture.exception
    frame = shown_table(architecture, "comparison")
    expected = ["ResNet-18", "ResNet-152"] if families[1] == "imagenet" else ["ResNet-20 (CIFAR)", "ResNet-110 (CIFAR)"]
    assert all(column in frame.columns for column in expected) and len(frame) > 3


def test_pre_activation_changes_the_table_and_the_diagram(architecture: AppTest) -> None:
    assert "conv → BN → ReLU" in block_order_text(architecture)
    ticks_before = next(t for t in diagram_traces(architecture) if t.get("name", "").startswith("BN → ReLU"))["x"]
    architecture.toggle(key="widget.preact").set_value(True).run()
    assert "BN → ReLU → conv" in block_order_text(architecture)
    ticks_after = next(t for t in diagram_traces(architecture) if t.get("name", "").startswith("BN → ReLU"))["x"]
    assert ticks_after != ticks_before
