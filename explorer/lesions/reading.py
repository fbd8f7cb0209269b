"""What the lesion page says about its figures, written from the numbers they show."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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
        what = f"{first.k} block{'s' if first.k != 1 else ''} deleted" if kind == "delete" else (
            f"{first.k} swap{'s' if first.k != 1 else ''}")  # fmt: skip
        where = " — near chance" if first.mean >= NEAR_CHANCE * chance else ""
        sentences.append(
            f"**{label}**: {intact.mean:.1%} error intact, {first.mean:.1%} on average with {what} "
            f"(± {first.spread:.1%} over the draws){where}; {last.mean:.1%} at k = {last.k}."
        )
    return " ".join(sentences) + f" Chance is {chance:.0%}."


def paths_reading(measured: PathGradients) -> str:
    """Where the gradient comes from, against where the paths are."""
    n = measured.blocks
    half = measured.shortest_holding(0.5)
    short_share = sum(path_share(n)[: half + 1])
    lengths, per_path = measured.lengths, measured.per_path()
    ends = per_path[0] > 0 and per_path[-1] > 0 and lengths[-1] > lengths[0]
    factor = (per_path[-1] / per_path[0]) ** (1 / (lengths[-1] - lengths[0])) if ends else float("nan")
    trend = (
        f"One path's gradient is multiplied by about {factor:.2g} for every residual branch it takes (the right "
        "figure, geometric mean), so long paths, though many, carry little. "
        if factor < 1 else f"One path's gradient changes by about ×{factor:.2g} for every residual branch it takes. "
    )  # fmt: skip
    return (
        f"The {n} blocks make 2^{n} = {2**n:,} paths, on average {n / 2:g} blocks long. {trend}Paths of length "
        f"≤ {half} carry half of the gradient, and they are {short_share:.2%} of all paths."
    )
