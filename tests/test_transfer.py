"""Transfer learning: frozen parts stay bit for bit, the trainable counts, a short run learns the digits, the
exported weights load back in the image lab, the user's folders are checked, and the page and the command."""

import io
import json
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

from explorer.cli import main
from explorer.errors import UserError
from explorer.shapes.shipped import load_shipped, shipped_models
from explorer.spec import ModelSpec
from explorer.transfer import reading, targets
from explorer.transfer.finetune import (
    Recipe,
    Run,
    exported,
    fine_tune,
    parts,
    run_steps,
    start_model,
    trainable_parts,
)
from explorer.transfer.sources import SOURCES
from explorer.weights import CheckpointWeights
from tests.conftest import csv_lines, devices, open_page, shown

SPEC = ModelSpec("cifar_resnet20", num_classes=6)


@pytest.fixture(scope="module")
def source() -> torch.nn.Module:
    return load_shipped(shipped_models()["shapes_resnet20"])


@pytest.fixture(scope="module")
def digits() -> targets.TargetSet:
    return targets.built_in("digits", 32, 300)


@pytest.mark.parametrize("device", devices())
def test_frozen_parts_come_out_bit_for_bit_and_the_source_is_untouched(source, digits, device: str) -> None:
    kept = {k: v.clone() for k, v in source.state_dict().items()}
    short = Recipe(epochs=1, batch_size=32)
    for choice in ("head", "last", "last2"):
        *_, result = run_steps(SPEC, source.to(device), digits, Run(choice), short, device)
        model = start_model(SPEC, source, Run(choice), 10, 0, torch.device("cpu"))
        frozen = [name for name in parts(model) if name not in trainable_parts(model, choice)]
        prefixes = {"conv1": ("conv1.", "bn1."), **{f"conv{i}_x": (f"layer{i - 1}.",) for i in (2, 3, 4)}}
        checked = 0
        for key, value in result.state.items():  # weights and batch-norm statistics alike
            if any(key.startswith(p) for name in frozen for p in prefixes[name]):
                assert torch.equal(value, kept[key].cpu()), (choice, key)
                checked += 1
        assert checked > 0 and all(result.moved[name] == 0.0 for name in frozen)
        assert all(result.moved[name] > 0 for name in trainable_parts(model, choice))
    source.cpu()
    assert all(torch.equal(kept[k], v) for k, v in source.state_dict().items())


def test_trainable_counts_and_the_same_start_for_every_run(source) -> None:
    head = start_model(SPEC, source, Run("head"), 10, 0, torch.device("cpu"))
    assert sum(p.numel() for p in head.parameters() if p.requires_grad) == 64 * 10 + 10  # the head alone
    everything = start_model(SPEC, source, Run("all"), 10, 0, torch.device("cpu"))
    scratch = start_model(SPEC, source, Run("scratch"), 10, 0, torch.device("cpu"))
    assert torch.equal(head.fc.weight, everything.fc.weight) and torch.equal(head.fc.weight, scratch.fc.weight)
    assert torch.equal(head.conv1.weight, source.conv1.weight) and not torch.equal(scratch.conv1.weight,
                                                                                    source.conv1.weight)  # fmt: skip
    assert sum(p.numel() for p in scratch.parameters() if p.requires_grad) == sum(p.numel() for p in
                                                                                  scratch.parameters())  # fmt: skip


def test_a_short_run_on_the_digits_beats_chance_clearly_and_is_repeatable(source, digits) -> None:
    recipe = Recipe(epochs=4)
    first, again = (fine_tune(SPEC, source, digits, [Run("all"), Run("head", normalised=False)], recipe)
                    for _ in range(2))  # fmt: skip
    everything = first[0]
    assert everything.curve[-1].test_accuracy > 3.5 * digits.chance  # measured 51 %; chance 10 %
    assert [p.test_accuracy for p in everything.curve] == [p.test_accuracy for p in again[0].curve]  # same order
    assert len(everything.curve) == 5 and everything.curve[0].seconds == 0 and everything.curve[1].seconds > 0
    text = reading.runs_reading(first, digits.chance)
    assert f"Best on the held-out images: **everything**, {everything.curve[-1].test_accuracy:.1%}" in text
    most = max((p for p in everything.moved if p != "fc"), key=everything.moved.get)
    assert reading.moved_reading(first).startswith(f"*everything*: {most} moved most")  # head-only runs say nothing
    lines = csv_lines(reading.curves_csv(first, {"source": "shapes-resnet20"}), source="shapes-resnet20")
    assert lines[0].startswith("run,choice,normalised") and len(lines) == 1 + 2 * 5
    assert len(everything.cams_before) == len(everything.cams_after) == 4 and everything.cams_after[0].max() == 1


def test_exported_weights_load_in_the_image_lab_and_predict_the_same(source, digits) -> None:
    result = fine_tune(SPEC, source, digits, [Run("last")], Recipe(epochs=1))[0]
    loaded = CheckpointWeights(exported(result), "finetuned.pth").load(ModelSpec("cifar_resnet20"))
    assert loaded.spec.class_count == 10 and loaded.trained
    own = start_model(SPEC, source, Run("last"), 10, 0, torch.device("cpu"))
    own.load_state_dict(result.state)
    x = targets.to_input(digits.test_pictures[:16])
    with torch.no_grad():
        assert torch.equal(loaded.model(x).argmax(1), own(x).argmax(1))
        torch.testing.assert_close(loaded.model(x), own(x))


def png(colour: int = 0) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((20, 20, 3), colour, dtype=np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_good_folder_becomes_a_target_set(tmp_path) -> None:
    files = {f"{name}/{i}.png": png(c + i) for name, c in (("dark", 10), ("light", 240)) for i in range(4)}
    archive = targets.read_archive(zipped({f"mine/{k}": v for k, v in files.items()}))
    own = targets.own_images(archive, 32)
    assert own.class_names == ("dark", "light") and own.train_pictures.shape == (6, 32, 32, 3)
    assert sorted(own.test_labels.tolist()) == [0, 1]  # a quarter of each class held out, at least one
    for name, data in files.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(data)
    assert targets.own_images(targets.read_folder(tmp_path), 32).class_names == ("dark", "light")


@pytest.mark.parametrize(
    ("files", "message"),
    [({"cats/a.png": png(), "cats/b.png": png()}, "has 1 class folder: at least 2 classes are needed"),
     ({"cats/a.png": png(), "cats/b.png": png(), "dogs/": b""}, "class folder 'dogs' holds no images"),
     ({"cats/a.png": png(), "cats/b.png": png(), "dogs/a.txt": b"hello"}, "'dogs/a.txt' is not an image file"),
     ({"cats/a.png": png(), "cats/b.png": png(), "dogs/a.png": b"no", "dogs/b.png": png()}, "dogs/a.png: "),
     ({"cats/a.png": png(), "cats/b.png": png(), "dogs/a.png": png()}, "class 'dogs' has fewer than 2 images"),
     ({"a.png": png(), "b.png": png()}, "'a.png' is not inside a class folder"),
     ({f"c{i % 2}/{i}.png": b"" for i in range(targets.MAX_FILES + 1)}, "at most 2,000 are accepted"),
     ({}, "no files")],
)  # fmt: skip
def test_bad_folders_get_one_line(files: dict[str, bytes], message: str) -> None:
    with pytest.raises(targets.TargetError, match=message) as caught:
        targets.own_images(targets.read_archive(zipped(files), "mine.zip"), 32, "mine.zip")
    assert "\n" not in str(caught.value)


def test_bad_archives_and_settings_get_one_line() -> None:
    with pytest.raises(targets.TargetError, match="is not a readable zip archive"):
        targets.read_archive(b"PK\x03\x04 garbage", "broken.zip")
    with pytest.raises(UserError, match="training images must be a whole number from 1 to 1597"):
        targets.built_in("digits", 32, 5000)
    with pytest.raises(UserError, match="epochs must be a whole number from 1 to 50"):
        Recipe(epochs=0)
    with pytest.raises(UserError, match="run must be one of head, last"):
        Run("half")
    with pytest.raises(UserError, match="ImageNet weights for ResNet-18 are not in the local cache"):
        SOURCES["imagenet-resnet18"].load()


def test_the_command_fine_tunes_exports_and_refuses(tmp_path, capsys) -> None:
    argv = ["transfer", "--runs", "head,all", "--epochs", "1", "--train-images", "64", "--export", str(tmp_path)]
    assert main([*argv, "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert [r["choice"] for r in found["runs"]] == ["head", "all"] and found["runs"][0]["trainable"] == 650
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curves.csv", "shapes-resnet20_all.pth",
                                                          "shapes-resnet20_head.pth"]  # fmt: skip
    assert main(["transfer", "--target", str(tmp_path / "none")]) == 2
    assert "a folder or a .zip" in capsys.readouterr().err
    assert main(["transfer", "--runs", "half"]) == 2


def test_the_page_fine_tunes_on_request_and_keeps_the_runs() -> None:
    at = open_page("pages/9_Transfer_learning.py")
    assert "normalised channel by channel with the ImageNet mean" in " ".join(m.value for m in at.markdown)
    assert not at.get("plotly_chart")
    at.select_slider(key="widget.epochs").set_value(1).run()
    at.select_slider(key="widget.transfer_images").set_value(50).run()
    at.multiselect(key="widget.runs").set_value(["head", "scratch"]).run()
    at.button(key="transfer.start").click().run()
    assert not at.exception, at.exception
    runs = [shown(row) for row in at.table[0].value["run"]]
    assert runs == ["head only (feature extractor)", "from scratch (random initialisation)",
                    "head only (feature extractor), without the normalisation"]  # fmt: skip
    assert len(at.get("plotly_chart")) == 2  # the curves and how far each part moved
    captions = [c for image in at.get("image") for c in image.captions]
    assert sum(c.startswith("before: ") for c in captions) == sum(c.startswith("after: ") for c in captions) == 12
    at.run()
    assert len(at.get("plotly_chart")) == 2  # kept for the next rerun (and every other session)
