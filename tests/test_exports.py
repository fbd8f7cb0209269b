"""Exports carry their provenance, and demos are kept on disk by their settings."""

import io
import json
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from explorer import recordings
from explorer.provenance import csv_text, png_bytes, zip_pngs
from explorer.render import enlarged

CURVE = {"curve": [float]}  # the shape of the results these tests record


def test_a_csv_says_what_made_it_in_a_header_block() -> None:
    details = {"model": "ResNet-20 (CIFAR)", "weights": "Checkpoint x.pth"}
    text = csv_text(["a", "b"], [{"a": 1, "b": 2}, {"a": "x, y"}], details)
    lines = text.splitlines()
    assert lines[0] == "# ResNet Explorer export" and "# model: ResNet-20 (CIFAR)" in lines
    assert [line for line in lines if not line.startswith("#")] == ["a,b", "1,2", '"x, y",']


def test_pngs_and_zips_carry_the_same_details() -> None:
    details = {"model": "ResNet-50", "explained class": "tabby (281)"}
    png = Image.open(io.BytesIO(png_bytes(Image.new("RGB", (8, 8)), details)))
    assert png.text["model"] == "ResNet-50" and png.text["explained class"] == "tabby (281)" and "made" in png.text
    archive = zipfile.ZipFile(io.BytesIO(zip_pngs({"conv2_1": Image.new("RGB", (8, 8))}, details)))
    assert sorted(archive.namelist()) == ["conv2_1.png", "provenance.json"]
    assert json.loads(archive.read("provenance.json"))["model"] == "ResNet-50"


def test_small_images_are_enlarged_pixel_by_pixel() -> None:
    small = Image.new("RGB", (32, 32), "red")
    assert enlarged(small).size == (224, 224) and enlarged(Image.new("RGB", (96, 60))).size == (384, 240)
    assert enlarged(Image.new("RGB", (300, 300))).size == (300, 300)


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EXPLORER_RECORDINGS", str(tmp_path / "kept"))
    return tmp_path / "kept"


def test_a_recording_is_found_again_only_by_the_same_settings(folder: Path) -> None:
    assert recordings.load("degradation", {"steps": 100}, CURVE) is None
    made = recordings.save("degradation", {"steps": 100, "depths": [20, 56]}, {"curve": [1.0, 0.5]}, "CPU · 2 threads")
    found = recordings.load("degradation", {"steps": 100, "depths": [20, 56]}, CURVE)
    assert found == made and found.results == {"curve": [1.0, 0.5]} and found.device == "CPU · 2 threads"
    assert recordings.load("degradation", {"steps": 200, "depths": [20, 56]}, CURVE) is None
    assert recordings.load("live-run", {"steps": 100, "depths": [20, 56]}, CURVE) is None
    assert len(list(folder.iterdir())) == 1


def test_a_broken_or_unwritable_folder_is_not_an_error(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recordings.save("degradation", {"steps": 1}, {"x": 1}, "CPU")
    next(folder.iterdir()).write_text("{ not json")
    assert recordings.load("degradation", {"steps": 1}, {"x": int}) is None
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("EXPLORER_RECORDINGS", str(blocker / "under"))
    assert recordings.save("degradation", {"steps": 1}, {"x": 1}, "CPU").results == {"x": 1}
