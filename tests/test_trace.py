"""The one-pass trace and the input attributions: exact against captum (run on private models: captum hooks them),
correct branches."""

import warnings

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from explorer import ModelSpec
from explorer.errors import UserError
from explorer.imagelab.attribution import (
    METHODS,
    block_grad_cam,
    guided_grad_cam,
    guided_relus,
    input_attribution,
    integrated_gradients,
    occlusion,
)
from explorer.imagelab.explain import VIEW_CHANNELS, explain, explain_batch, parse_target
from explorer.memory import nbytes
from explorer.trace import block_cams, grad_cam, trace
from tests.conftest import csv_lines, devices


def _model(name: str) -> nn.Module:
    torch.manual_seed(0)
    model = ModelSpec(name).build()
    for m in model.modules():  # non-trivial batch-norm statistics, so maps differ from block to block
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.1, 0.1)
    return model.eval()


@pytest.fixture(scope="module")
def resnet18() -> nn.Module:
    return _model("resnet18")


def captum_grad_cam(model: nn.Module, x: torch.Tensor, target: int, block: str) -> torch.Tensor:
    """captum's ``LayerGradCam(relu_attributions=True)`` of one block, (N, H, W) at its resolution."""
    from captum.attr import LayerGradCam

    cam = LayerGradCam(model, dict(model.blocks())[block]).attribute(x, target=target, relu_attributions=True)
    return cam[:, 0].detach()


@pytest.mark.parametrize("name", ["resnet18", "resnet50"])
def test_one_pass_grad_cam_equals_captum_for_every_block(name: str) -> None:
    model = _model(name)
    x = torch.randn(2, 3, 224, 224)
    result = trace(model, x, target=[3, 500])
    cams = block_cams(result)
    assert len(cams) == len(model.blocks())
    nonzero = 0
    for (block_name, _), ours in zip(model.blocks(), cams, strict=True):
        for image, target in enumerate((3, 500)):
            reference = captum_grad_cam(model, x[image : image + 1], target, block_name)
            assert (ours[image] - reference[0]).abs().max().item() <= 1e-5, block_name
            nonzero += int(ours[image].max() > 0)
    assert nonzero >= len(cams) // 2  # the comparison is between real maps, not only zeros


def test_trace_records_branches_that_add_up(resnet18: nn.Module) -> None:
    x = torch.randn(1, 3, 96, 96)
    result = trace(resnet18, x)
    assert torch.allclose(result.logits, resnet18(x), atol=1e-5)
    assert result.targets.tolist() == [int(resnet18(x).argmax())]
    first = result.blocks[0]
    assert (first.name, first.paper_name) == ("layer1.0", "conv2_1")
    assert torch.allclose(first.output, torch.relu(first.residual + first.shortcut))
    assert [b.paper_name for b in result.blocks][-1] == "conv5_2"
    for before, after in zip(result.blocks, result.blocks[1:], strict=False):
        assert torch.equal(after.input, before.output)


@pytest.mark.parametrize("device", devices())
def test_trace_on_every_device_matches_double_precision_on_the_cpu(resnet18: nn.Module, device: str) -> None:
    x = torch.randn(2, 3, 64, 64)
    expected = block_cams(trace(_model("resnet18").double(), x.double(), target=[1, 2]))  # the reference: float64
    got = block_cams(trace(resnet18.to(device), x.to(device), target=[1, 2]))
    tolerance = 1e-4 if device == "cpu" else 1e-2  # float32 against float64; GPUs may convolve in TF32
    for ours, reference in zip(got, expected, strict=True):
        assert ours.device.type == device and ours.dtype == torch.float32
        assert torch.allclose(ours.cpu().double(), reference, atol=tolerance * float(reference.max()), rtol=0)
    resnet18.cpu()


def test_gradient_matches_autograd_on_the_plain_forward(resnet18: nn.Module) -> None:
    x = torch.randn(1, 3, 64, 64)
    result = trace(resnet18, x, target=7)
    outputs = {}
    handle = resnet18.layer3[1].register_forward_hook(lambda _m, _i, out: outputs.setdefault("out", out))
    try:
        logits = resnet18(x)
    finally:
        handle.remove()
    (grad,) = torch.autograd.grad(logits[0, 7], outputs["out"])
    assert torch.allclose(result.blocks[5].grad, grad, atol=1e-6)


def test_plain_model_trace_has_no_shortcuts() -> None:
    model = ModelSpec("cifar_resnet20", skip=False).build()
    result = trace(model, torch.randn(1, 3, 32, 32), target=2)
    assert all(b.shortcut is None for b in result.blocks)
    assert len(result.blocks) == 9


def test_bad_targets_and_training_mode_are_refused(resnet18: nn.Module) -> None:
    x = torch.randn(1, 3, 64, 64)
    with pytest.raises(ValueError, match="from 0 to 999"):
        trace(resnet18, x, target=1000)
    with pytest.raises(ValueError, match="one target per image"):
        trace(resnet18, x, target=[1, 2])
    trainable = ModelSpec("cifar_resnet20").build().train()
    with pytest.raises(ValueError, match="eval mode"):
        trace(trainable, torch.randn(1, 3, 32, 32))


def test_grad_cam_is_relu_of_weighted_channels() -> None:
    activation = torch.tensor([[[[1.0, -2.0]], [[3.0, 1.0]]]])  # (1, 2, 1, 2)
    grad = torch.tensor([[[[1.0, 1.0]], [[-1.0, -1.0]]]])
    assert grad_cam(activation, grad).tolist() == [[[0.0, 0.0]]]
    assert grad_cam(activation, -grad).tolist() == [[[2.0, 3.0]]]


@pytest.mark.parametrize("name", ["resnet18", "cifar_resnet20"])
def test_guided_grad_cam_equals_captums_without_touching_the_model(name: str) -> None:
    from captum.attr import GuidedGradCam

    model = _model(name)
    side = 32 if name.startswith("cifar") else 64
    x = torch.randn(2, 3, side, side)
    block = model.blocks()[-2][0]
    ours = guided_grad_cam(model, x, 3, block)
    assert all(not m._forward_hooks and not m._backward_hooks for m in model.modules())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # captum warns that it hooks the ReLUs (of this private model)
        reference = GuidedGradCam(model, dict(model.blocks())[block]).attribute(x, target=3)
    assert ours.abs().max() > 0
    torch.testing.assert_close(ours, reference.abs().sum(dim=1), atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(block_grad_cam(model, x, 3, block), captum_grad_cam(model, x, 3, block))


def test_guided_relus_guide_only_the_passes_of_their_own_thread() -> None:
    import threading

    x = torch.tensor([-1.0, 2.0, 3.0], requires_grad=True)
    weights = torch.tensor([5.0, -1.0, 2.0])
    inside, outside = {}, {}

    def plain() -> None:
        (outside["grad"],) = torch.autograd.grad((torch.relu(x) * weights).sum(), x)

    with guided_relus():
        other = threading.Thread(target=plain)
        other.start()
        other.join()
        (inside["grad"],) = torch.autograd.grad((torch.relu(x) * weights).sum(), x)
    assert outside["grad"].tolist() == [0.0, -1.0, 2.0]  # the ordinary ReLU gradient
    assert inside["grad"].tolist() == [0.0, 0.0, 2.0]  # guided: only positive gradients where the input is positive


@pytest.mark.parametrize("method", METHODS)
def test_captum_input_methods(resnet18: nn.Module, method: str) -> None:
    x = torch.randn(1, 3, 64, 64)
    attribution = input_attribution(method, resnet18, x, 3, "layer4.1")
    assert attribution.shape == (1, 64, 64)
    assert torch.isfinite(attribution).all() and attribution.abs().max() > 0
    assert not attribution.requires_grad
    assert all(not m._forward_hooks and not m._backward_hooks for m in resnet18.modules())


def test_unknown_method_is_refused(resnet18: nn.Module) -> None:
    with pytest.raises(UserError, match="attribution method must be one of"):
        input_attribution("LIME", resnet18, torch.randn(1, 3, 32, 32), 0, "layer1.0")


def test_explain_summary_stats_and_exports(resnet18: nn.Module) -> None:
    names = [f"class {i}" for i in range(1000)]
    x = torch.randn(1, 3, 112, 112)
    image = Image.new("RGB", (112, 112), "gray")
    result = explain(resnet18, x, image, names, target=42)
    assert result.target == 42 and result.target_name == "class 42"
    assert len(result.predictions()) == 5 and result.predictions()[0].probability >= result.predictions()[1].probability
    assert len(result.stats) == 8 and result.stats[2].shape == "128×14×14"
    assert all(s.residual_to_shortcut and s.residual_to_shortcut > 0 for s in result.stats)
    peak = result.stats[-1]
    assert 0 <= peak.peak_x < 112 and 0 <= peak.peak_y < 112
    assert result.cams[-1][peak.peak_y, peak.peak_x] == result.cams[-1].max()
    overlays = result.overlays(shared_scale=True)
    assert list(overlays)[:2] == ["conv2_1", "conv2_2"] and overlays["conv5_2"].size == (224, 224)  # 112² × 2
    lines = csv_lines(result.stats_csv({"model": "ResNet-18"}), model="ResNet-18")
    assert lines[0].startswith("block,paper_name,shape,residual_norm") and len(lines) == 9
    assert result.summary()["target"] == {"index": 42, "name": "class 42"}
    with pytest.raises(ValueError, match="10 class names"):
        explain(resnet18, x, image, names[:10])


def test_block_views_keep_the_most_active_channels_and_the_means(resnet18: nn.Module) -> None:
    x = torch.randn(1, 3, 64, 64)
    full = trace(resnet18, x, target=1).blocks[3]
    view = explain(resnet18, x, Image.new("RGB", (64, 64)), [str(i) for i in range(1000)], target=1).views[3]
    means = full.output[0].mean(dim=(1, 2))
    assert list(view.channels) == means.topk(VIEW_CHANNELS).indices.tolist()  # most active first
    assert view.output.shape == (VIEW_CHANNELS, 8, 8) and view.residual.shape == view.shortcut.shape
    first = view.channels[0]
    assert np.allclose(view.output[0], full.output[0, first].numpy()) and np.allclose(
        view.residual[0], full.residual[0, first].numpy()
    )
    assert np.allclose(view.mean_output, full.output[0].mean(dim=0).numpy(), atol=1e-6)
    maps = view.maps()
    assert maps["F(x)"].shape == maps["shortcut"].shape == maps["output"].shape == (8, 8)
    assert np.array_equal(view.maps(first)["output"], view.output[0])
    stats = view.channel_stats(4)
    assert [s["channel"] for s in stats] == list(view.channels[:4]) and stats[0]["mean"] >= stats[1]["mean"]
    assert stats[0]["mean"] == pytest.approx(float(means.max()), rel=1e-5) and 0 <= stats[0]["active"] <= 1


def test_a_batch_explains_every_image_as_alone(resnet18: nn.Module) -> None:
    names = [str(i) for i in range(1000)]
    xs, images, targets = torch.randn(3, 3, 64, 64), [Image.new("RGB", (64, 64))] * 3, [None, 7, None]
    together = explain_batch(resnet18, xs, images, names, targets)
    for i, result in enumerate(together):
        alone = explain(resnet18, xs[i : i + 1], images[i], names, targets[i])
        assert result.target == alone.target and np.allclose(result.probabilities, alone.probabilities, atol=1e-6)
        for a, b in zip(result.cams, alone.cams, strict=True):
            assert np.allclose(a, b, atol=1e-5 * max(1.0, float(b.max())))
    assert together[1].target == 7


def test_an_explanation_keeps_megabytes_not_the_whole_trace() -> None:
    model = _model("resnet50")
    result = explain(model, torch.randn(1, 3, 224, 224), Image.new("RGB", (224, 224)), [str(i) for i in range(1000)])
    assert nbytes(result) < 12 * 2**20  # the full trace of ResNet-50 at 224² holds over 100 MB


def test_parse_target() -> None:
    names = ["tabby cat", "tiger cat", "golden retriever", "coffee mug"]
    assert parse_target("2", names) == 2
    assert parse_target("Golden Retriever", names) == 2
    assert parse_target("mug", names) == 3
    with pytest.raises(ValueError, match="ambiguous"):
        parse_target("cat", names)
    with pytest.raises(ValueError, match="did you mean coffee mug"):
        parse_target("cofee mug", names)
    with pytest.raises(ValueError, match="from 0 to 3"):
        parse_target("9", names)


def test_chunked_integrated_gradients_equal_captums_midpoint_sum(resnet18: nn.Module) -> None:
    from captum.attr import IntegratedGradients

    x = torch.randn(1, 3, 64, 64)
    steps = list(integrated_gradients(resnet18, x, 3))
    assert [(done, total) for done, total, _ in steps] == [(i, 16) for i in range(1, 17)]  # small steps: stops fast
    assert all(result is None for _, _, result in steps[:-1])
    reference = IntegratedGradients(resnet18).attribute(
        x, baselines=torch.zeros_like(x), target=3, n_steps=32, method="riemann_middle"
    )
    assert torch.allclose(steps[-1][2], reference.abs().sum(dim=1), atol=1e-6)


@pytest.mark.parametrize("side", [64, 100])
def test_chunked_occlusion_equals_captums(resnet18: nn.Module, side: int) -> None:
    from captum.attr import Occlusion

    x = torch.randn(1, 3, side, side)
    *_, (done, total, ours) = occlusion(resnet18, x, 5)
    assert done == total > 1
    window = max(8, side // 7)
    stride = max(4, window // 2)
    reference = Occlusion(resnet18).attribute(
        x, sliding_window_shapes=(3, window, window), strides=(3, stride, stride), target=5, baselines=0.0
    )
    assert torch.allclose(ours, reference.mean(dim=1), atol=1e-5)
