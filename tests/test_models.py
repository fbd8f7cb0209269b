"""The models: torchvision compatibility, exact sizes, plain and pre-activation variants."""

import io

import pytest
import torch
import torchvision
from torch import nn

from explorer import ModelSpec
from models import IMAGENET_BUILDERS, BasicBlock, ResidualBlock, ZeroPadShortcut, cifar_resnet

TORCHVISION_PARAMS = {  # ../shared/REFERENCE.md
    "resnet18": 11_689_512,
    "resnet34": 21_797_672,
    "resnet50": 25_557_032,
    "resnet101": 44_549_160,
    "resnet152": 60_192_808,
    "wide_resnet50_2": 68_883_240,
    "resnext50_32x4d": 25_028_904,
}
CIFAR_PARAMS = {20: 269_722, 32: 464_154, 44: 658_586, 56: 853_018, 110: 1_727_962}


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("name", list(IMAGENET_BUILDERS))
def test_state_dict_matches_torchvision(name: str) -> None:
    with torch.device("meta"):
        ours = IMAGENET_BUILDERS[name]()
        theirs = getattr(torchvision.models, name)()
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in theirs.state_dict().items()}
    assert n_params(ours) == n_params(theirs)


@pytest.mark.parametrize(("name", "count"), TORCHVISION_PARAMS.items())
def test_parameter_counts_match_reference(name: str, count: int) -> None:
    assert n_params(ModelSpec(name).build("meta")) == count


@pytest.mark.parametrize(("depth", "count"), CIFAR_PARAMS.items())
def test_cifar_option_a_parameter_counts(depth: int, count: int) -> None:
    assert n_params(ModelSpec(f"cifar_resnet{depth}").build("meta")) == count


def _randomise_batch_norm(model: nn.Module) -> None:
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)


@pytest.mark.parametrize(("name", "size"), [("resnet18", 224), ("resnet50", 224), ("resnext50_32x4d", 96)])
def test_torchvision_weights_load_strictly_and_agree(name: str, size: int) -> None:
    torch.manual_seed(1234)
    reference = getattr(torchvision.models, name)().eval()
    _randomise_batch_norm(reference)
    buffer = io.BytesIO()
    torch.save(reference.state_dict(), buffer)
    buffer.seek(0)
    ours = ModelSpec(name).build()
    ours.load_state_dict(torch.load(buffer, weights_only=True), strict=True)
    x = torch.randn(2, 3, size, size)
    with torch.no_grad():
        expected, got = reference(x), ours(x)
    assert (expected - got).abs().max().item() <= 1e-5
    assert got.abs().max().item() > 1e-3  # the comparison is not between zeros


def test_plain_counterpart_drops_only_the_shortcuts() -> None:
    residual = ModelSpec("resnet34").build("meta")
    plain = ModelSpec("resnet34", skip=False).build("meta")
    projections = sum(n_params(b.downsample) for _, b in residual.blocks() if b.downsample is not None)
    assert projections > 0
    assert n_params(plain) == n_params(residual) - projections
    assert all(b.shortcut_kind == "none" and b.downsample is None for _, b in plain.blocks())


def test_plain_block_output_is_the_residual_branch_alone() -> None:
    model = ModelSpec("cifar_resnet20", skip=False).build()
    block = model.layer1[0]
    x = torch.randn(2, 16, 8, 8)
    f, shortcut = block.branches(x)
    assert shortcut is None
    assert torch.equal(block(x), torch.relu(f))


def test_block_is_activation_of_residual_plus_shortcut() -> None:
    model = ModelSpec("resnet50").build()
    x = torch.randn(1, 256, 14, 14)
    for block in (model.layer2[0], model.layer2[1]):
        f, s = block.branches(x)
        assert torch.allclose(block(x), torch.relu(f + s))
        x = block(x)


@pytest.mark.parametrize(("option", "kinds"), [("A", {"identity", "zero-pad"}), ("B", {"identity", "projection"})])
def test_cifar_shortcut_options(option: str, kinds: set[str]) -> None:
    model = ModelSpec("cifar_resnet20", shortcut=option).build()
    assert {b.shortcut_kind for _, b in model.blocks()} == kinds
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)


def test_option_c_projects_every_shortcut() -> None:
    model = ModelSpec("resnet18", shortcut="C").build("meta")
    assert {b.shortcut_kind for _, b in model.blocks()} == {"projection"}


def test_zero_pad_shortcut_subsamples_and_pads_with_zeros() -> None:
    x = torch.randn(2, 16, 8, 8)
    y = ZeroPadShortcut(16, 32, 2)(x)
    assert y.shape == (2, 32, 4, 4)
    assert torch.equal(y[:, 8:24], x[:, :, ::2, ::2])
    assert y[:, :8].abs().sum() == 0 and y[:, 24:].abs().sum() == 0


def test_paper_stride_moves_the_stride_to_the_first_1x1() -> None:
    v15 = ModelSpec("resnet50").build("meta").layer2[0]
    v1 = ModelSpec("resnet50", stride_in_1x1=True).build("meta").layer2[0]
    assert (v15.conv1.stride, v15.conv2.stride) == ((1, 1), (2, 2))
    assert (v1.conv1.stride, v1.conv2.stride) == ((2, 2), (1, 1))


@pytest.mark.parametrize("name", ["resnet18", "resnet50", "cifar_resnet20"])
def test_preactivation_models_run_and_end_with_a_norm(name: str) -> None:
    spec = ModelSpec(name, preact=True)
    model = spec.build()
    size = spec.default_input_size if spec.family == "cifar" else 64
    out = model(torch.randn(2, 3, size, size))
    assert out.shape == (2, model.fc.out_features)
    assert isinstance(model.final_norm, nn.BatchNorm2d)
    block = model.blocks()[1][1]
    x = torch.randn(2, block.conv1.in_channels, 8, 8)
    f, s = block.branches(x)
    assert torch.allclose(block(x), f + s)  # no activation after the addition


def test_no_batch_norm_and_other_activations() -> None:
    model = ModelSpec("cifar_resnet20", batch_norm=False, activation="tanh").build()
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    assert all(isinstance(b.act, nn.Tanh) for _, b in model.blocks())
    assert torch.isfinite(model(torch.randn(2, 3, 32, 32))).all()


def test_sections_reproduce_the_forward_pass() -> None:
    model = ModelSpec("resnet18").build()
    x = torch.randn(1, 3, 64, 64)
    y = x
    for section in model.sections():
        y = section(y)
    assert torch.equal(y, model(x))
    assert [s.name for s in model.sections()] == ["conv1", "conv2_x", "conv3_x", "conv4_x", "conv5_x", "pool, fc"]


def test_blocks_are_listed_in_order_with_their_state_dict_prefix() -> None:
    model = cifar_resnet(20)
    names = [name for name, _ in model.blocks()]
    assert names[:4] == ["layer1.0", "layer1.1", "layer1.2", "layer2.0"] and len(names) == 9
    assert all(isinstance(b, ResidualBlock) for _, b in model.blocks())


def test_bad_cifar_depth_and_basic_block_options_are_refused() -> None:
    with pytest.raises(ValueError, match="6n\\+2"):
        cifar_resnet(21)
    with pytest.raises(ValueError, match="groups=1"):
        BasicBlock(64, 64, groups=32)
