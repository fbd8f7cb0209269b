"""The lesion study and the paths: lesions as a walk over the shared model, checked against models rebuilt by hand;
the curves on trained nets; path gradients that add up to the whole gradient."""

import copy
import itertools
import math
from pathlib import Path

import pytest
import torch
from torch import nn

from explorer.lesions import nets, paths, reading, study
from explorer.lesions.lesion import Lesion, bypass, changes_shape, error, forward, swappable
from explorer.spec import ModelSpec
from models import ResNet, cifar_resnet
from models.resnet import ZeroPadShortcut, resnet18
from tests.conftest import csv_lines, devices

pytestmark = pytest.mark.usefixtures("recordings_folder")  # never the real recordings


def _variants() -> list[tuple[str, ResNet, torch.Tensor]]:
    cifar = torch.randn(4, 3, 16, 16)
    return [
        ("cifar20", cifar_resnet(20), cifar),
        ("cifar20 plain", ModelSpec("cifar_resnet20", skip=False).build("cpu"), cifar),
        ("cifar20 preact", ModelSpec("cifar_resnet20", preact=True).build("cpu"), cifar),
        ("resnet18", resnet18(), torch.randn(2, 3, 64, 64)),
        ("resnet50 plain", ModelSpec("resnet50", skip=False).build("cpu"), torch.randn(2, 3, 64, 64)),
    ]


def _rebuilt_without(model: ResNet, deleted: set[int]) -> ResNet:
    """An independent oracle: a deep copy whose deleted blocks are replaced, inside their stages, by what is left."""
    clone = copy.deepcopy(model)
    index = 0
    for number, stage in enumerate(clone.stages):
        for j, block in enumerate(stage):
            if index in deleted:
                if block.skip and block.downsample is not None:
                    stage[j] = block.downsample if block.preact_input != "both" else _preact_then(block)
                elif block.skip:
                    stage[j] = nn.Identity() if block.preact_input != "both" else _preact_then(block)
                elif changes_shape(block):
                    convs = block.branch_convs()
                    stride = 1 if number == 0 else 2  # the first stage keeps the stem's resolution
                    stage[j] = ZeroPadShortcut(convs[0].in_channels, convs[-1].out_channels, stride)
                else:
                    stage[j] = nn.Identity()
            index += 1
    return clone


def _preact_then(block: nn.Module) -> nn.Module:
    """The shortcut of a block whose pre-activation feeds both branches: BN → activation → (projection)."""
    carry = block.downsample if block.downsample is not None else nn.Identity()
    return nn.Sequential(block.bn1, block.act, carry)


@pytest.mark.parametrize("name, model, x", _variants(), ids=[v[0] for v in _variants()])
def test_no_lesion_is_the_intact_model_bit_for_bit(name: str, model: ResNet, x: torch.Tensor) -> None:
    model.eval()
    with torch.no_grad():
        assert torch.equal(forward(model, x, Lesion()), model(x))


@pytest.mark.parametrize("name, model, x", _variants(), ids=[v[0] for v in _variants()])
def test_deleting_blocks_equals_the_model_rebuilt_without_them(name: str, model: ResNet, x: torch.Tensor) -> None:
    model.eval()
    count = len(model.blocks())
    before = {k: v.clone() for k, v in model.state_dict().items()}
    for deleted in ({0}, {1}, {count // 2, count - 1}, set(range(count))):
        with torch.no_grad():
            got = forward(model, x, Lesion.delete(deleted))
            expected = _rebuilt_without(model, deleted)(x)
        torch.testing.assert_close(got, expected, rtol=0, atol=1e-6, msg=f"{name}: {sorted(deleted)}")
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # the shared model is untouched
    assert not any(m._forward_hooks or m._forward_pre_hooks for m in model.modules())


def test_a_deleted_downsampling_block_keeps_its_shortcut() -> None:
    model = resnet18().eval()
    first_of_stage2 = model.layer2[0]
    x = torch.randn(1, 64, 16, 16)
    assert changes_shape(first_of_stage2) and first_of_stage2.shortcut_kind == "projection"
    with torch.no_grad():
        assert torch.equal(bypass(first_of_stage2, x), first_of_stage2.downsample(x))
    assert bypass(first_of_stage2, x).shape == first_of_stage2(x).shape


def test_swaps_equal_the_model_with_its_blocks_swapped() -> None:
    model = cifar_resnet(20).eval()
    assert swappable(model) == [0, 1, 4, 7]  # inside a stage, never with a block that changes the shape
    x = torch.randn(3, 3, 16, 16)
    clone = copy.deepcopy(model)
    clone.layer1[0], clone.layer1[1] = clone.layer1[1], clone.layer1[0]
    clone.layer3[1], clone.layer3[2] = clone.layer3[2], clone.layer3[1]
    with torch.no_grad():
        torch.testing.assert_close(forward(model, x, Lesion.swap([0, 7], 9)), clone(x), rtol=0, atol=0)


def test_bad_lesions_are_refused() -> None:
    model = cifar_resnet(8).eval()
    with pytest.raises(ValueError, match="from 0 to 2"):
        forward(model, torch.randn(1, 3, 8, 8), Lesion.delete([3]))
    with pytest.raises(ValueError, match="every block"):
        forward(model, torch.randn(1, 3, 8, 8), Lesion(order=(0, 0, 1)))
    with pytest.raises(ValueError, match="eval mode"):
        error(model.train(), torch.randn(2, 3, 8, 8), torch.tensor([0, 1]))


@pytest.mark.parametrize("device", devices())
def test_the_curve_starts_at_the_intact_error_and_is_seeded(device: str) -> None:
    pair = nets.pair("shapes-20", device=device)
    images, labels = pair.test.images[:200], pair.test.labels[:200]
    model = pair.residual
    first = study.lesion_curve(model, images, labels, "delete", ks=[0, 1, 9], draws=3, seed=1)
    again = study.lesion_curve(model, images, labels, "delete", ks=[0, 1, 9], draws=3, seed=1)
    assert first == again
    assert [p.k for p in first] == [0, 1, 9] and [len(p.errors) for p in first] == [1, 3, 3]
    assert first[0].mean == error(model, images, labels)
    assert len(set(first[2].errors)) == 1  # deleting all 9 blocks is one lesion, whatever the draw
    lines = csv_lines(study.curves_csv({"ResNet-20": first}, "delete", {"nets": "shapes-20"}), nets="shapes-20")
    assert lines[0] == "net,blocks deleted,mean error,spread,draws" and len(lines) == 4


def test_curve_ks_reach_every_block() -> None:
    model = cifar_resnet(56)
    ks = study.curve_ks(model, "delete")
    assert ks[0] == 0 and ks[-1] == 27 and len(ks) <= 12
    assert study.curve_ks(model, "swap")[-1] == 2 * len(swappable(model))


def test_on_the_trained_resnet56_error_rises_smoothly_while_one_deletion_breaks_the_plain_net(
    digits56: nets.TrainedPair,
) -> None:
    test = digits56.test
    ks = [0, 1, 2, 4, 8, 16, 27]
    residual = study.lesion_curve(digits56.residual, test.images, test.labels, "delete", ks=ks, draws=5)
    plain = study.lesion_curve(digits56.plain, test.images, test.labels, "delete", ks=[0, 1], draws=5)
    means = [p.mean for p in residual]
    assert means[0] < 0.1  # trained: intact error below 10 %
    assert means[1] < means[0] + 0.1  # one deletion barely hurts the residual net
    assert all(later >= earlier - 0.1 for earlier, later in itertools.pairwise(means))  # no cliff back, no jump down
    assert means[-2] > 0.5  # and deleting many blocks does break it
    assert plain[1].mean > 0.75 * test.chance_error  # one deletion sends the plain net near chance (90 %)
    swaps = study.lesion_curve(digits56.residual, test.images, test.labels, "swap", ks=[0, 5], draws=3)
    assert swaps[1].mean < 0.25  # reordering a few neighbours is also survived
    text = reading.lesion_reading({"ResNet-56": residual, "plain-56": plain}, "delete", test.chance_error)
    assert (
        f"**plain-56**: {plain[0].mean:.1%} error intact, {plain[1].mean:.1%} on average with 1 block deleted" in text
    )
    assert "— near chance" in text.split("**plain-56**")[1] and "— near chance" not in text.split("**plain-56**")[0]


def test_digits_nets_are_kept_on_disk_and_load_back(recordings_folder: Path) -> None:
    assert not nets.ready("digits-20", steps=2)
    progress = list(nets.pair_steps("digits-20", steps=2))
    assert [done for done, _, _ in progress] == [1, 2, 3, 4, 4] and progress[-1][2] is not None
    assert nets.ready("digits-20", steps=2)
    kept = list(nets.pair_steps("digits-20", steps=2))
    assert len(kept) == 1  # loaded from disk: no training step
    first, second = progress[-1][2], kept[0][2]
    for a, b in ((first.residual, second.residual), (first.plain, second.plain)):
        assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values(), strict=True))
    (recordings_folder / "nets").joinpath(next(p.name for p in (recordings_folder / "nets").iterdir())).write_bytes(
        b"not a checkpoint"
    )
    assert len(list(nets.pair_steps("digits-20", steps=2))) > 1  # a damaged file is trained again, not trusted


def test_path_shares_are_binomial() -> None:
    share = paths.path_share(27)
    assert math.isclose(sum(share), 1.0) and share[13] == share[14] == math.comb(27, 13) / 2**27
    assert paths.path_counts(3) == [1, 3, 3, 1]


@pytest.mark.parametrize("preact", [False, True])
def test_the_gradients_of_all_paths_add_up_to_the_whole_gradient(preact: bool) -> None:
    model = ModelSpec("cifar_resnet14", preact=preact).build("cpu").eval()  # 6 blocks: 64 paths
    x, y = torch.randn(3, 3, 16, 16), torch.tensor([1, 2, 3])
    every = [list(c) for k in range(7) for c in itertools.combinations(range(6), k)]
    summed = paths.path_gradient_vectors(model, x, y, every).sum(dim=0)
    stem = model.sections()[0](x).detach().requires_grad_(True)
    h = stem
    for section in model.sections()[1:]:
        h = section(h)
    (whole,) = torch.autograd.grad(torch.nn.functional.cross_entropy(h, y), stem)
    torch.testing.assert_close(summed, whole, rtol=1e-4, atol=1e-7)
    one = paths.path_gradient(model, x, y, [[0, 3]])
    assert one == pytest.approx(paths.path_gradient(model, x, y, [[1], [0, 3], []])[1:2], rel=1e-5)


def test_path_gradients_need_a_residual_net() -> None:
    with pytest.raises(ValueError, match="only in a residual net"):
        paths.path_gradients(ModelSpec("cifar_resnet8", skip=False).build("cpu").eval(), torch.randn(1, 3, 8, 8),
                             torch.tensor([0]))  # fmt: skip


def test_on_the_trained_resnet56_most_gradient_comes_from_short_paths(digits56: nets.TrainedPair) -> None:
    test = digits56.test
    measured = paths.path_gradients(digits56.residual, test.images[:16], test.labels[:16], samples=4)
    per_path = measured.per_path()
    assert per_path[0] > 100 * per_path[13] > 0  # long paths carry orders of magnitude less each
    half = measured.shortest_holding(0.5)
    assert half < 27 / 2  # half the gradient from paths shorter than the typical path
    text = reading.paths_reading(measured)
    assert f"Paths of length ≤ {half} carry half of the gradient" in text
    assert f"they are {sum(paths.path_share(27)[: half + 1]):.2%} of all paths" in text
