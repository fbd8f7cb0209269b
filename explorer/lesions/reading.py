"""What the lesion page says about its figures, written from the numbers they show."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from explorer.language import _, ngettext
from explorer.lesions.paths import PathGradients, path_share
from explorer.lesions.study import CurvePoint

NEAR_CHANCE = 0.8  # an error above this share of chance error reads "near chance"


def _at(points: Sequence[CurvePoint], k: int) -> CurvePoint | None:
    return next((p for p in points if p.k == k), None)


def lesion_reading(curves: Mapping[str, Sequence[CurvePoint]], kind: str, chance: float) -> str:
    """A sentence per net: its intact error, its error after the smallest k measured, and where it ends."""
    sentences = []
    for label, points in curves.items():
        intact, first, last = _at(points, 0), next((p for p in points if p.k > 0), None), points[-1]
        if intact is None or first is None:
            continue
        what = (ngettext("{count} block deleted", "{count} blocks deleted", first.k) if kind == "delete"
                else ngettext("{count} swap", "{count} swaps", first.k)).format(count=first.k)  # fmt: skip
        said = (
            _("**{net}**: {intact} error intact, {first} on average with {what} (± {spread} over the draws) — near "
              "chance; {last} at k = {k}.")
            if first.mean >= NEAR_CHANCE * chance
            else _("**{net}**: {intact} error intact, {first} on average with {what} (± {spread} over the draws); "
                   "{last} at k = {k}.")
        )  # fmt: skip
        sentences.append(said.format(net=label, intact=f"{intact.mean:.1%}", first=f"{first.mean:.1%}", what=what,
                                     spread=f"{first.spread:.1%}", last=f"{last.mean:.1%}", k=last.k))  # fmt: skip
    return " ".join([*sentences, _("Chance is {chance}.").format(chance=f"{chance:.0%}")])


def paths_reading(measured: PathGradients) -> str:
    """Where the gradient comes from, against where the paths are."""
    n = measured.blocks
    half = measured.shortest_holding(0.5)
    short_share = sum(path_share(n)[: half + 1])
    lengths, per_path = measured.lengths, measured.per_path()
    ends = per_path[0] > 0 and per_path[-1] > 0 and lengths[-1] > lengths[0]
    factor = (per_path[-1] / per_path[0]) ** (1 / (lengths[-1] - lengths[0])) if ends else float("nan")
    trend = (
        _("One path's gradient is multiplied by about {factor} for every residual branch it takes (the right figure, "
          "geometric mean), so long paths, though many, carry little.")
        if factor < 1 else _("One path's gradient changes by about ×{factor} for every residual branch it takes.")
    ).format(factor=f"{factor:.2g}")  # fmt: skip
    return _(
        "The {n} blocks make 2^{n} = {paths} paths, on average {average} blocks long. {trend} Paths of length ≤ {half} "
        "carry half of the gradient, and they are {share} of all paths."
    ).format(n=n, paths=f"{2**n:,}", average=f"{n / 2:g}", trend=trend, half=half, share=f"{short_share:.2%}")
