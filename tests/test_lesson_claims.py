"""Every shipped lesson's words against the numbers its pages compute on the step's own settings (issue 24): each
step's claims (the direction of every comparison, and every number the words quote, to the digits quoted), so a
lesson's words and its figure never disagree in front of a class. A new step needs its check here."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import fields, replace

import pytest

from explorer import gradlab
from explorer.architecture.stages import StageTable, stage_table
from explorer.gradlab.profiles import first_to_last_ratio
from explorer.landscape import reading as landscape_reading
from explorer.landscape import runs
from explorer.lesions import nets, paths, study
from explorer.lesions.nets import TrainedPair
from explorer.lesions.study import CurvePoint
from explorer.lessons.answers import ANSWERS
from explorer.lessons.lesson import Step, shipped_lessons
from explorer.lessons.pages import page_settings
from explorer.shapes.shipped import load_shipped, shipped_models
from explorer.spec import ModelSpec
from explorer.transfer import targets
from explorer.transfer.finetune import Recipe, Run, fine_tune
from tests.conftest import DegradationDemo

LESSONS = shipped_lessons()
# DIGITS: nets trained on the digits (the degradation demo's, the Lesions page's) are trained where the class runs,
# and the same recipe on another machine or number of threads ends elsewhere (the intact plain-56 of the Lesions
# page: 47.8 % error trained on 2 threads, 73.8 % on one): those steps quote bounds that hold for both.


def quoted(say: str, pattern: str) -> list[str]:
    """The numbers the words quote where ``pattern`` (a regular expression with one group per number) matches."""
    found = re.search(pattern, say)
    assert found, f"the words no longer say {pattern!r}: {say}"
    return list(found.groups())


def agrees(text: str, value: float) -> bool:
    """Whether ``value`` rounds to the number ``text`` quotes, to as many decimals as it quotes."""
    decimals = len(text.partition(".")[2])
    return abs(value - float(text)) <= 0.5 * 10**-decimals + 1e-12


def answered(step: Step) -> str:
    """The step's question's answer as the explorer computes it at the reveal: one of its choices, or a number."""
    assert step.question is not None
    value = ANSWERS[step.question.answer].compute()
    assert value in step.question.choices if step.question.kind == "choice" else float(value) > 0, value
    return value


# --- Vanishing gradients in ten minutes (the Gradient lab) ----------------------------------------------------------


def gradlab_config(step: Step) -> gradlab.GradLabConfig:
    """The gradient lab's nets as the step opens the page: its preset, then the step's own settings."""
    values = step.values()
    config = replace(gradlab.GradLabConfig(), **gradlab.PRESETS[values["g.preset"]])  # type: ignore[arg-type]
    own = {f.name: step.values()[f"g.{f.name}"] for f in fields(config) if f"g.{f.name}" in step.settings}
    return replace(config, **own)


def signal_ratios(step: Step) -> dict[str, float]:
    """Each net's backward signal entering the first block over the one at its last block, at initialisation."""
    return {net: first_to_last_ratio(p) for net, p in gradlab.initial_profiles(gradlab_config(step)).items()}


def vanishing_0(step: Step) -> None:
    assert gradlab_config(step).depth == 56 and "56 layers" in str(step.say)
    answered(step)


def vanishing_1(step: Step) -> None:
    before = signal_ratios(LESSONS["1_vanishing_gradients"].steps[0])
    after = signal_ratios(step)
    assert "residual curve fall as well" in str(step.say)
    assert after["residual"] < 1e-6 and after["residual"] < before["residual"] / 1000, (before, after)


def vanishing_2(step: Step) -> None:
    assert "nothing vanishes, in either net" in str(step.say)
    assert all(ratio >= 1 for ratio in signal_ratios(step).values())


def vanishing_3(step: Step, demo: DegradationDemo) -> None:
    assert step.values()["demo_steps"] == 100 and "at 100 steps" in str(step.say)
    errors = {label: curve.final_error() for label, curve in demo.curves.items()}
    deep, shallow, residual = map(float, quoted(
        str(step.say), r"above (\d+) % against below (\d+) %\), and ResNet-56 does not \(below (\d+) %\)"))  # fmt: skip
    assert 100 * errors["plain-56"] > deep and 100 * errors["plain-20"] < shallow, errors  # bounds: see DIGITS
    assert 100 * errors["ResNet-56"] < residual, errors
    assert errors["plain-56"] > errors["plain-20"] + 0.1 and errors["ResNet-56"] < errors["plain-56"] - 0.1, errors


# --- Table 1 and the shortcut (Architecture) ------------------------------------------------------------------------


def table(step: Step, **changes: object) -> StageTable:
    """The stage table the Architecture page shows for the step (with ``changes`` to its model)."""
    values = {**step.values(), **changes}
    shortcut = None if values["shortcut"] == "default" else values["shortcut"]
    return stage_table(ModelSpec(values["imagenet_model"], skip=values["skip"], shortcut=shortcut),
                       values["imagenet_size"])  # fmt: skip


def table1_0(step: Step) -> None:
    shown = table(step)
    params, macs = quoted(str(step.say), r"([\d.]+) M parameters, ([\d.]+) G multiply-adds at 224×224")
    assert agrees(params, shown.params / 1e6) and agrees(macs, shown.macs / 1e9), (shown.params, shown.macs)
    kinds = [block.shortcut for block in shown.blocks]
    changing = [block.in_shape != block.out_shape for block in shown.blocks]
    assert [kind == "projection" for kind in kinds] == changing and kinds.count("identity") > 0


def table1_1(step: Step) -> None:
    plain, option_a = table(step), table(step, skip=True, shortcut="A")
    assert "no layer and no parameter of option A" in str(step.say)
    assert (plain.depth, plain.params) == (option_a.depth, option_a.params)


def table1_2(step: Step) -> None:
    assert "no parameters" in str(step.say) and table(step, shortcut="A").params == table(step, skip=False).params
    assert int(answered(step)) == table(step).params - table(step, shortcut="A").params


def table1_3(step: Step) -> None:
    assert "not worth the parameters" in str(step.say) and table(step).params > table(step, shortcut="B").params


def table1_4(step: Step) -> None:
    resnet50, resnet34 = table(step, imagenet_model="resnet50"), table(step, imagenet_model="resnet34")
    (params,) = quoted(str(step.say), r"only ([\d.]+) M parameters")
    assert resnet50.depth > resnet34.depth and agrees(params, resnet50.params / 1e6), resnet50.params
    widths = [int(layer.split(", ")[1]) for layer in resnet50.blocks[0].layers]  # 1×1 → 3×3 → 1×1
    assert "a quarter of the width" in str(step.say) and widths[1] * 4 == widths[2], widths


# --- Why shortcuts help (Lesions and paths, Loss landscape, Receptive fields) --------------------------------------


def curve(pair: TrainedPair, kind: str) -> dict[str, list[CurvePoint]]:
    """Both nets' curves as the Lesions page draws them for ``kind`` (its defaults: 5 draws, seed 0)."""
    draws = page_settings("Lesions and paths")["draws"]["default"]
    return {label: study.lesion_curve(model, pair.test.images, pair.test.labels, kind, draws=draws, seed=0)
            for label, model in pair.nets().items()}  # fmt: skip


def shortcuts_0(step: Step, pair: TrainedPair) -> None:
    assert step.values()["lesion_nets"] == pair.name == "digits-56"
    curves = {label: [100 * point.mean for point in points[:2]] for label, points in curve(pair, "delete").items()}
    (res_intact, res_one), (plain_intact, plain_one) = curves["ResNet-56"], curves["plain-56"]
    res_below, intact_below, plain_above, chance = map(float, quoted(
        str(step.say), r"leaves ResNet-56 below (\d+) % error \(intact it is below (\d+) %\); the plain-56, far worse "
        r"already intact \(the degradation problem\), goes above (\d+) %, near chance \((\d+) %\)"))  # fmt: skip
    assert res_one < res_below and res_intact < intact_below and plain_one > plain_above, curves
    assert chance == 100 * (1 - 1 / len(pair.test.class_names)) and plain_intact > res_intact + 20, curves


def shortcuts_1(step: Step, pair: TrainedPair) -> None:
    assert step.values()["lesion_kind"] == "swap" and step.values()["lesion_nets"] == "digits-56"
    curves = {label: 100 * points[1].mean for label, points in curve(pair, "swap").items()}
    below, above = map(
        float, quoted(str(step.say), r"ResNet-56 stays below (\d+) % error and the plain-56 goes above (\d+) %")
    )
    assert curves["ResNet-56"] < below and curves["plain-56"] > above, curves  # "far less"
    images, labels = pair.test.images[: paths.DEFAULT_IMAGES], pair.test.labels[: paths.DEFAULT_IMAGES]
    samples = page_settings("Lesions and paths")["path_samples"]["default"]
    *_, measured = paths.path_gradient_steps(pair.residual, images, labels, samples)
    (most,) = quoted(str(step.say), r"half of the gradient comes from paths that cross at most (\d+) of")
    assert measured.shortest_holding(0.5) <= int(most), measured.shortest_holding(0.5)
    assert f"of its {measured.blocks} blocks" in str(step.say) and f"Measure {samples} random paths" in str(step.say)


def shortcuts_2(step: Step, pair: TrainedPair) -> None:
    values = step.values()
    assert values["landscape_nets"] == "digits-56"
    settings = runs.LandscapeSettings(pair.name, "plane", values["resolution"], values["span"],
                                      values["directions_seed"], values["landscape_images"])  # fmt: skip
    train = nets.training_sample(pair.name, settings.images)
    shown = landscape_reading.plane_reading(runs.landscape(pair, train, settings))
    highest = {k: float(v) for k, v in re.findall(r"\*\*(\S+)\*\*: [^,]+, at most ([^ ]+) within", shown)}
    below, above = map(float, quoted(str(step.say), r"Within ±0.5 of its weights ResNet-56's loss stays below (\d+), "
                                               r"while plain-56's climbs above (\d+):"))  # fmt: skip
    assert highest["ResNet-56"] < below and highest["plain-56"] > above, shown
    assert highest["plain-56"] > 1000 * highest["ResNet-56"], shown  # orders of magnitude steeper


def shortcuts_3(step: Step) -> None:
    values = step.values()
    shown = (values["family"], values["imagenet_model"], values["imagenet_size"])
    assert "ResNet-50's last block at 224×224" in str(step.say) and shown == ("imagenet", "resnet50", 224), shown
    assert int(answered(step)) > 224  # wider than the image: the question's point


# --- ResNet-18 from input to output, then transfer learning (Architecture, Transfer learning) -----------------------


def resnet18_0(step: Step) -> None:
    shown, said = table(step), str(step.say)
    assert "(output 112×112)" in said and "(56×56)" in said and shown.rows[0].output_size == "112×112"
    assert shown.rows[1].output_size == "56×56" and "max pool" in shown.rows[1].downsampling
    assert "2 basic blocks each" in said and [row.blocks for row in shown.rows[1:5]] == [2, 2, 2, 2]
    assert "(28, 14, 7)" in said and [row.output_shape[1] for row in shown.rows[2:5]] == [28, 14, 7]
    assert "(64, 128, 256, 512)" in said and [row.output_shape[0] for row in shown.rows[1:5]] == [64, 128, 256, 512]
    assert "1000-d" in said and shown.rows[-1].output_size == "1000-d"


def resnet18_1(step: Step) -> None:
    shown, said = table(step), str(step.say)
    assert "18 weighted layers: 17 convolutions and 1 fully connected layer" in said and shown.depth == 18
    assert int(answered(step)) == shown.params == 11_689_512
    assert "most parameters sit in the deepest, conv5_x" in said and shown.rows[4].params > shown.params / 2


def resnet18_2(step: Step) -> None:
    shown, said = table(step), str(step.say)
    kinds = [block.shortcut for block in shown.blocks]
    assert "5 are identity mappings (solid) and 3 are projection shortcuts (dashed)" in said
    assert (kinds.count("identity"), kinds.count("projection")) == (5, 3)
    assert [b.paper_name for b in shown.blocks if b.shortcut == "projection"] == ["conv3_1", "conv4_1", "conv5_1"]
    block = shown.blocks[step.values()["block"]]
    assert "input 64×56×56, output 128×28×28" in said and (block.in_shape, block.out_shape) == (
        (64, 56, 56), (128, 28, 28))  # fmt: skip
    assert str(block.shortcut_detail) == "projection: 1×1, 128, /2 conv + BN" and "1×1 conv with stride 2" in said


def resnet18_3(step: Step) -> None:
    values, said = step.values(), str(step.say)
    assert (values["transfer_source"], values["transfer_target"]) == ("shapes-resnet20", "digits")
    assert "ResNet-20 trained on the Shapes dataset to the digits" in said
    assert values["runs"] == ["head", "last", "all", "scratch"] and not values["raw_run"]


def resnet18_4(step: Step) -> None:
    values = step.values()
    assert values["runs"] == ["head"] and values["raw_run"]
    source = load_shipped(shipped_models()["shapes_resnet20"])
    target = targets.built_in("digits", 32, values["transfer_images"])
    recipe = Recipe(epochs=values["epochs"], lr=values["transfer_lr"])
    spec = ModelSpec("cifar_resnet20", num_classes=6)
    normalised, raw = (r.curve[-1].test_accuracy for r in fine_tune(spec, source, target, [Run("head"),
                       Run("head", normalised=False)], recipe))  # fmt: skip
    assert "the head learns next to nothing" in str(step.say)
    assert raw < 1.5 * target.chance < normalised, (raw, normalised)  # measured 6.0 % and 41.5 %; chance 10 %


CHECKS: dict[tuple[str, int], Callable[..., None]] = {
    ("1_vanishing_gradients", 0): vanishing_0,
    ("1_vanishing_gradients", 1): vanishing_1,
    ("1_vanishing_gradients", 2): vanishing_2,
    ("1_vanishing_gradients", 3): vanishing_3,
    ("2_table1_and_the_shortcut", 0): table1_0,
    ("2_table1_and_the_shortcut", 1): table1_1,
    ("2_table1_and_the_shortcut", 2): table1_2,
    ("2_table1_and_the_shortcut", 3): table1_3,
    ("2_table1_and_the_shortcut", 4): table1_4,
    ("3_why_shortcuts_help", 0): shortcuts_0,
    ("3_why_shortcuts_help", 1): shortcuts_1,
    ("3_why_shortcuts_help", 2): shortcuts_2,
    ("3_why_shortcuts_help", 3): shortcuts_3,
    ("4_resnet18_and_transfer", 0): resnet18_0,
    ("4_resnet18_and_transfer", 1): resnet18_1,
    ("4_resnet18_and_transfer", 2): resnet18_2,
    ("4_resnet18_and_transfer", 3): resnet18_3,
    ("4_resnet18_and_transfer", 4): resnet18_4,
}
# A check that needs what a page ran or trained takes it as a second argument: the session fixture named here, made
# once per parallel run by the tests of its xdist group.
NEEDS: dict[Callable[..., None], tuple[str, str]] = {
    vanishing_3: ("degradation_demo_clicked", "degradation"),
    **dict.fromkeys((shortcuts_0, shortcuts_1, shortcuts_2), ("digits56_as_taught", "digits56-taught")),
}


def test_every_step_of_every_shipped_lesson_has_its_claims_checked() -> None:
    steps = {(key, i) for key, lesson in LESSONS.items() for i in range(len(lesson.steps))}
    assert steps <= set(CHECKS), sorted(steps - set(CHECKS))


@pytest.mark.parametrize(
    "where",
    [
        pytest.param(where, id=str(where), marks=[pytest.mark.xdist_group(NEEDS[check][1])] if check in NEEDS else [])
        for where, check in CHECKS.items()
    ],
)
def test_a_lesson_steps_words_agree_with_its_page(where: tuple[str, int], request: pytest.FixtureRequest) -> None:
    key, index = where
    check = CHECKS[where]
    needed = [request.getfixturevalue(NEEDS[check][0])] if check in NEEDS else []
    check(LESSONS[key].steps[index], *needed)


@pytest.mark.parametrize("key", list(LESSONS))
def test_every_translation_of_a_lesson_quotes_the_same_numbers(key: str) -> None:
    for where, text in LESSONS[key].texts():
        numbers = {code: sorted(re.findall(r"\d+(?:\.\d+)?", said)) for code, said in text.versions}
        assert numbers["zh"] == numbers["en"], (key, where, numbers)
