"""The loss landscape: filter-normalised directions, the trained loss at the centre, the shared model untouched,
the same directions for both nets; the page and the command."""

import json
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from explorer.errors import UserError
from explorer.landscape import reading, runs, slices
from explorer.lesions import nets
from tests.conftest import decode_plotly, devices, open_page

pytestmark = pytest.mark.usefixtures("recordings_folder")  # never the real recordings


@pytest.fixture(scope="module")
def shapes() -> nets.TrainedPair:
    return nets.pair("shapes-20")


def test_every_direction_filter_has_the_norm_of_the_weights_filter(shapes: nets.TrainedPair) -> None:
    model = shapes.residual
    d = slices.direction(model, seed=3)
    checked = 0
    for name, weight in model.named_parameters():
        if weight.dim() >= 2:
            own = weight.detach().reshape(len(weight), -1).norm(dim=1)
            torch.testing.assert_close(d[name].reshape(len(weight), -1).norm(dim=1), own, rtol=1e-5, atol=1e-7)
            assert not torch.equal(d[name], weight.detach())  # random, not the weights themselves
            checked += 1
        else:
            assert not d[name].any(), name  # batch-norm weights and biases get no direction
    assert checked == 19 + 1  # 19 convolutions and the linear layer of a CIFAR ResNet-20
    assert all(torch.equal(d[k], v) for k, v in slices.direction(model, seed=3).items())  # seeded


def test_both_nets_get_the_same_directions(shapes: nets.TrainedPair) -> None:
    residual = slices.direction(shapes.residual, 0)
    plain = slices.direction(shapes.plain, 0)
    assert residual.keys() == plain.keys()
    for name in residual:  # the same random numbers, each filter scaled to its own net's weights
        if residual[name].dim() >= 2:
            cosine = F.cosine_similarity(residual[name].flatten(1), plain[name].flatten(1), dim=1)
            torch.testing.assert_close(cosine, torch.ones_like(cosine), rtol=0, atol=1e-5)


@pytest.mark.parametrize("device", devices())
def test_the_centre_is_the_trained_loss_and_the_model_is_untouched(device: str) -> None:
    pair = nets.pair("shapes-20", device=device)
    train = nets.training_sample("shapes-20", 16)
    before = {k: v.clone() for k, v in pair.residual.state_dict().items()}
    with torch.no_grad():
        trained = float(F.cross_entropy(pair.residual(train.images.to(device)), train.labels.to(device)))
    settings = runs.LandscapeSettings("shapes-20", "plane", 11, 0.5, 0, images=16)
    planes = runs.landscape(pair, train, settings)
    residual = planes["ResNet-20"]
    assert residual.alphas[5] == residual.betas[5] == 0.0 and len(residual.losses) == 11
    assert residual.losses[5][5] == trained  # bit for bit: θ + 0·d₁ + 0·d₂ is θ
    assert max(max(row) for row in residual.losses) > 10 * trained  # and it rises around the minimum
    assert all(torch.equal(before[k], v) for k, v in pair.residual.state_dict().items())
    line = runs.landscape(pair, train, runs.LandscapeSettings("shapes-20", "line", 11, 0.5, 0, images=16))
    assert line["ResNet-20"].losses[0] == residual.losses[5]  # the line along d₁ is the plane's middle row
    text = reading.plane_reading(planes)
    assert f"**ResNet-20**: {trained:.3g} at the trained weights" in text
    assert runs.from_results(json.loads(json.dumps(runs.to_results(planes)))) == planes


@pytest.mark.parametrize(
    ("changes", "message"),
    [({"resolution": 12}, "resolution must be one of 11, 21, 31, 41"), ({"span": 0}, "span must be a number above 0"),
     ({"span": float("nan")}, "span must be a number above 0"), ({"kind": "cube"}, "kind must be one of line, plane"),
     ({"images": 0}, "images must be a whole number from 1 to 1397"), ({"seed": -1}, "seed must be a whole number")],
)  # fmt: skip
def test_bad_settings_get_one_line(changes: dict, message: str) -> None:
    with pytest.raises(UserError, match=message):
        runs.LandscapeSettings(**changes)


def test_on_digits_56_the_plain_landscape_is_far_rougher(digits56: nets.TrainedPair) -> None:
    pair = digits56
    train = nets.training_sample("digits-56", 128)
    line = runs.landscape(pair, train, runs.LandscapeSettings("digits-56", "line", 11, 1.0, 0, images=128))
    residual, plain = line["ResNet-56"].losses[0], line["plain-56"].losses[0]
    assert max(plain) > 100 * max(residual)  # Li et al.: without skips the deep net's landscape turns chaotic


def test_the_page_shows_the_cost_first_and_keeps_what_it_computed(recordings_folder: Path) -> None:
    at = open_page("pages/6_Loss_landscape.py", landscape_images="128")
    assert not at.get("plotly_chart")  # nothing computed before it is asked for
    cost = next(c.value for c in at.caption if "One loss of one net takes" in c.value)
    assert "a line costs 2 × 11 losses" in cost and "a plane 2 × 121" in cost
    at.button(key="landscape.line").click().run()
    assert not at.exception
    figure = decode_plotly(json.loads(at.get("plotly_chart")[0].proto.spec))
    assert [t["name"] for t in figure["data"]] == ["ResNet-20", "plain-20"]
    assert "at the trained weights" in " ".join(m.value for m in at.markdown)
    assert any(recordings_folder.glob("landscape-*.json"))
    again = open_page("pages/6_Loss_landscape.py", landscape_images="128")
    assert len(again.get("plotly_chart")) == 1  # the recording appears at once for the next class
    assert "A recording made" in " ".join(c.value for c in again.caption)
