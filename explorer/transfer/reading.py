"""What the transfer-learning page says about its runs, written from the numbers they produced."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from explorer.language import N_, _, ngettext
from explorer.provenance import csv_text
from explorer.transfer.finetune import RunResult


def runs_reading(results: Sequence[RunResult], chance: float) -> str:
    """The best run, the feature extractor against from scratch, and what leaving out the normalisation did."""
    final = {r.run: r.curve[-1].test_accuracy for r in results}
    best = max(results, key=lambda r: final[r.run])
    sentences = [
        ngettext(
            "Best on the held-out images: **{run}**, {accuracy} after {epochs} epoch (chance {chance}).",
            "Best on the held-out images: **{run}**, {accuracy} after {epochs} epochs (chance {chance}).",
            len(best.curve) - 1,
        ).format(run=best.run.label, accuracy=f"{final[best.run]:.1%}", epochs=len(best.curve) - 1,
                 chance=f"{chance:.0%}")
    ]  # fmt: skip
    by_choice = {(r.run.choice, r.run.normalised): r for r in results}
    head, scratch = by_choice.get(("head", True)), by_choice.get(("scratch", True))
    if head and scratch:
        sentences.append(
            _(
                "Training only the head ({head} parameters) reached {head_accuracy}; training all {all} from scratch "
                "reached {scratch_accuracy}."
            ).format(
                head=f"{head.trainable:,}",
                head_accuracy=f"{final[head.run]:.1%}",
                all=f"{scratch.trainable:,}",
                scratch_accuracy=f"{final[scratch.run]:.1%}",
            )
        )
    raw = by_choice.get(("head", False))
    if head and raw:
        said = (
            _("Without the normalisation the source weights were trained with, the same head-only run reached {raw} "
              "instead of {normalised}: the frozen layers see inputs on another scale than they were trained on.")
            if final[raw.run] < final[head.run]
            else _("Without the normalisation the source weights were trained with, the same head-only run reached "
                   "{raw} instead of {normalised} — no worse here.")
        )  # fmt: skip
        sentences.append(said.format(raw=f"{final[raw.run]:.1%}", normalised=f"{final[head.run]:.1%}"))
    return " ".join(sentences)


def moved_reading(results: Sequence[RunResult]) -> str:
    """For each run that trained more than its head: which of its trained parts moved most and least."""
    sentences = []
    for r in results:
        trained = {part: value for part, value in r.moved.items() if part != "fc" and value > 0}
        if len(trained) < 2:
            continue
        most, least = max(trained, key=trained.get), min(trained, key=trained.get)
        sentences.append(_("*{run}*: {most} moved most ({most_moved}), {least} least ({least_moved}).").format(
            run=r.run.label, most=most, most_moved=f"{trained[most]:.3f}", least=least,
            least_moved=f"{trained[least]:.3f}"))  # fmt: skip
    return " ".join(sentences)


def results_rows(results: Sequence[RunResult]) -> list[dict[str, object]]:
    """One table row per run: trainable parameters, accuracies at the end and time per epoch."""
    rows = []
    for r in results:
        trained = r.curve[1:]
        seconds = sum(p.seconds for p in trained) / max(len(trained), 1)
        rows.append({
            N_("run"): r.run.label, N_("trainable parameters"): f"{r.trainable:,}",
            N_("held-out accuracy"): f"{r.curve[-1].test_accuracy:.1%}",
            N_("training accuracy"): f"{r.curve[-1].train_accuracy:.1%}", N_("time per epoch"): f"{seconds:.2f} s",
        })  # fmt: skip
    return rows


def curves_csv(results: Sequence[RunResult], details: Mapping[str, object]) -> str:
    """Every run's curve as CSV: run, epoch, training and held-out accuracy, seconds of training in that epoch; after
    a ``#`` header block of ``details`` (source, target, recipe)."""
    columns = ["run", "choice", "normalised", "trainable", "epoch", "train_accuracy", "test_accuracy", "seconds"]
    rows = [
        dict(zip(columns, [r.run.label, r.run.choice, r.run.normalised, r.trainable, p.epoch,
                           f"{p.train_accuracy:.4f}", f"{p.test_accuracy:.4f}", f"{p.seconds:.4f}"], strict=True))
        for r in results for p in r.curve
    ]  # fmt: skip
    return csv_text(columns, rows, details)
