"""The command line: same table as the app, JSON, and one-line errors with exit status 2.

Every command runs in-process through ``main()``; one smoke test starts ``python -m explorer`` as a
subprocess, as a user would.
"""

import hashlib
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from PIL import Image

from explorer import ModelSpec
from explorer.cli import main
from explorer.commandline import to_json
from explorer.shapes.shipped import shipped_models
from explorer.weights import imagenet
from tests.conftest import ROOT
from tests.hostile import hostile_checkpoints

HOSTILE = hostile_checkpoints()


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``python -m explorer ARGV`` in-process: exit status, stdout, stderr (argparse's exits included)."""
    try:
        status = main(argv)
    except SystemExit as exit_:
        status = exit_.code
    out, err = capsys.readouterr()
    return status, out, err


def one_line_error(status: int, out: str, err: str, message: str) -> None:
    assert status == 2 and out == "", (status, out)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in err, err


def test_python_m_explorer_runs_as_a_program() -> None:
    bad = subprocess.run([sys.executable, "-m", "explorer", "stages", "resnet999"], cwd=ROOT, capture_output=True)
    assert bad.returncode == 2 and bad.stdout == b"" and bad.stderr.decode().count("\n") == 1


def test_stages_text(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["stages", "resnet50", "--paper-stride"], capsys)
    assert status == 0
    assert out.startswith("ResNet-50 (paper stride (v1)) at 224×224; bottleneck stride on the first 1×1 conv")
    assert "[1×1, 256; 3×3, 256; 1×1, 1024] × 6" in out and "3.858G" in out and "25,557,032" in out


def test_stages_json_plain(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["stages", "resnet18", "--plain", "--input-size", "112", "--json"], capsys)
    data = json.loads(out)
    assert status == 0 and data["label"] == "plain-18" and data["input_size"] == 112
    assert [r["output_size"] for r in data["rows"]][:5] == ["56×56", "28×28", "14×14", "7×7", "4×4"]
    assert {b["shortcut"] for b in data["blocks"]} == {"none"}


def test_compare_defaults_to_table1(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["compare", "--json"], capsys)
    assert status == 0
    assert [d["model"] for d in json.loads(out)] == ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152"]


def test_models_lists_names(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["models"], capsys)
    assert status == 0 and "resnext101_32x8d" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["stages", "resnet999"], "unknown model 'resnet999'"),
        (
            ["stages", "resnet18", "--input-size", "100000"],
            "input size for imagenet models (pixels) must be a whole number",
        ),
        (
            ["stages", "resnet18", "--input-size", "-1"],
            "input size for imagenet models (pixels) must be a whole number",
        ),
        (["stages", "resnet18", "--input-size", "big"], "invalid int value"),
        (["stages", "cifar_resnet9999"], "6n+2"),
        (["stages", "resnet18", "--shortcut", "Z"], "invalid choice"),
        (["compare", "resnet18", "cifar_resnet20"], "one family"),
        (["stages"], "required: model"),
        ([], "required: command"),
        (["gradlab", "--depth", "21"], "depth (6n+2) must be one of 8, 14, 20"),
        (["gradlab", "--depth", "1202"], "depth (6n+2) must be one of 8, 14, 20"),
        (["gradlab", "--steps", "-4"], "steps"),
        (["gradlab", "--activation", "gelu"], "invalid choice"),
        (["gradlab", "--lr", "0"], "learning rate"),
        (["score", "--images", "0"], "images must be a whole number from 1 to 10000"),
        (["train", "--steps", "0"], "steps must be a whole number from 1"),
        (["explain", "x.png", "--out", "o", "--device", "tpu"], "invalid choice"),
        (["lesion", "--delete", "conv9_1"], "no block conv9_1: this net has conv2_1 … conv4_3"),
        (["lesion", "--nets", "digits-56", "--draws", "0"], "draws must be a whole number from 1 to 50"),
        (["lesion", "--nets", "digits-56", "--train-steps", "0"], "steps must be a whole number from 1 to 5000"),
        (["lesion", "--nets", "vgg"], "invalid choice"),
        (["paths", "--samples", "0"], "samples must be a whole number from 1 to 200"),
        (["paths", "--images", "0"], "images must be a whole number from 1 to 400"),
    ],
)
def test_errors_are_one_line_with_status_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    one_line_error(*run(argv, capsys), message)


def _photo(tmp_path: Path) -> Path:
    path = tmp_path / "photo.png"
    Image.new("RGB", (120, 90), "orange").save(path)
    return path


def test_explain_with_random_weights_writes_overlays_and_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    argv = ["explain", str(_photo(tmp_path)), "--model", "resnet18", "--weights", "random", "--out", str(out)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy "not writable" warning, nor any other
        status, printed, _ = run([*argv, "--target", "golden retriever", "--input-size", "96", "--json"], capsys)
    assert status == 0
    summary = json.loads(printed)
    assert summary["target"] == {"index": 207, "name": "golden retriever"}
    assert summary["trained"] is False and "untrained" in summary["weights"]
    assert len(summary["predictions"]) == 5 and len(summary["blocks"]) == 8
    assert json.loads((out / "summary.json").read_text()) == summary
    overlays = sorted(p.name for p in out.glob("gradcam_*.png"))
    assert overlays[0] == "gradcam_01_conv2_1.png" and overlays[-1] == "gradcam_08_conv5_2.png"
    written = Image.open(out / "gradcam_08_conv5_2.png")
    assert written.size == (288, 288)  # 96² enlarged three times, pixel by pixel, to be seen
    assert written.text["explained class"] == "golden retriever (207)" and "ResNet-18" in written.text["model"]
    csv_lines = (out / "blocks.csv").read_text().splitlines()
    assert csv_lines[0] == "# ResNet Explorer export" and "# explained class: golden retriever (207)" in csv_lines
    assert len([line for line in csv_lines if not line.startswith("#")]) == 9


def test_explain_with_a_checkpoint_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    checkpoint = tmp_path / "r20.pth"
    torch.save(ModelSpec("cifar_resnet20").build().state_dict(), checkpoint)
    argv = ["explain", str(_photo(tmp_path)), "--model", "cifar_resnet20", "--weights", str(checkpoint)]
    status, out, _ = run([*argv, "--out", str(tmp_path / "out")], capsys)
    assert status == 0
    assert out.startswith("ResNet-20 (CIFAR) with Checkpoint r20.pth") and "9 Grad-CAM overlays" in out


def test_explain_takes_the_class_count_from_a_checkpoint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shipped = shipped_models()["shapes_resnet20"]  # six Shapes classes, loaded as a plain checkpoint file
    argv = ["explain", str(_photo(tmp_path)), "--model", "cifar_resnet20", "--weights", str(shipped.checkpoint)]
    status, out, _ = run([*argv, "--out", str(tmp_path / "out"), "--json"], capsys)
    assert status == 0
    summary = json.loads(out)
    assert 0 <= summary["target"]["index"] < 6 and summary["target"]["name"].startswith("class ")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "not in the local cache"),
        (["--weights", "nowhere.pth"], "no checkpoint file at 'nowhere.pth'"),
        (["--weights", "random", "--target", "unicorn"], "no class called 'unicorn'"),
        (["--weights", "random", "--model", "cifar_resnet21"], "6n+2"),
        (
            ["--weights", "random", "--input-size", "0"],
            "input size for imagenet models (pixels) must be a whole number from 32",
        ),
    ],
)
def test_explain_errors_are_one_line(
    tmp_path: Path, torch_home: Path, extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["explain", str(_photo(tmp_path)), "--model", "resnet18", "--out", str(tmp_path / "out"), *extra]
    one_line_error(*run(argv, capsys), message)


@pytest.mark.parametrize(("name", "data", "words"), HOSTILE, ids=[name for name, _, _ in HOSTILE])
def test_explain_refuses_hostile_checkpoints_in_one_line(
    tmp_path: Path, name: str, data: bytes, words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    argv = ["explain", str(_photo(tmp_path)), "--model", "cifar_resnet20", "--weights", str(path)]
    one_line_error(*run([*argv, "--out", str(tmp_path / "out")], capsys), words)


def test_explain_checks_the_output_folder_before_computing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    argv = ["explain", str(_photo(tmp_path)), "--weights", "nowhere.pth", "--out", str(blocker / "maps")]
    one_line_error(*run(argv, capsys), "cannot write to")  # before the missing weights are even looked at


def test_explain_refuses_a_bad_image(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff broken")
    one_line_error(*run(["explain", str(bad), "--weights", "random", "--out", str(tmp_path / "o")], capsys), "bad.jpg")
    missing = ["explain", str(tmp_path / "missing.png"), "--weights", "random", "--out", str(tmp_path)]
    one_line_error(*run(missing, capsys), "no image file")


def test_gradlab_at_initialisation_and_per_step(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["gradlab", "--depth", "20", "--plain", "--no-bn", "--init", "default", "--json"], capsys)
    data = json.loads(out)
    assert status == 0 and data["config"]["skip"] is False and data["steps"] == []
    assert 4e-8 / 3 <= data["at_initialisation"]["first_to_last_signal_ratio"] <= 4.3e-8 * 3
    layers = data["at_initialisation"]["layers"]
    assert [layer["name"] for layer in layers][:2] == ["conv1", "layer1.0"]
    relative = data["at_initialisation"]["first_to_last_relative_ratio"]
    assert relative == pytest.approx(layers[1]["relative"] / layers[-1]["relative"])  # the page's right-hand figure
    status, out, _ = run(["gradlab", "--depth", "20", "--plain", "--no-bn", "--init", "default"], capsys)
    assert "‖∂L/∂W‖/‖W‖" in out and "first block ÷ last block: " in out and "(it vanishes)" in out
    status, out, _ = run(["gradlab", "--depth", "8", "--steps", "2", "--no-bn", "--activation", "tanh"], capsys)
    assert status == 0 and out.startswith("ResNet-8, tanh, he init, no BN on ") and "training, 2 steps" in out


def test_gradlab_takes_shapes_data_and_pre_activation(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["gradlab", "--depth", "8", "--data", "shapes", "--preact", "--optimiser", "adam", "--lr", "0.001"]
    status, out, _ = run([*argv, "--steps", "1", "--json"], capsys)
    data = json.loads(out)
    assert status == 0 and data["config"]["data"] == "shapes" and data["config"]["preact"] is True
    assert data["config"]["optimiser"] == "adam" and len(data["steps"]) == 1


def _trained(tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]) -> tuple[str, Path]:
    out = tmp_path / name
    argv = ["train", "--depth", "8", "--steps", "3", "--batch-size", "8", "--train-images", "48"]
    status, printed, _ = run(
        [*argv, "--test-images", "20", "--only", "residual", "--device", "cpu", "--out", str(out)], capsys
    )
    assert status == 0
    return printed, out


def test_train_writes_a_checkpoint_and_a_retrain_is_bit_for_bit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    printed, first = _trained(tmp_path, "first", capsys)
    assert printed.startswith("ResNet-8 (CIFAR): test accuracy") and "shapes_resnet8.pt" in printed
    metadata = json.loads((first / "shapes_resnet8.json").read_text())
    assert metadata["recipe"]["steps"] == 3 and metadata["test_images"] == 20 and metadata["device"] == "cpu"
    _, second = _trained(tmp_path, "second", capsys)
    a = torch.load(first / "shapes_resnet8.pt", weights_only=True)
    b = torch.load(second / "shapes_resnet8.pt", weights_only=True)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_score_prints_a_table_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["score", "--images", "4"], capsys)
    assert status == 0 and out.startswith("Grad-CAM of the true class, 4 test images per model")
    assert "ResNet-20 (CIFAR) pointing" in out and "conv4_3" in out
    status, out, _ = run(["score", "--images", "4", "--json"], capsys)
    data = json.loads(out)
    assert status == 0 and list(data) == ["ResNet-20 (CIFAR)", "plain-20 (CIFAR)"]
    assert len(data["ResNet-20 (CIFAR)"]) == 9 and data["plain-20 (CIFAR)"][-1]["images"] == 4


def test_json_output_is_strict_json() -> None:
    text = to_json({"probability": float("nan"), "norms": [1.5, float("inf")], "name": "x"})
    assert json.loads(text) == {"probability": None, "norms": [1.5, None], "name": "x"}


def test_weights_list_shows_the_cache(torch_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["weights", "list"], capsys)
    assert status == 0 and out.startswith(f"torchvision's cache: {torch_home / 'hub' / 'checkpoints'} (0 of 9 cached)")
    assert "resnet50-11ad3fa6.pth" in out
    status, out, _ = run(["weights", "list", "--json"], capsys)
    rows = json.loads(out)
    assert status == 0 and len(rows) == 9 and rows[2]["model"] == "resnet50" and rows[2]["cached"] is False


def test_weights_download_from_a_mirror_with_progress(
    tmp_path: Path, torch_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = os.urandom(3 * 2**20)
    name = f"resnet18-{hashlib.sha256(data).hexdigest()[:8]}.pth"
    member = SimpleNamespace(url=f"https://download.pytorch.org/models/{name}", meta={"_file_size": 3.0})
    monkeypatch.setattr(imagenet, "imagenet_weights", lambda spec: member)
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / name).write_bytes(data)
    status, out, err = run(["weights", "download", "resnet18", "--mirror", mirror.as_uri()], capsys)
    cached = torch_home / "hub" / "checkpoints" / name
    assert status == 0 and out.strip() == f"resnet18: downloaded to {cached}" and cached.read_bytes() == data
    assert "3.0 / 3.0 MB" in err
    status, out, _ = run(["weights", "download", "resnet18"], capsys)
    assert status == 0 and out.strip() == f"resnet18: already cached at {cached}"


def test_lesion_deletes_named_blocks_and_draws_the_curve(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["lesion", "--delete", "conv3_2, conv2_1", "--images", "200", "--json"], capsys)
    result = json.loads(out)
    assert status == 0 and result["deleted"] == ["conv2_1", "conv3_2"]
    assert [row["net"] for row in result["errors"]] == ["ResNet-20", "plain-20"]
    assert all(row["error with the blocks deleted"] > row["intact error"] for row in result["errors"])
    status, out, _ = run(["lesion", "--swap", "--draws", "1", "--images", "200", "--json"], capsys)
    curves = json.loads(out)["curves"]
    assert status == 0 and curves["ResNet-20"][0]["k"] == 0 and curves["ResNet-20"][-1]["k"] == 8
    status, out, _ = run(["lesion", "--draws", "1", "--images", "200"], capsys)
    assert status == 0 and "blocks deleted  ResNet-20 error  plain-20 error" in out and "chance 83%" in out


def test_paths_reports_the_gradient_by_path_length(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["paths", "--samples", "2", "--images", "4", "--json"], capsys)
    result = json.loads(out)
    assert status == 0 and result["blocks"] == 9 and [r["length"] for r in result["lengths"]] == list(range(10))
    assert abs(sum(r["share of the gradient"] for r in result["lengths"]) - 1) < 1e-9
    assert result["lengths"][4]["share of paths"] == 126 / 512
