"""The command line: same table as the app, JSON, and one-line errors with exit status 2."""

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from PIL import Image

from explorer import ModelSpec
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


def _photo(tmp_path: Path) -> Path:
    path = tmp_path / "photo.png"
    Image.new("RGB", (120, 90), "orange").save(path)
    return path


def test_explain_with_random_weights_writes_overlays_and_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    argv = ["explain", str(_photo(tmp_path)), "--model", "resnet18", "--weights", "random", "--out", str(out)]
    assert main([*argv, "--target", "golden retriever", "--input-size", "96", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["target"] == {"index": 207, "name": "golden retriever"}
    assert summary["trained"] is False and "untrained" in summary["weights"]
    assert len(summary["predictions"]) == 5 and len(summary["blocks"]) == 8
    assert json.loads((out / "summary.json").read_text()) == summary
    overlays = sorted(p.name for p in out.glob("gradcam_*.png"))
    assert overlays[0] == "gradcam_01_conv2_1.png" and overlays[-1] == "gradcam_08_conv5_2.png"
    assert Image.open(out / "gradcam_08_conv5_2.png").size == (96, 96)
    assert (out / "blocks.csv").read_text().count("\n") == 9


def test_explain_with_a_checkpoint_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    checkpoint = tmp_path / "r20.pth"
    torch.save(ModelSpec("cifar_resnet20").build().state_dict(), checkpoint)
    argv = ["explain", str(_photo(tmp_path)), "--model", "cifar_resnet20", "--weights", str(checkpoint)]
    assert main([*argv, "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ResNet-20 (CIFAR) with Checkpoint r20.pth") and "9 Grad-CAM overlays" in out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "not in the local cache"),
        (["--weights", "nowhere.pth"], "no checkpoint file at 'nowhere.pth'"),
        (["--weights", "random", "--target", "unicorn"], "no class called 'unicorn'"),
        (["--weights", "random", "--model", "cifar_resnet21"], "6n+2"),
    ],
)
def test_explain_errors_are_one_line(tmp_path: Path, extra: list[str], message: str) -> None:
    env = {**os.environ, "TORCH_HOME": str(tmp_path / "empty-cache")}
    argv = ["explain", str(_photo(tmp_path)), "--model", "resnet18", "--out", str(tmp_path / "out"), *extra]
    result = subprocess.run(
        [sys.executable, "-m", "explorer", *argv], cwd=ROOT, capture_output=True, text=True, timeout=300, env=env
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in result.stderr


def test_explain_refuses_a_bad_image(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff broken")
    assert main(["explain", str(bad), "--weights", "random", "--out", str(tmp_path / "o")]) == 2
    assert "bad.jpg" in capsys.readouterr().err
    assert main(["explain", str(tmp_path / "missing.png"), "--weights", "random", "--out", str(tmp_path)]) == 2
    assert "no image file" in capsys.readouterr().err


def test_gradlab_at_initialisation_and_per_step(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gradlab", "--depth", "20", "--plain", "--no-bn", "--init", "default", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["config"]["skip"] is False and data["steps"] == []
    assert 4e-8 / 3 <= data["at_initialisation"]["first_to_last_signal_ratio"] <= 4.3e-8 * 3
    assert [layer["name"] for layer in data["at_initialisation"]["layers"]][:2] == ["conv1", "layer1.0"]
    assert main(["gradlab", "--depth", "8", "--steps", "2", "--no-bn", "--activation", "tanh"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ResNet-8, tanh, he init, no BN: at initialisation") and "training, 2 steps" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["gradlab", "--depth", "21"], "depth must be 6n+2"),
        (["gradlab", "--depth", "1202"], "depth must be 6n+2 from 8 to 110"),
        (["gradlab", "--steps", "-4"], "steps"),
        (["gradlab", "--activation", "gelu"], "invalid choice"),
    ],
)
def test_gradlab_errors(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) if "invalid choice" in message else contextlib.nullcontext():
        assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
