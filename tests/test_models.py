"""The models: torchvision compatibility, exact sizes, plain and pre-activation variants."""

import io

import pytest
import torch
import torch.nn.functional as F
import torchvision
from torch import nn

from explorer import ModelSpec
from models import IMAGENET_BUILDERS, BasicBlock, ResidualBlock, ZeroPadShortcut, cifar_resnet

TORCHVISION_PARAMS = {  # docs/reference.md, torchvision
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
    assert torch.equal(s, x)  # an identity shortcut inside a stage carries x itself


# The pre-activation net of fb.resnet.torch's models/preresnet.lua (He et al. 2016), written out here
# from that file's structure, independently of models/resnet.py: it only borrows the leaf layers
# (convolutions, batch norms, the classifier) of one of our models, and composes them in its own order.


def _lua_shortcut(block: nn.Module, x: torch.Tensor, option: str, n_in: int, n_out: int, stride: int) -> torch.Tensor:
    if option == "C" or (option == "B" and n_in != n_out):
        (projection,) = block.downsample  # a 1×1 conv, no batch norm
        assert isinstance(projection, nn.Conv2d) and projection.stride == (stride, stride)
        return projection(x)
    if n_in != n_out:  # option A; our zero channels sit half before, half after (see ResNet's docstring)
        return ZeroPadShortcut(n_in, n_out, stride)(x)
    return x


def _lua_block(block: nn.Module, x: torch.Tensor, kind: str | None, option: str) -> torch.Tensor:
    convs = block.branch_convs()
    n_in, n_out, stride = convs[0].in_channels, convs[-1].out_channels, max(c.stride[0] for c in convs)
    norms = [block.bn2, block.bn3] if len(convs) == 3 else [block.bn2]
    if kind == "both_preact":  # block:add(BN, ReLU) before the ConcatTable: both branches get it
        x = F.relu(block.bn1(x))
        branch = x
    elif kind == "no_preact":
        assert block.bn1 is None
        branch = x
    else:
        branch = F.relu(block.bn1(x))
    for conv, norm in zip(convs, [*norms, None], strict=True):
        branch = conv(branch)
        if norm is not None:
            branch = F.relu(norm(branch))
    return branch + _lua_shortcut(block, x, option, n_in, n_out, stride)


def _lua_preresnet(model: nn.Module, x: torch.Tensor, dataset: str, option: str) -> torch.Tensor:
    if dataset == "imagenet":  # Convolution, SBatchNorm, ReLU, Max(3,3,2,2,1,1)
        x = F.max_pool2d(F.relu(model.bn1(model.conv1(x))), 3, 2, 1)
    else:  # Convolution alone
        assert model.bn1 is None
        x = model.conv1(x)
    for index, stage in enumerate(
        model.stages
    ):  # layer(): the first block 'no_preact' after 'first', else 'both_preact'
        first = "no_preact" if dataset == "imagenet" and index == 0 else "both_preact"
        for position, block in enumerate(stage):
            x = _lua_block(block, x, first if position == 0 else None, option)
    x = F.relu(model.final_norm(x))  # SBatchNorm, ReLU, Avg, View, Linear
    return model.fc(x.mean(dim=(2, 3)))


@pytest.mark.parametrize(
    ("name", "option", "size"),
    [("resnet18", "B", 64), ("resnet50", "B", 64), ("resnet18", "C", 64), ("cifar_resnet20", "A", 32),
     ("cifar_resnet20", "B", 32)],
)  # fmt: skip
def test_preactivation_matches_fb_resnet_torch(name: str, option: str, size: int) -> None:
    torch.manual_seed(3)
    spec = ModelSpec(name, preact=True, shortcut=option)
    model = spec.build()
    _randomise_batch_norm(model)
    x = torch.randn(2, 3, size, size)
    with torch.no_grad():
        ours, reference = model(x), _lua_preresnet(model, x, spec.family, option)
    assert (ours - reference).abs().max().item() <= 1e-5
    assert ours.abs().max().item() > 1e-3
    norms = sum(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    blocks, convs_per_block = len(model.blocks()), len(model.blocks()[0][1].branch_convs())
    stem = 1 if spec.family == "imagenet" else 0  # and the first ImageNet block has one norm fewer
    assert norms == stem + blocks * convs_per_block - stem + 1


def test_no_batch_norm_and_other_activations() -> None:
    model = ModelSpec("cifar_resnet20", batch_norm=False, activation="tanh").build()
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    assert all(isinstance(b.act, nn.Tanh) for _, b in model.blocks())
    assert torch.isfinite(model(torch.randn(2, 3, 32, 32))).all()


def test_the_sections_compute_the_rows_of_table_1_as_torchvision_does() -> None:
    torch.manual_seed(0)
    reference = torchvision.models.resnet18().eval()
    _randomise_batch_norm(reference)
    ours = ModelSpec("resnet18").build()
    ours.load_state_dict(reference.state_dict(), strict=True)
    rows = [  # what each row of Table 1 is, written out on torchvision's own modules
        lambda h: reference.relu(reference.bn1(reference.conv1(h))),
        lambda h: reference.layer1(reference.maxpool(h)),
        reference.layer2,
        reference.layer3,
        reference.layer4,
        lambda h: reference.fc(torch.flatten(reference.avgpool(h), 1)),
    ]
    assert [s.name for s in ours.sections()] == ["conv1", "conv2_x", "conv3_x", "conv4_x", "conv5_x", "pool, fc"]
    h_ours = h_reference = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        for section, row in zip(ours.sections(), rows, strict=True):
            h_ours, h_reference = section(h_ours), row(h_reference)
            assert h_ours.shape == h_reference.shape and (h_ours - h_reference).abs().max() <= 1e-5, section.name


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
