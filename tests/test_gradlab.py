"""The gradient lab: docs/reference.md's ratios at initialisation, the degradation problem, training, config, CSV.

The ratios are measured as docs/reference.md's gradient-lab table is read: depth 20, at
initialisation, batch norm in training mode, on one batch of 64 standard-normal 3×32×32 images
with random labels (config data="random", image_size=32, seed 0), and as the gradient norm
entering the first block over the one at the last block's output.
"""

import csv
import io
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from itertools import islice

import pytest
import torch
from torch import nn

from explorer.errors import UserError
from explorer.gradlab import (
    STEM,
    GradientProfile,
    GradLabConfig,
    build,
    build_pair,
    degradation_demo,
    first_to_last_ratio,
    initial_profiles,
    layer_gradients,
    probe_batch,
    profile_reading,
    records_to_csv,
    train,
    trend,
)
from explorer.gradlab.data import DIGITS_COUNT, batches, dataset, digits, shapes
from explorer.shapes.dataset import CLASSES
from models.init import initialize
from tests.conftest import DegradationDemo, csv_lines, devices

PROBE = GradLabConfig(depth=20, data="random", image_size=32, batch_size=64, seed=0)
SMALL = GradLabConfig(depth=8, batch_size=16, steps=4, seed=3)


def profile(**changes: object) -> GradientProfile:
    config = replace(PROBE, **changes)
    return layer_gradients(build(config), *probe_batch(config))


# --- docs/reference.md, "The gradient lab" ---------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "reference"),
    [
        (dict(skip=False, batch_norm=False, init="default"), 4.3e-8),  # vanishes: 1/√6 per conv
        (dict(skip=False, batch_norm=False, init="xavier"), 1.1e-3),  # vanishes: 1/√2 per conv
        (dict(skip=False, batch_norm=False, init="he"), 0.87),  # level
        (dict(skip=False, batch_norm=True, init="he"), 38),  # plain + BN grows toward the input
        (dict(skip=True, batch_norm=True, init="he"), 3.8),  # residual + BN: healthy
    ],
    ids=["plain-default", "plain-xavier", "plain-he", "plain-bn", "residual-bn"],
)
def test_activation_gradient_ratio_at_init_matches_reference(changes: dict, reference: float) -> None:
    ratio = first_to_last_ratio(profile(**changes))
    assert reference / 3 <= ratio <= reference * 3, ratio


@pytest.mark.parametrize("init", ["default", "xavier"])
def test_sigmoid_plain_net_loses_the_backward_signal(init: str) -> None:
    ratio = first_to_last_ratio(profile(skip=False, batch_norm=False, activation="sigmoid", init=init))
    assert 1e-17 <= ratio < 1e-9, ratio  # docs/reference.md (MLP): 1e-12 … 1e-17


@pytest.mark.parametrize("depth", [20, 50])
def test_residual_without_batch_norm_grows_by_root_two_per_block(depth: int) -> None:
    # docs/reference.md: (1 + χ)^(1/2) per block with χ = 1 for He; measured 15.7 at depth 20 (9 blocks)
    # and 2.4e3 at depth 50 (24 blocks), × 1.36-1.38 per block.
    ratio = first_to_last_ratio(profile(skip=True, batch_norm=False, init="he", depth=depth))
    blocks = 3 * (depth - 2) // 6
    per_block = ratio ** (1 / blocks)
    assert 2**0.5 / 1.15 <= per_block <= 2**0.5 * 1.15, per_block


def test_weight_gradient_stays_level_where_the_activation_gradient_vanishes() -> None:
    result = profile(skip=False, batch_norm=False, init="xavier")
    activation_gradient = first_to_last_ratio(result, "signal")  # ∂L/∂(block output)
    weight_gradient = first_to_last_ratio(result, "weight_rms")  # ∂L/∂(one weight), RMS over the block
    assert 1.1e-3 / 3 <= activation_gradient <= 1.1e-3 * 3
    assert 0.99 / 3 <= weight_gradient <= 0.99 * 3  # docs/reference.md (MLP): "Xavier: 0.99 against 1.1e-3"


def test_profile_has_the_stem_then_every_block() -> None:
    result = profile()
    assert result.names == (STEM, *(f"layer{s}.{b}" for s in (1, 2, 3) for b in range(3)))
    assert all(v > 0 for v in (*result.signal, *result.weight, *result.activation_std))
    assert result.layers[1].parameters == 2 * 16 * 16 * 9 + 2 * 2 * 16  # two convs, two batch norms


def test_layer_gradients_match_autograd_and_write_no_grad() -> None:
    config = replace(PROBE, batch_norm=False, image_size=8)
    model = build(config)
    x, y = probe_batch(config)
    result = layer_gradients(model, x, y)
    assert all(p.grad is None for p in model.parameters())
    outputs: dict[str, torch.Tensor] = {}
    handle = model.layer3[2].register_forward_hook(lambda _m, _i, out: outputs.setdefault("last", out))
    try:
        loss = nn.functional.cross_entropy(model(x), y)
    finally:
        handle.remove()
    (grad,) = torch.autograd.grad(loss, outputs["last"], retain_graph=True)
    loss.backward()
    assert result.loss == pytest.approx(loss.item(), rel=1e-6)
    assert result.signal[-1] == pytest.approx(grad.norm().item(), rel=1e-5)
    last_weights = torch.cat([p.grad.flatten() for p in model.layer3[2].parameters()])
    assert result.weight[-1] == pytest.approx(last_weights.norm().item(), rel=1e-5)


def test_layer_gradients_on_a_shared_model_from_many_threads() -> None:
    config = replace(PROBE, image_size=8)
    model = build(config).eval()  # eval mode: nothing on the model changes
    x, y = probe_batch(config)
    expected = layer_gradients(model, x, y)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: layer_gradients(model, x, y), range(8)))
    assert all(result == expected for result in results)


def test_initial_profiles_compare_both_nets() -> None:
    profiles = initial_profiles(replace(SMALL, image_size=16))
    assert list(profiles) == ["plain", "residual"]
    assert profiles["plain"].names == profiles["residual"].names


# --- initialisation --------------------------------------------------------------------------


def test_initialize_is_seeded_and_leaves_the_global_rng_alone() -> None:
    a, b = build(SMALL), GradLabConfig(depth=8).spec.build()
    state = torch.get_rng_state()
    initialize(b, "he", seed=SMALL.seed)
    assert torch.equal(torch.get_rng_state(), state)
    for (name, pa), pb in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(pa, pb), name


def test_plain_and_residual_nets_start_from_the_same_weights() -> None:
    pair = build_pair(PROBE)
    plain, residual = pair["plain"].state_dict(), pair["residual"].state_dict()
    assert plain.keys() == residual.keys() and all(torch.equal(plain[k], residual[k]) for k in plain)


@pytest.mark.parametrize("scheme", ["he", "xavier", "default"])
def test_initialisation_scales(scheme: str) -> None:
    model = GradLabConfig(depth=8).spec.build()
    for module in model.modules():  # start from something that is none of the schemes
        if isinstance(module, nn.Conv2d | nn.Linear | nn.BatchNorm2d):
            nn.init.constant_(module.weight, 0.5)
    initialize(model, scheme, seed=0)
    weight = model.layer3[0].conv2.weight  # 64 → 64 channels, 3×3: fan_in = fan_out = 576
    expected = {"he": (2 / 576) ** 0.5, "xavier": (1 / 576) ** 0.5, "default": (1 / 576) ** 0.5 / 3**0.5}
    assert weight.std().item() == pytest.approx(expected[scheme], rel=0.05)
    assert torch.all(model.bn1.weight == 1) and torch.all(model.bn1.bias == 0)
    if scheme == "default":
        assert weight.abs().max().item() <= (1 / 576) ** 0.5
    else:
        assert torch.all(model.fc.bias == 0)


def test_unknown_initialisation_is_refused() -> None:
    with pytest.raises(ValueError, match="initialisation must be one of he, xavier, default"):
        initialize(nn.Linear(2, 2), "orthogonal")  # type: ignore[arg-type]


# --- data ------------------------------------------------------------------------------------


def test_digits_are_three_channel_standardised_images() -> None:
    images, labels = digits(8)
    assert images.shape == (DIGITS_COUNT, 3, 8, 8) and labels.shape == (DIGITS_COUNT,)
    assert torch.equal(images[:, 0], images[:, 2]) and set(labels.tolist()) == set(range(10))
    assert abs(images.mean().item()) < 1e-4 and images.std().item() == pytest.approx(1, rel=1e-3)
    assert torch.equal(digits(32)[0][:, :, ::4, ::4], images)


@pytest.mark.parametrize("size", [8, 32])
def test_shapes_data_for_the_gradient_lab(size: int) -> None:
    images, labels = dataset("shapes", size, seed=0)
    assert images.shape == (DIGITS_COUNT, 3, size, size) and images.dtype == torch.float32
    assert set(labels.tolist()) == set(range(len(CLASSES)))  # six shape classes; the nets keep ten outputs
    assert torch.equal(images, shapes(size)[0]) and images.std().item() > 0.5
    record = next(train(replace(SMALL, data="shapes", image_size=size)))
    assert all(r.loss > 0 and len(r.signal) == 4 for r in record)


def test_batches_are_seeded_and_cover_an_epoch() -> None:
    x, y = torch.arange(10.0), torch.arange(10)
    first = [b[1].tolist() for b in islice(batches(x, y, 3, seed=1), 6)]
    assert first == [b[1].tolist() for b in islice(batches(x, y, 3, seed=1), 6)]
    epoch = {label for batch in first[:3] for label in batch}
    assert len(epoch) == 9  # three batches of three per epoch, the tenth item dropped


# --- training --------------------------------------------------------------------------------


def test_training_yields_both_nets_every_step_and_is_deterministic() -> None:
    state = torch.get_rng_state()
    records = list(train(SMALL))
    assert torch.equal(torch.get_rng_state(), state)
    assert [tuple((r.step, r.net) for r in pair) for pair in records] == [
        ((s, "plain"), (s, "residual")) for s in range(1, SMALL.steps + 1)
    ]
    first = records[0][0]
    assert first.layers[0] == STEM and len(first.signal) == len(first.weight) == len(first.layers) == 4
    assert all(0 <= r.accuracy <= 1 and r.loss > 0 for pair in records for r in pair)
    assert list(train(SMALL)) == records


@pytest.mark.parametrize("device", devices())
def test_first_step_records_what_layer_gradients_measures(device: str) -> None:
    config = replace(SMALL, skip=False)
    expected = layer_gradients(build(config), *probe_batch(config))  # on the CPU
    plain = next(train(config, device=device))[0]
    tolerance = 1e-4 if device == "cpu" else 2e-2  # GPUs may convolve in TF32
    assert plain.loss == pytest.approx(expected.loss, rel=tolerance / 10)
    assert plain.signal == pytest.approx(expected.signal, rel=tolerance)
    assert plain.weight == pytest.approx(expected.weight, rel=tolerance)


def test_stopping_early_leaves_consistent_models() -> None:
    models = build_pair(SMALL)
    models["plain"].eval()
    steps = train(replace(SMALL, steps=100), models)
    taken = list(islice(steps, 3))
    steps.close()
    assert len(taken) == 3
    assert not models["plain"].training and models["residual"].training  # modes restored
    assert all(p.grad is None for m in models.values() for p in m.parameters())
    reference = build_pair(SMALL)
    list(train(replace(SMALL, steps=3), reference))  # three steps, run to the end
    for name in models:
        for (key, a), b in zip(models[name].state_dict().items(), reference[name].state_dict().values(), strict=True):
            assert torch.equal(a, b), (name, key)


def test_adam_and_unrecorded_steps() -> None:
    records = list(train(replace(SMALL, optimiser="adam", lr=1e-3, data="random"), record=False))
    assert len(records) == SMALL.steps and records[-1][1].signal == () and records[-1][1].loss > 0


@pytest.mark.xdist_group("degradation")
def test_degradation_deep_plain_net_trains_worse(degradation_demo_clicked: DegradationDemo) -> None:
    curves = degradation_demo_clicked.curves  # the page's run: measured plain-56 0.84 training error, plain-20 0.03
    assert list(curves) == ["plain-20", "ResNet-20", "plain-56", "ResNet-56"]
    loss = {label: curve.final_loss(last=30) for label, curve in curves.items()}
    assert loss["plain-56"] > 2 * loss["plain-20"] and loss["plain-56"] > 2 * loss["ResNet-56"], loss
    assert curves["plain-56"].final_error(last=30) > 0.3 > curves["plain-20"].final_error(last=30), loss


def test_degradation_demo_trains_each_depth_plain_and_residual_on_the_same_batches() -> None:
    curves = degradation_demo(steps=3, depths=(8,))
    assert list(curves) == ["plain-8", "ResNet-8"] and all(len(c.loss) == 3 for c in curves.values())
    assert curves["plain-8"].loss != curves["ResNet-8"].loss


# --- configuration and export ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (dict(depth=21), "depth (6n+2) must be one of 8, 14, 20, 26"),
        (dict(depth=116), "depth (6n+2) must be one of 8, 14, 20, 26"),
        (dict(depth="20"), "depth (6n+2) must be one of"),
        (dict(lr=0), "learning rate must be a number above 0 and at most 10"),
        (dict(lr=11), "learning rate must be"),
        (dict(lr=float("nan")), "learning rate must be"),
        (dict(batch_size=0), "batch size must be a whole number from 1 to 1024"),
        (dict(batch_size=2000), "batch size must be"),
        (dict(steps=-1), "steps must be a whole number from 0 to 5000"),
        (dict(steps=10**6), "steps must be"),
        (dict(activation="gelu"), "activation must be one of relu, tanh, sigmoid; got 'gelu'"),
        (dict(init="orthogonal"), "initialisation must be one of he, xavier, default"),
        (dict(optimiser="rmsprop"), "optimiser must be one of sgd, adam"),
        (dict(data="cifar"), "data must be one of digits, shapes, random"),
        (dict(image_size=28), "image size must be one of 8, 16, 32"),
        (dict(momentum=1.0), "momentum must be"),
        (dict(seed=-1), "seed must be a whole number"),
        (dict(skip="yes"), "skip must be one of True, False; got 'yes'"),
    ],
)
def test_config_refuses_absurd_settings(changes: dict, message: str) -> None:
    with pytest.raises(UserError, match=re.escape(message)) as error:
        replace(GradLabConfig(), **changes)
    assert "\n" not in str(error.value)


def test_config_label_and_spec() -> None:
    config = GradLabConfig(depth=56, skip=False, batch_norm=False, activation="tanh")
    assert config.label == "plain-56" and str(config.spec.label) == "plain-56 (CIFAR) (no BN, tanh)"
    assert config.spec.num_classes == 10


def test_records_to_csv() -> None:
    records = [r for pair in train(replace(SMALL, steps=2)) for r in pair]
    text = records_to_csv(records, SMALL)
    rows = list(csv.DictReader(io.StringIO("\n".join(csv_lines(text, page="Gradient lab, a live run of both nets",
                                                                 depth=str(SMALL.depth))))))  # fmt: skip
    assert len(rows) == 4 and [r["net"] for r in rows] == ["plain", "residual"] * 2
    assert list(rows[0])[:6] == ["step", "net", "loss", "accuracy", f"signal:{STEM}", "signal:layer1.0"]
    assert f"weight:{STEM}" in rows[0] and "weight:layer3.0" in rows[0] and len(rows[0]) == 4 + 2 * 4
    assert float(rows[3]["loss"]) == pytest.approx(records[3].loss, rel=1e-5)
    unrecorded = csv_lines(records_to_csv(next(train(SMALL, record=False)), SMALL))
    assert unrecorded[0] == "step,net,loss,accuracy" and len(unrecorded) == 3


# --- what the page says -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ratio", "word"),
    [(0.0, "vanishes"), (1e-4, "vanishes"), (0.1, "shrinks"), (1.0, "stays level"), (30.0, "grows"), (1e4, "explodes")],
)
def test_trend_names_what_a_ratio_does(ratio: float, word: str) -> None:
    assert trend(ratio) == word


def test_the_reading_follows_the_numbers_and_the_settings() -> None:
    with_bn = replace(PROBE, depth=56, batch_norm=True, skip=False)
    profiles = initial_profiles(with_bn)
    text = profile_reading(profiles, with_bn)
    ratio = first_to_last_ratio(profiles["plain"])
    assert f"plain net is ×{ratio:.2g}: it {trend(ratio)}" in text and trend(ratio) in ("grows", "explodes")
    assert "Yang et al. 2019" in text and "batch norm in training mode" in text
    without = replace(with_bn, batch_norm=False, activation="sigmoid", init="xavier")
    text = profile_reading(initial_profiles(without), without)
    assert "it vanishes" in text and "Yang" not in text and "without batch norm" in text
