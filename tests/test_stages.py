"""The stage table against the paper's Table 1 and torchvision's own counts."""

import pytest
import torch
import torchvision
from torch.utils.flop_counter import FlopCounterMode

from explorer import ModelSpec, compare, comparison_rows, stage_table, table_rows
from explorer.architecture.stages import describe_shortcuts, format_count
from explorer.commandline import render_text
from explorer.errors import UserError

TABLE1_BLOCKS = {  # blocks per stage, conv2_x .. conv5_x
    "resnet18": [2, 2, 2, 2],
    "resnet34": [3, 4, 6, 3],
    "resnet50": [3, 4, 6, 3],
    "resnet101": [3, 4, 23, 3],
    "resnet152": [3, 8, 36, 3],
}
TORCHVISION_GMACS = {"resnet18": 1.814, "resnet34": 3.664, "resnet50": 4.089, "resnet101": 7.801, "resnet152": 11.514}
PAPER_GFLOPS = {"resnet18": 1.8, "resnet34": 3.6, "resnet50": 3.8, "resnet101": 7.6, "resnet152": 11.3}
PAPER_STRIDE_GMACS = {"resnet50": 3.858, "resnet101": 7.570, "resnet152": 11.282}


@pytest.mark.parametrize("name", list(TABLE1_BLOCKS))
def test_table1_output_sizes_and_blocks(name: str) -> None:
    table = stage_table(ModelSpec(name), 224)
    assert [r.name for r in table.rows] == ["conv1", "conv2_x", "conv3_x", "conv4_x", "conv5_x", "pool, fc"]
    assert [r.output_size for r in table.rows[:5]] == ["112×112", "56×56", "28×28", "14×14", "7×7"]
    assert [r.blocks for r in table.rows[1:5]] == TABLE1_BLOCKS[name]
    assert table.depth == int(name.removeprefix("resnet"))


@pytest.mark.parametrize("name", list(TABLE1_BLOCKS))
def test_params_and_macs_equal_torchvision(name: str) -> None:
    table = stage_table(ModelSpec(name), 224)
    with torch.device("meta"):
        reference = getattr(torchvision.models, name)()
    with FlopCounterMode(display=False) as counter:
        reference(torch.zeros(1, 3, 224, 224, device="meta"))
    assert table.params == sum(p.numel() for p in reference.parameters())
    assert table.params == sum(r.params for r in table.rows)
    assert table.macs == counter.get_total_flops() // 2
    assert round(table.macs / 1e9, 3) == TORCHVISION_GMACS[name]
    weights = torchvision.models.get_model_weights(name).DEFAULT
    assert round(table.macs / 1e9, 3) == pytest.approx(weights.meta["_ops"], abs=1e-3)


@pytest.mark.parametrize("name", list(TABLE1_BLOCKS))
def test_paper_stride_placement_is_within_2_percent_of_table1(name: str) -> None:
    table = stage_table(ModelSpec(name, stride_in_1x1=True), 224)
    assert table.macs / 1e9 == pytest.approx(PAPER_GFLOPS[name], rel=0.02)
    if name in PAPER_STRIDE_GMACS:
        assert round(table.macs / 1e9, 3) == PAPER_STRIDE_GMACS[name]


def test_paper_notation_of_the_stages() -> None:
    rows = stage_table(ModelSpec("resnet50")).rows
    assert str(rows[0].layers) == "7×7, 64, stride 2"
    assert str(rows[1].layers) == "[1×1, 64; 3×3, 64; 1×1, 256] × 3"
    assert rows[1].downsampling == "3×3 max pool, stride 2"
    assert str(rows[4].layers) == "[1×1, 512; 3×3, 512; 1×1, 2048] × 3"
    assert str(rows[5].layers) == "global average pool, 1000-d fc"
    assert str(stage_table(ModelSpec("resnet34")).rows[3].layers) == "[3×3, 256; 3×3, 256] × 6"
    assert str(stage_table(ModelSpec("resnext50_32x4d")).rows[1].layers) == "[1×1, 128; 3×3, 128, C=32; 1×1, 256] × 3"


def test_downsampling_note_follows_stride_placement() -> None:
    assert stage_table(ModelSpec("resnet50")).rows[2].downsampling == "/2 in first block's 3×3"
    assert stage_table(ModelSpec("resnet50", stride_in_1x1=True)).rows[2].downsampling == "/2 in first block's 1×1"


def test_shortcut_kinds_per_block() -> None:
    rows = stage_table(ModelSpec("resnet34")).rows
    assert rows[1].shortcuts == ("identity",) * 3
    assert rows[2].shortcuts == ("projection",) + ("identity",) * 3
    assert describe_shortcuts(rows[2].shortcuts) == "1 dashed (projection), 3 solid (identity)"
    cifar = stage_table(ModelSpec("cifar_resnet20")).rows
    assert cifar[2].shortcuts == ("zero-pad", "identity", "identity")
    plain = stage_table(ModelSpec("resnet34", skip=False)).rows
    assert plain[2].shortcuts == ("none",) * 4
    assert describe_shortcuts(plain[2].shortcuts) == "4 without shortcut"


def test_cifar_stages() -> None:
    table = stage_table(ModelSpec("cifar_resnet56"))
    assert table.input_size == 32
    assert [r.output_size for r in table.rows] == ["32×32", "32×32", "16×16", "8×8", "10-d"]
    assert [r.blocks for r in table.rows[1:4]] == [9, 9, 9]
    assert table.depth == 56 and table.params == 853_018


def test_block_details() -> None:
    table = stage_table(ModelSpec("resnet18"), 224)
    first = table.blocks[2]  # conv3_1
    assert (first.paper_name, first.name, first.stage) == ("conv3_1", "layer2.0", "conv3_x")
    assert first.in_shape == (64, 56, 56) and first.out_shape == (128, 28, 28)
    assert first.layers == ("3×3, 128, /2", "3×3, 128")
    assert first.shortcut == "projection" and first.line == "dashed"
    assert str(first.shortcut_detail) == "projection: 1×1, 128, /2 conv + BN"
    assert sum(b.params for b in table.blocks) == sum(r.params for r in table.rows[1:5])


def test_input_size_changes_output_sizes_and_cost() -> None:
    small, large = stage_table(ModelSpec("resnet18"), 112), stage_table(ModelSpec("resnet18"), 448)
    assert small.rows[4].output_size == "4×4" and large.rows[4].output_size == "14×14"
    assert small.params == large.params
    assert large.macs == pytest.approx(4 * stage_table(ModelSpec("resnet18"), 224).macs, rel=1e-3)  # 4x the area


@pytest.mark.parametrize("size", [0, -3, 5, 31, 4097, 10**9, 2.5, True])
def test_absurd_input_sizes_are_refused_clearly(size: object) -> None:
    with pytest.raises(
        UserError, match="input size for imagenet models \\(pixels\\) must be a whole number from 32 to 4096"
    ):
        stage_table(ModelSpec("resnet18"), size)


def test_totals_row_and_text_rendering() -> None:
    table = stage_table(ModelSpec("resnet18"))
    rows = table_rows(table)
    assert rows[-1]["stage"] == "total" and rows[-1]["params"] == "11,689,512" and rows[-1]["MACs"] == "1.814G"
    text = render_text(rows)
    assert "conv5_x" in text and "[3×3, 512; 3×3, 512] × 2" in text
    assert format_count(25_557_032) == "25.56M" and format_count(999) == "999"


def test_comparison_like_table1() -> None:
    tables = compare([ModelSpec(n) for n in TABLE1_BLOCKS])
    rows = comparison_rows(tables)
    assert [r["stage"] for r in rows][-3:] == ["depth", "params", "MACs"]
    assert rows[3]["ResNet-101"] == "[1×1, 256; 3×3, 256; 1×1, 1024] × 23"
    assert rows[-2]["ResNet-152"] == "60,192,808"
    with pytest.raises(UserError, match="one family"):
        compare([ModelSpec("resnet18"), ModelSpec("cifar_resnet20")])
    with pytest.raises(UserError, match="at least one"):
        compare([])


def test_json_form_is_complete() -> None:
    data = stage_table(ModelSpec("resnet50", skip=False), 224).to_dict()
    assert data["params"] == 25_557_032 - sum(
        b["params"] for b in stage_table(ModelSpec("resnet50")).to_dict()["blocks"]
    ) + sum(b["params"] for b in data["blocks"])
    assert data["rows"][1]["shortcut_lines"] == ["none"] * 3
    assert data["options"]["skip"] is False
    assert data["stride_placement"] == "3×3 conv (torchvision, v1.5)"
