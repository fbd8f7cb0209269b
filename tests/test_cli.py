"""The command line: same table as the app, JSON, and one-line errors with exit status 2."""

import json
import subprocess
import sys

import pytest

from explorer.cli import main
from tests.conftest import ROOT


def test_stages_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stages", "resnet50", "--paper-stride"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ResNet-50 (paper stride (v1)) at 224×224; bottleneck stride on the first 1×1 conv")
    assert "[1×1, 256; 3×3, 256; 1×1, 1024] × 6" in out and "3.858G" in out and "25,557,032" in out


def test_stages_json_plain(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stages", "resnet18", "--plain", "--input-size", "112", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["label"] == "plain-18" and data["input_size"] == 112
    assert [r["output_size"] for r in data["rows"]][:5] == ["56×56", "28×28", "14×14", "7×7", "4×4"]
    assert {b["shortcut"] for b in data["blocks"]} == {"none"}


def test_compare_defaults_to_table1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["model"] for d in data] == ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152"]


def test_models_lists_names(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models"]) == 0
    assert "resnext101_32x8d" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["stages", "resnet999"], "unknown model 'resnet999'"),
        (["stages", "resnet18", "--input-size", "100000"], "input size must be a whole number"),
        (["stages", "resnet18", "--input-size", "-1"], "input size must be a whole number"),
        (["stages", "resnet18", "--input-size", "big"], "invalid int value"),
        (["stages", "cifar_resnet9999"], "6n+2"),
        (["stages", "resnet18", "--shortcut", "Z"], "invalid choice"),
        (["compare", "resnet18", "cifar_resnet20"], "one family"),
        (["stages"], "required: model"),
        ([], "required: command"),
    ],
)
def test_errors_are_one_line_with_status_2(argv: list[str], message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "explorer", *argv], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in result.stderr
