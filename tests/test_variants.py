"""Variants side by side: each variant's numbers are those of its own trace and model, the catalogue checks its
choices, ImageNet variants work offline, and the page and the command show them."""

import json

import pytest
import torch

from explorer.architecture.stages import stage_table
from explorer.catalogue import HOLDS, NETS
from explorer.cli import main
from explorer.errors import UserError
from explorer.images import prepare
from explorer.trace import block_cams, trace, upsample
from explorer.variants import reading
from explorer.variants.catalogue import check_keys, default_keys
from explorer.variants.compare import compare_variant, shapes_test_image
from explorer.variants.figures import ratio_figure
from explorer.walk import walk
from tests.conftest import decode_plotly, devices, open_page


@pytest.fixture(autouse=True)
def no_imagenet_weights(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))  # offline, as CI: no cached ImageNet weights


@pytest.mark.parametrize("device", devices())
def test_a_variant_shows_its_own_trace(device: str) -> None:
    net = NETS["shapes-resnet20"]
    loaded = net.load(device)
    image = shapes_test_image(0)
    view = compare_variant(net, loaded, image)
    x = prepare(image, 32)[0].to(device)
    with torch.no_grad():
        probabilities = loaded.model(x).softmax(dim=1)[0]
    assert view.predictions[0].name == "square"  # the Shapes test image 0 is a square, drawn at 224 and resized
    top5 = probabilities.sort(descending=True).values[:5].tolist()
    assert [p.probability for p in view.predictions] == pytest.approx(top5, abs=1e-6)
    result = trace(loaded.model, x)
    last = upsample(block_cams(result)[-1], (32, 32))[0].cpu()
    assert list(view.stage_cams) == ["conv2_x", "conv3_x", "conv4_x"]
    torch.testing.assert_close(torch.from_numpy(view.stage_cams["conv4_x"]), last / last.max())
    with torch.no_grad():
        passes = walk(loaded.model, x).blocks
    first = passes[0]
    assert view.ratios[0] == ("conv2_1", pytest.approx(float(first.residual.norm() / first.input.norm()), rel=1e-5))
    assert len(view.ratios) == 9
    table = stage_table(loaded.spec, 32)
    assert (view.params, view.macs) == (sum(p.numel() for p in loaded.model.parameters()), table.macs)
    assert view.latency_ms > 0 and view.trained


def test_imagenet_variants_work_offline_untrained_and_say_so() -> None:
    net = NETS["imagenet-resnet18"]
    assert not net.available()
    assert default_keys() == ["shapes-resnet20", "shapes-plain20"]
    loaded = net.load()
    view = compare_variant(net, loaded, shapes_test_image(0))
    assert not loaded.trained and str(view.weights).startswith("untrained: its ImageNet weights are not here (")
    assert list(view.stage_cams) == ["conv2_x", "conv3_x", "conv4_x", "conv5_x"] and len(view.ratios) == 8
    assert view.macs == stage_table(net.spec, 224).macs > 1_800_000_000  # ResNet-18: 1.8 G multiply-adds


@pytest.mark.parametrize(
    ("keys", "message"),
    [(["shapes-resnet20"], "Choose two to 4 different variants; got 1."),
     (["untrained-resnet20", "untrained-resnet56", "untrained-resnet110", "untrained-plain56", "untrained-plain18"],
      "got 5"),
     (["untrained-resnet20", "untrained-resnet20"], "different variants"),
     (["untrained-resnet20", "vgg16"], "variant must be one of shapes-resnet20, .*; got 'vgg16'"),
     (["digits-resnet56", "shapes-resnet20"], "variant must be one of")],
)  # fmt: skip
def test_the_choice_of_variants_is_checked(keys: list[str], message: str) -> None:
    with pytest.raises(UserError, match=message):
        check_keys(keys)


def test_the_reading_and_the_figure_follow_the_numbers() -> None:
    image = shapes_test_image(0)
    views = [compare_variant(NETS[k], NETS[k].load(), image) for k in ("shapes-resnet20", "shapes-plain20",
                                                                       "untrained-resnet56")]  # fmt: skip
    text = reading.comparison_reading(views)
    tops = {view.predictions[0].name for view in views}
    if len(tops) > 1:
        assert "They disagree on the top class" in text and "put **square** first" not in text
    else:
        assert f"put **{tops.pop()}** first" in text and "They disagree on the top class" not in text
    assert "Untrained (ResNet-56 · untrained)" in text
    slow, fast = max(views, key=lambda v: v.latency_ms), min(views, key=lambda v: v.latency_ms)
    assert f"**{slow.name}** takes" in text and f"**{fast.name}** ({fast.latency_ms:.1f} ms)" in text
    figure = ratio_figure(views)
    assert [t.name for t in figure.data] == [str(v.name) for v in views] + ["‖F(x)‖ = ‖x‖"]
    assert len(figure.data[2].x) == 27 and 0 < min(figure.data[2].x) < max(figure.data[2].x) < 1
    assert figure.layout.yaxis.type == "log"


def test_the_command_compares_and_refuses_bad_choices(capsys) -> None:
    assert main(["variants", "shapes-resnet20", "shapes-plain20", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert [v["predictions"][0]["name"] for v in found["variants"]] == ["square", "square"]
    assert main(["variants", "shapes-resnet20", "untrained-resnet20", "--image", "sample:rocket"]) == 0
    assert "ResNet-20 · Shapes-trained" in capsys.readouterr().out
    assert main(["variants", "shapes-resnet20", "untrained-resnet20", "--image", "sample:dog"]) == 2
    assert "no sample photo 'dog'" in capsys.readouterr().err
    assert main(["variants", "shapes-resnet20", "untrained-resnet20", "--image", "shapes:x"]) == 2
    assert main(["variants", "shapes-resnet20", "untrained-resnet20", "--image", "/no/such.png"]) == 2
    assert main(["variants", "shapes-resnet20"]) == 2


def test_the_page_compares_the_shapes_pair_at_once_and_keeps_it() -> None:
    at = open_page("pages/8_Variants_side_by_side.py")
    text = " ".join(m.value for m in at.markdown)
    assert "Both variants put **square** first" in text
    captions = [caption for image in at.get("image") for caption in image.captions]
    assert captions == [f"{net}: conv{s}_x" for net in ("ResNet-20 · Shapes-trained", "plain-20 · Shapes-trained")
                        for s in (2, 3, 4)]  # fmt: skip
    figure = decode_plotly(json.loads(at.get("plotly_chart")[0].proto.spec))
    assert [t["name"] for t in figure["data"]][:2] == ["ResNet-20 · Shapes-trained", "plain-20 · Shapes-trained"]
    assert len(at.table) == 1 and "ms" in at.table[0].value["latency"][0]
    at.multiselect(key="widget.variants").select("imagenet-resnet18").run()
    assert not at.exception, at.exception
    assert any("No ImageNet weights in the local cache for ResNet-18 · ImageNet" in w.value for w in at.warning)
    assert "**conv5_x**" in [m.value for m in at.markdown]  # a fourth column for the ImageNet net's last stage


def test_every_catalogue_net_whose_weights_are_here_is_labelled_with_them() -> None:
    here = [net for net in NETS.values() if net.source.kind != "random" and net.available()]
    assert {net.key for net in here} >= {"shapes-resnet20", "shapes-plain20"}  # what ships, at least
    for net in here:
        assert str(net.weights_label(net.load())) == HOLDS[net.source.kind], net.key


@pytest.mark.parametrize("page", ["pages/8_Variants_side_by_side.py", "pages/7_Receptive_fields.py"])
def test_the_pages_label_the_shipped_shapes_nets_as_trained(page: str) -> None:
    at = open_page(page)
    cells = [str(cell) for table in at.table for cell in table.value.to_numpy().ravel()]
    shown = " ".join([*(e.value for e in (*at.markdown, *at.caption)), *cells]).replace("\\", "")  # unescaped
    assert "trained on Shapes (shipped)" in shown and "Shapes-trained weights are not here" not in shown
