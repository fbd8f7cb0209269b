"""Receptive fields: the closed form against hand calculations and against the gradient's support, the effective
field's measure, the pairs it is measured on, the page and the command."""

import json

import numpy as np
import pytest
import torch

from explorer.cli import main
from explorer.errors import UserError
from explorer.receptive_fields import reading, subjects, theory
from explorer.receptive_fields.effective import EffectiveField, effective_csv, effective_fields, stage_ends
from explorer.spec import ModelSpec
from explorer.weights import random_model
from tests.conftest import csv_lines, decode_plotly, devices, open_page


def sides(name: str, size: int, **options: object) -> dict[str, tuple[int, int]]:
    """Every block's (field side, jump), and the stem's, keyed by paper name."""
    fields = theory.stem_and_block_fields(ModelSpec(name, **options).build("meta"), size)
    return {f.paper_name: (f.size, f.jump) for f in fields}


def test_resnet18_by_hand() -> None:
    # 7×7/2 conv: 7, jump 2; 3×3/2 pool: 7 + 2·2 = 11, jump 4; then every 3×3 conv adds 2 × the jump, and the first
    # conv of a stage doubles the jump after it: conv2_x 11+8+8 = 27, 43; conv3_1 43+8 = 51 (jump 8), +16 = 67; …
    found = sides("resnet18", 224)
    assert found["conv1"] == (11, 4)
    expected = {"conv2_1": 27, "conv2_2": 43, "conv3_1": 67, "conv3_2": 99, "conv4_1": 147, "conv4_2": 211,
                "conv5_1": 307, "conv5_2": 435}  # fmt: skip
    assert {k: v[0] for k, v in found.items() if k != "conv1"} == expected
    assert [found[f"conv{s}_2"][1] for s in (2, 3, 4, 5)] == [4, 8, 16, 32]


def test_resnet50_by_hand_with_the_stride_on_either_conv() -> None:
    # Bottlenecks: only the 3×3 conv widens the field (1×1 convs add nothing), 2 × the jump each.
    v15 = sides("resnet50", 224)  # torchvision: the stride on the 3×3 conv
    assert [v15[k][0] for k in ("conv2_3", "conv3_1", "conv3_4", "conv4_6", "conv5_3")] == [35, 43, 91, 267, 427]
    # the paper (v1): the stride on the first 1×1, so the stage's 3×3 already works at the doubled jump
    v1 = sides("resnet50", 224, stride_in_1x1=True)
    assert [v1[k][0] for k in ("conv2_3", "conv3_1", "conv3_4", "conv4_6", "conv5_3")] == [35, 51, 99, 291, 483]


@pytest.mark.parametrize("depth", [8, 20, 32, 56, 110])
def test_cifar_nets_by_hand(depth: int) -> None:
    # 3×3 stem: 3. Stage 1: 2n convs at jump 1 (+4n). Stage 2: the first conv at jump 1 (+2), 2n−1 at jump 2 (+4
    # each). Stage 3: +4, then 2n−1 at jump 4 (+8 each). In all 3 + 4n + 2 + 4(2n−1) + 4 + 8(2n−1) = 28n − 3.
    n = (depth - 2) // 6
    found = sides(f"cifar_resnet{depth}", 32)
    assert found[f"conv2_{n}"] == (3 + 4 * n, 1)
    assert found[f"conv3_{n}"] == (3 + 4 * n + 2 + 4 * (2 * n - 1), 2)
    assert found[f"conv4_{n}"] == (28 * n - 3, 4)


def test_plain_and_preactivation_nets_have_the_same_theoretical_field() -> None:
    residual = sides("cifar_resnet20", 32)
    assert sides("cifar_resnet20", 32, skip=False) == residual
    assert sides("cifar_resnet20", 32, preact=True) == residual
    assert sides("resnet50", 224, skip=False) == sides("resnet50", 224)


@pytest.mark.parametrize("skip", [True, False])
def test_the_gradient_reaches_exactly_the_theoretical_field(skip: bool) -> None:
    # An independent check of the closed form: with tanh (no unit is ever switched off) the centre unit's input
    # gradient is non-zero on its whole theoretical field and nowhere else, wherever the field fits in the image.
    model = random_model(ModelSpec("cifar_resnet14", skip=skip, activation="tanh"))
    images = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    checked = 0
    for field in effective_fields(model, images):
        row, column = field.centre_pixel()
        half = field.field.size // 2
        if row - half < 0 or row + half >= 64:
            continue
        rows, columns = np.nonzero(field.gradient)
        assert (rows.min(), rows.max(), columns.min(), columns.max()) == (row - half, row + half, column - half,
                                                                         column + half), field.paper_name  # fmt: skip
        checked += 1
    assert checked >= 4


@pytest.mark.parametrize("device", devices())
def test_effective_fields_sum_to_one_and_leave_the_model_as_it_was(device: str) -> None:
    model = random_model(ModelSpec("cifar_resnet20")).to(device)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    images, _ = subjects.subject_images("untrained-20", 2, 32)
    fields = effective_fields(model, images)
    assert len(fields) == 9 and not model.training
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert all(p.grad is None for p in model.parameters())  # input gradients only: nothing accumulates
    for f in fields:
        assert f.gradient.shape == (32, 32) and f.total > 0
        assert f.gradient.sum() == pytest.approx(1.0)
        assert f.share_within(2 * 32 + 1) == pytest.approx(1.0)
        held = f.side_holding()
        assert held is not None and held % 2 == 1 and f.share_within(held) >= 0.9 > f.share_within(held - 2)
    assert [f.paper_name for f in stage_ends(fields)] == ["conv2_3", "conv3_3", "conv4_3"]


def test_no_gradient_means_no_field() -> None:
    field = theory.block_fields(ModelSpec("cifar_resnet8").build("meta"), 8)[0]
    empty = EffectiveField(field, np.zeros((8, 8)), 0.0)
    assert empty.side_holding() is None
    assert "no gradient reached the input" in reading.effective_reading({"ResNet-8": [empty]}, 8)


def test_residual_effective_fields_are_smaller_than_plain_ones() -> None:
    # Luo et al. 2016: skip connections make the effective field smaller. Measured here on the shipped Shapes
    # ResNet-20 / plain-20 (8 held-out images at 64×64): 90% of the last block's gradient within 25 vs 35 pixels.
    images, _ = subjects.subject_images("shapes-20", 8, 64)
    found = {net.label: effective_fields(net.model, images) for net in subjects.subject_nets("shapes-20")}
    residual, plain = (found[label][-1].side_holding() for label in ("ResNet-20", "plain-20"))
    assert residual < plain < 81  # both far inside the 81×81 theoretical field
    text = reading.effective_reading(found, 64)
    assert f"within **{residual}×{residual}** pixels, against a theoretical 81×81" in text
    assert "The effective field of ResNet-20 is smaller than that of plain-20" in text
    lines = csv_lines(effective_csv(found, {"nets": "untrained-20"}), nets="untrained-20")
    assert lines[0].startswith("net,block,theoretical_side") and len(lines) == 1 + 2 * 9


@pytest.mark.parametrize(
    ("call", "message"),
    [(lambda: subjects.subject_nets("vgg-16"), "nets must be one of shapes-20"),
     (lambda: subjects.subject_images("shapes-20", 4, 50), "image side for these nets must be one of 32, 64"),
     (lambda: subjects.subject_images("imagenet-18", 4, 64), "must be one of 224"),
     (lambda: subjects.subject_images("shapes-20", 0, 64), "number of images must be a whole number from 1 to 32")],
)  # fmt: skip
def test_bad_settings_get_one_line(call: object, message: str) -> None:
    with pytest.raises(UserError, match=message):
        call()


def test_the_imagenet_pair_runs_offline_untrained_without_cached_weights(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    measured = subjects.subject_nets("imagenet-18")
    cache = tmp_path / "hub" / "checkpoints" / "resnet18-f37072fd.pth"
    assert [(n.label, str(n.weights)) for n in measured] == [
        ("ResNet-18", f"untrained: its ImageNet weights are not here ({cache})"),
        ("plain-18", "untrained (random initialisation)"),
    ]
    images, pictures = subjects.subject_images("imagenet-18", 2, 224)
    assert images.shape == (2, 3, 224, 224) and pictures[0].size == (224, 224)


def test_the_command_prints_the_table_and_measures_fields(capsys) -> None:
    assert main(["receptive", "resnet18", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["model"] == "ResNet-18" and found["fields"][-1]["size"] == 435
    assert main(["receptive", "cifar_resnet20"]) == 0
    assert "conv4_3  81×81" in capsys.readouterr().out
    assert main(["receptive", "--effective", "untrained-20", "--images", "2", "--side", "32"]) == 0
    assert "ResNet-20: 90% within" in capsys.readouterr().out
    assert main(["receptive", "--effective", "shapes-20", "--side", "50"]) == 2
    assert "must be one of 32, 64, 96, 128" in capsys.readouterr().err
    assert main(["receptive", "cifar_resnet20", "--input-size", "0"]) == 2


def test_the_page_shows_the_theory_at_once_and_measures_on_request() -> None:
    at = open_page("pages/7_Receptive_fields.py")
    assert "theoretical field of **427×427** pixels" in " ".join(m.value for m in at.markdown)  # the default ResNet-50
    assert len(at.get("plotly_chart")) == 1 and not at.get("image")
    at.button(key="receptive.measure").click().run()
    assert not at.exception, at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "The effective field of ResNet-20 is smaller than that of plain-20" in text
    figure = decode_plotly(json.loads(at.get("plotly_chart")[1].proto.spec))
    assert [t["name"] for t in figure["data"]] == ["theoretical field", "ResNet-20: 90% of gradient",
                                                  "plain-20: 90% of gradient", "the image: 64 px"]  # fmt: skip
    captions = [caption for image in at.get("image") for caption in image.captions]
    assert len(captions) == 2 * 3 and captions[2].startswith("conv4_3: 90% in 25 of 81 px")  # stage ends, both nets
    at.run()
    assert len(at.get("plotly_chart")) == 2  # kept: shown again without pressing the button
