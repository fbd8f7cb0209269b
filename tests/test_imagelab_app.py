"""The image lab page, driven by AppTest: samples, uploads, weights, targets, and every bad input."""

import io
from pathlib import Path

import pytest
import torch
import torchvision
from PIL import Image
from streamlit.testing.v1 import AppTest

from explorer import ModelSpec
from explorer.shapes.shipped import shipped_models
from explorer.weights import imagenet
from tests.conftest import ROOT, shown, shown_tables
from tests.hostile import hostile_checkpoints
from tests.test_images import png_claiming

LAB = "pages/2_Image_lab.py"


def png(colour: str = "orange", size: tuple[int, int] = (80, 60)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def open_lab(family: str = "imagenet", model: str = "resnet18") -> AppTest:
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=180)
    at.run()
    if family == "cifar":
        at.radio(key="widget.family").set_value("cifar").run()
    else:
        at.selectbox(key="widget.imagenet_model").set_value(model).run()
    at.switch_page(LAB).run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    return " ".join(shown(e.value) for e in [*at.markdown, *at.caption, *at.warning, *at.success, *at.info, *at.error])


def image_captions(at: AppTest) -> list[str]:
    return [caption for image in at.get("image") for caption in image.captions]


def test_sample_without_cached_weights_falls_back_to_untrained_and_says_so(torch_home: Path) -> None:
    at = open_lab()
    assert "not in the local cache" in at.warning[0].value
    assert any("Random initialisation" in w.value for w in at.warning)
    assert len(at.get("plotly_chart")) >= 3
    captions = image_captions(at)
    assert captions[0] == "what the network sees: 224×224"
    blocks = sorted(c.split(" · ")[0] for c in captions if " · " in c)  # the strip is laid out in columns
    assert blocks == ["conv2_1", "conv2_2", "conv3_1", "conv3_2", "conv4_1", "conv4_2", "conv5_1", "conv5_2"]
    assert "One forward and one backward pass recorded all 8 blocks" in texts(at)
    buttons = [b for b in at.get("download_button")]
    assert len(buttons) == 2


def test_cached_imagenet_weights_are_used(torch_home: Path) -> None:
    member = imagenet.imagenet_weights(ModelSpec("resnet18"))
    path = imagenet.cache_path(member)
    path.parent.mkdir(parents=True)
    torch.manual_seed(0)
    torch.save(torchvision.models.resnet18().state_dict(), path)
    at = open_lab()
    assert any("ImageNet weights" in s.value for s in at.success)
    assert not any("not in the local cache" in w.value for w in at.warning)


def test_upload_then_retarget(torch_home: Path) -> None:
    at = open_lab()
    at.segmented_control(key="widget.source").set_value("Upload").run()
    at.file_uploader(key="lab.upload").set_value(("photo.png", png(), "image/png")).run()
    assert not at.exception and not at.error
    at.selectbox(key="widget.target").set_value(207).run()
    assert "Explaining **golden retriever** (207)" in texts(at)
    at.file_uploader(key="lab.upload").set_value(("other.png", png("navy"), "image/png")).run()
    assert at.selectbox(key="widget.target").value is None  # a new image starts at its own top class


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("broken.png", png()[:60], "broken.png"),
        ("notes.png", b"just some text, not an image", "not an image"),
        ("empty.png", b"", "empty"),
        ("tiny.png", png(size=(3, 3)), "at least 16 pixels"),
        ("strip.png", png(size=(2000, 20)), "20"),
        ("bomb.png", png_claiming(100_000, 100_000), "megapixels"),
    ],
    ids=["truncated", "text", "empty", "tiny", "extreme-aspect", "pixel-bomb"],
)
def test_bad_uploads_get_one_message_and_the_next_good_upload_works(
    torch_home: Path, name: str, data: bytes, message: str
) -> None:
    at = open_lab("cifar")
    at.segmented_control(key="widget.source").set_value("Upload").run()
    at.file_uploader(key="lab.upload").set_value((name, data, "image/png")).run()
    assert not at.exception
    assert len(at.error) == 1 and message in shown(at.error[0].value)
    assert "\n" not in at.error[0].value
    at.file_uploader(key="lab.upload").set_value(("good.png", png("teal"), "image/png")).run()
    assert not at.exception and not at.error
    assert "recorded all 9 blocks" in texts(at)


def _checkpoint(spec: ModelSpec) -> bytes:
    buffer = io.BytesIO()
    torch.save(spec.build().state_dict(), buffer)
    return buffer.getvalue()


def test_checkpoints_good_mismatched_and_malicious(torch_home: Path, tmp_path: Path) -> None:
    at = open_lab("cifar")
    at.radio(key="widget.weights").set_value("checkpoint").run()
    assert any("weights_only=True" in i.value for i in at.info)
    at.file_uploader(key="lab.checkpoint").set_value(("r20.pth", _checkpoint(ModelSpec("cifar_resnet20")), "")).run()
    assert not at.exception and not at.error
    assert any("Checkpoint r20.pth" in shown(s.value) for s in at.success)

    wrong = _checkpoint(ModelSpec("cifar_resnet32"))
    at.file_uploader(key="lab.checkpoint").set_value(("r32.pth", wrong, "")).run()
    assert not at.exception and len(at.error) == 1
    assert "unexpected" in at.error[0].value

    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self) -> tuple:
            import os

            return (os.system, (f"touch {marker}",))

    buffer = io.BytesIO()
    torch.save({"conv1.weight": torch.zeros(1), "evil": Evil()}, buffer)
    at.file_uploader(key="lab.checkpoint").set_value(("evil.pth", buffer.getvalue(), "")).run()
    assert not at.exception and len(at.error) == 1 and "refused" in at.error[0].value
    assert not marker.exists()

    at.file_uploader(key="lab.checkpoint").set_value(("r20.pth", _checkpoint(ModelSpec("cifar_resnet20")), "")).run()
    assert not at.error and any("Checkpoint r20.pth" in shown(s.value) for s in at.success)


def test_plain_model_in_the_lab(torch_home: Path) -> None:
    at = open_lab("cifar")
    at.toggle(key="widget.skip").set_value(False).run()
    assert not at.exception
    assert "A plain network has no shortcut" in texts(at)


def test_captum_method_button(torch_home: Path) -> None:
    at = open_lab("cifar")
    at.radio(key="widget.method").set_value("Integrated Gradients").run()
    at.button(key="lab.compute").click().run()
    assert not at.exception
    assert any(c.startswith("Integrated Gradients for") for c in image_captions(at))


def test_shapes_weights_and_scored_maps(torch_home: Path) -> None:
    at = open_lab()
    at.radio(key="widget.weights").set_value("shapes").run()
    assert "no Shapes-trained weights for ResNet-18" in shown(at.warning[0].value)
    at.button(key="lab.use_shapes").click().run()
    assert not at.exception
    accuracy = shipped_models()["shapes_resnet20"].metadata["test_accuracy"]
    assert any(f"Shapes-trained ResNet-20 (CIFAR): {accuracy:.1%} test accuracy" in shown(s.value) for s in at.success)
    at.segmented_control(key="widget.source").set_value("Shapes").run()
    at.number_input(key="widget.shapes_index").set_value(3).run()
    assert not at.exception and not at.error
    assert "Scored against the truth" in texts(at)
    scored = shown_tables(at)[0]
    assert list(scored.columns) == ["block", "peak in box", "energy on object"] and len(scored) == 9
    assert scored["peak in box"].iloc[-1] == "✓"


def test_shapes_dataset_page(torch_home: Path) -> None:
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=300)
    at.run()
    at.switch_page("pages/3_Shapes_dataset.py").run()
    assert not at.exception
    captions = image_captions(at)
    assert len(captions) == 12 and captions[0].startswith("#0: ")
    shipped, scores = shown_tables(at)
    assert list(shipped["model"]) == ["ResNet-20 (CIFAR)", "plain-20 (CIFAR)"]
    assert shipped["test accuracy"].iloc[0] == f"{shipped_models()['shapes_resnet20'].metadata['test_accuracy']:.2%}"
    assert list(scores["block"])[-1] == "conv4_3" and len(scores) == 9
    at.number_input(key="widget.shapes_seed").set_value(5).run()
    assert image_captions(at) != captions


def _explain_twice_with_other_weights_in_the_same_model_object() -> None:
    from dataclasses import replace

    import numpy as np
    import streamlit as st
    import torch
    from PIL import Image

    from explorer import ModelSpec, RandomWeights, load_model
    from explorer.ui import imagelab

    loaded = load_model(ModelSpec("cifar_resnet8"), RandomWeights())
    image = imagelab.PreparedImage(("image", 32), torch.randn(1, 3, 32, 32), Image.new("RGB", (32, 32)), None)
    first = imagelab.explanation(loaded, image, None).result
    with torch.no_grad():  # the same object now holds other weights, as a recycled model would
        for parameter in loaded.model.parameters():
            parameter.mul_(-1.5)
    second = imagelab.explanation(replace(loaded, weights_id="checkpoint:other"), image, None).result
    again = imagelab.explanation(replace(loaded, weights_id="checkpoint:other"), image, None).result
    recomputed = not np.array_equal(first.probabilities, second.probabilities)
    st.write(f"recomputed: {recomputed}, reused: {again is second}")


def test_the_stored_explanation_is_keyed_on_the_weights_not_the_model_object() -> None:
    at = AppTest.from_function(_explain_twice_with_other_weights_in_the_same_model_object, default_timeout=120).run()
    assert not at.exception and at.markdown[0].value == "recomputed: True, reused: True"


def test_hostile_checkpoints_get_one_line_each_and_the_next_good_one_loads() -> None:
    at = open_lab("cifar")
    at.radio(key="widget.weights").set_value("checkpoint").run()
    uploader = at.file_uploader(key="lab.checkpoint")
    assert "up to 600 MB" in uploader.label and uploader.proto.max_upload_size_mb == 600
    for name, data, words in hostile_checkpoints():
        at.file_uploader(key="lab.checkpoint").set_value((name, data, "")).run()
        assert not at.exception, name
        assert len(at.error) == 1 and words in shown(at.error[0].value) and "\n" not in at.error[0].value, name
        assert not at.success  # nothing is shown as loaded weights
    at.file_uploader(key="lab.checkpoint").set_value(("r20.pth", _checkpoint(ModelSpec("cifar_resnet20")), "")).run()
    assert not at.error and any("Checkpoint r20.pth" in shown(s.value) for s in at.success)


def test_the_image_limit_stays_small_and_is_on_the_page() -> None:
    at = open_lab("cifar")
    at.segmented_control(key="widget.source").set_value("Upload").run()
    uploader = at.file_uploader(key="lab.upload")
    assert "up to 25 MB" in uploader.label and uploader.proto.max_upload_size_mb == 25


def test_file_names_are_shown_literally_never_as_markdown() -> None:
    at = open_lab("cifar")
    at.segmented_control(key="widget.source").set_value("Upload").run()
    name = "[click me](javascript:alert(1)) **:red[x]** $x$.png"
    at.file_uploader(key="lab.upload").set_value((name, b"not an image", "image/png")).run()
    message = at.error[0].value
    assert "\\[click me\\]\\(javascript\\:alert\\(1\\)\\)" in message and "\\*\\*\\:red\\[x\\]" in message
    assert name in shown(message)
