"""The lesion page's computations: trained pairs shared by every session, curves and path gradients computed
on request with progress and a stop button, and kept for every session once computed."""

from __future__ import annotations

import streamlit as st

from explorer import catalogue
from explorer.architecture.diagram import architecture_figure
from explorer.language import N_, _
from explorer.lesions import nets, paths, study
from explorer.lesions.nets import TrainedPair
from explorer.lesions.paths import PathGradients
from explorer.lesions.study import CurvePoint
from explorer.spec import ModelSpec
from explorer.ui.architecture import cached_stage_table
from explorer.ui.common import chart, choice
from explorer.ui.server import device, shared, shared_model, with_progress
from explorer.weights import shareable
from models import ResNet

FIRST_CHOICES = ("digits-56", "shapes-20")  # the paper's picture when the digits nets are kept, else at once


def first_pair() -> str:
    """The pair the page opens on: ResNet-56 vs plain-56 on the digits when they are on disk, else Shapes."""
    return next(name for name in FIRST_CHOICES if nets.ready(name))


def pick_pair(choice_name: str) -> TrainedPair:
    """The page's picker of trained pairs (a choice kept across pages and in the address as ``choice_name``) and
    the pair picked; the page stops here until that pair exists."""
    name = choice(
        st.radio, _("Trained nets"), choice_name, first_pair(), options=list(nets.PAIRS),
        format_func=lambda key: str(catalogue.pair(key).name), horizontal=True,
    )  # fmt: skip
    pair = trained_pair(name)
    if pair is None:
        st.stop()
    return pair


def trained_pair(name: str) -> TrainedPair | None:
    """The pair ``name``, its nets shared by every session like any model: loaded at once when shipped or kept on
    disk; else trained once for every session when the page's button is pressed (with progress and a stop button),
    None until then."""
    entry = nets.pair_of(name)
    trained = None
    if not all(net.available() for net in entry.nets()):
        depth = entry.depth
        label = _("Train ResNet-{depth} and plain-{depth} on the digits ({steps} steps each, once)").format(
            depth=depth, steps=nets.DIGITS_STEPS
        )

        def train() -> dict[bool, ResNet]:
            steps = nets.pair_steps(name, device=device())
            *_done, (_net, _step, found) = with_progress(steps, 2 * nets.DIGITS_STEPS + 1, N_("Training both nets"),
                                                         "lesions.train_stop")  # fmt: skip
            return {True: found.residual, False: found.plain}

        kept_note = _("Kept on disk afterwards: the next class loads them at once.")
        key = f"lesions.train.{name}"
        trained = shared(("lesions.trained", name), train,
                         lambda: st.button(label, type="primary", key=key, help=kept_note))  # fmt: skip
        if trained is None:
            st.caption(
                _(
                    "These two nets are trained here the first time they are asked for: about 1 minute at depth 20 "
                    "and 2–3 at depth 56 on 2 CPU cores ({depth}-layer nets, digits at 8×8, SGD as in the degradation "
                    "demo)."
                ).format(depth=depth)
            )
            return None
    residual, plain = (
        shared_model(net.spec, net.source, None if trained is None else
                     lambda net=net: shareable(net.source.loaded(net.spec, trained[net.spec.skip]), device())).model
        for net in entry.nets()
    )  # fmt: skip
    return nets.assembled(name, residual, plain)


def curve(pair: TrainedPair, kind: str, draws: int) -> dict[str, list[CurvePoint]] | None:
    """Both nets' curves of error against k (``kind`` delete or swap): kept for every session once computed,
    computed when the page's button is pressed; None until then."""

    def compute() -> dict[str, list[CurvePoint]]:
        plan = {label: study.random_lesions(model, kind, study.curve_ks(model, kind), draws, 0)
                for label, model in pair.nets().items()}  # fmt: skip
        curves: dict[str, list[CurvePoint]] = {}

        def each():
            for label, model in pair.nets().items():
                for so_far in study.curve_steps(model, pair.test.images, pair.test.labels, plan[label]):
                    curves[label] = so_far
                    yield None

        total = sum(len(lesions) for lesions in plan.values())
        for _step in with_progress(each(), total, N_("Evaluating lesioned nets"), f"lesions.curve_stop.{kind}"):
            pass
        return curves

    label = (
        _("Compute the curve ({draws} random draws of k deletions per k)")
        if kind == "delete"
        else _("Compute the curve ({draws} random draws of k swaps per k)")
    ).format(draws=draws)
    return shared(
        ("lesions.curve", pair.name, kind, draws), compute, lambda: st.button(label, key=f"lesions.curve.{kind}")
    )


def path_gradients(pair: TrainedPair, samples: int) -> PathGradients | None:
    """The residual net's gradient by path length: kept for every session once computed, computed when the
    page's button is pressed (one length per step, with progress and a stop button); None until then."""

    def compute() -> PathGradients:
        images, labels = pair.test.images[: paths.DEFAULT_IMAGES], pair.test.labels[: paths.DEFAULT_IMAGES]
        steps = paths.path_gradient_steps(pair.residual, images, labels, samples)
        *_done, measured = with_progress(
            steps, len(pair.residual.blocks()) + 1, N_("Measuring paths"), "lesions.paths_stop"
        )
        return measured

    label = _("Measure {count} random paths of every length").format(count=samples)
    return shared(("lesions.paths", pair.name, samples), compute, lambda: st.button(label, key="lesions.paths"))


def deleted_choice(pair: TrainedPair) -> str:
    """The name of the choice (and the address parameter) of the blocks deleted from ``pair``."""
    return f"deleted_{pair.name}"


def deletion_diagram(pair: TrainedPair, labels: list[str]) -> None:
    """The residual net's block diagram with the deleted blocks struck through. Clicking a block deletes it, or
    brings it back; the multiselect of blocks to delete (drawn after this) follows."""
    spec = ModelSpec(f"cifar_resnet{pair.depth}", num_classes=len(pair.test.class_names))
    table = cached_stage_table(spec, pair.test.images.shape[-1])
    chosen_key, clicked_key = f"choice.{deleted_choice(pair)}", f"lesions.clicked.{pair.name}"
    crossed = [labels.index(label) for label in st.session_state.get(chosen_key, [])]
    event = chart(architecture_figure(table, crossed), key=f"lesions.diagram.{pair.name}", on_select="rerun",
                  selection_mode="points")  # fmt: skip
    clicked = tuple(p["customdata"] for p in event.selection.points if "customdata" in p) if event else ()
    if clicked and clicked != st.session_state.get(clicked_key):  # a new click (each is handled once)
        toggled = set(clicked) - set(st.session_state.get(clicked_key, ()))
        st.session_state[chosen_key] = [label for i, label in enumerate(labels) if (i in crossed) != (i in toggled)]
        st.session_state[clicked_key] = clicked
        st.rerun()
    if not clicked:
        st.session_state[clicked_key] = ()
