"""Model descriptions: names, labels, and clear refusals."""

import pytest

from explorer import ModelSpec, check_input_size
from explorer.errors import UserError


@pytest.mark.parametrize(
    ("spec", "label"),
    [
        (ModelSpec("resnet50"), "ResNet-50"),
        (ModelSpec("resnet34", skip=False), "plain-34"),
        (ModelSpec("cifar_resnet56"), "ResNet-56 (CIFAR)"),
        (ModelSpec("cifar_resnet20", skip=False), "plain-20 (CIFAR)"),
        (ModelSpec("resnext50_32x4d"), "ResNeXt-50 32x4d"),
        (ModelSpec("resnet50", stride_in_1x1=True, preact=True), "ResNet-50 (pre-activation, paper stride (v1))"),
        (ModelSpec("resnet18", stride_in_1x1=True), "ResNet-18"),
    ],
)
def test_labels(spec: ModelSpec, label: str) -> None:
    assert str(spec.label) == label


def test_family_defaults() -> None:
    assert ModelSpec("resnet18").shortcut_option == "B" and ModelSpec("resnet18").default_input_size == 224
    assert ModelSpec("cifar_resnet20").shortcut_option == "A" and ModelSpec("cifar_resnet20").family == "cifar"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "resnet51"}, "unknown model 'resnet51': did you mean resnet50"),
        ({"name": "vgg16"}, "unknown model 'vgg16'"),
        ({"name": "cifar_resnet21"}, "6n\\+2 between 8 and 1202"),
        ({"name": "cifar_resnet2"}, "6n\\+2"),
        ({"name": "cifar_resnet100000"}, "6n\\+2 between 8 and 1202"),
        ({"name": "resnet18", "shortcut": "D"}, "shortcut option must be one of A, B, C"),
        ({"name": "resnet18", "activation": "gelu"}, "activation must be one of relu, tanh, sigmoid"),
        ({"name": "resnet18", "num_classes": 0}, "number of classes"),
    ],
)
def test_bad_specs_are_refused_in_one_line(kwargs: dict, message: str) -> None:
    with pytest.raises(UserError, match=message) as error:
        ModelSpec(**kwargs)
    assert "\n" not in str(error.value)


def test_specs_are_hashable_and_copyable() -> None:
    spec = ModelSpec("resnet18")
    assert {spec: 1}[ModelSpec("resnet18")] == 1
    assert spec.with_options(skip=False).skip is False
    with pytest.raises(UserError):
        spec.with_options(name="nope")


def test_input_size_bounds() -> None:
    assert check_input_size("cifar", 8) == 8
    with pytest.raises(
        UserError, match="input size for cifar models \\(pixels\\) must be a whole number from 8 to 4096"
    ):
        check_input_size("cifar", 4)


def test_the_logic_imports_without_streamlit() -> None:
    import subprocess
    import sys

    from tests.conftest import ROOT

    code = "import sys, explorer, models, explorer.cli; assert 'streamlit' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=120).returncode == 0
