"""What the variants page says about its comparison, written from the numbers it shows."""

from __future__ import annotations

from collections.abc import Sequence

from explorer.architecture.stages import format_count
from explorer.variants.compare import VariantView


def comparison_reading(views: Sequence[VariantView]) -> str:
    """Whether the variants agree on the top class, and how their cost and measured time compare."""
    tops = {v.name: v.predictions[0].name for v in views}
    every = "Both variants" if len(views) == 2 else f"All {len(views)} variants"
    agree = (f"{every} put **{next(iter(tops.values()))}** first."
             if len(set(tops.values())) == 1 else "They disagree on the top class: "
             + "; ".join(f"{name}: **{top}**" for name, top in tops.items()) + ".")  # fmt: skip
    fast, slow = min(views, key=lambda v: v.latency_ms), max(views, key=lambda v: v.latency_ms)
    cost = (
        f" **{slow.name}** takes {slow.latency_ms:.1f} ms per image here, {slow.latency_ms / fast.latency_ms:.1f}× "
        f"**{fast.name}** ({fast.latency_ms:.1f} ms), for {slow.macs / fast.macs:.1f}× the multiply-adds "
        f"({format_count(slow.macs)} vs {format_count(fast.macs)})."
        if slow is not fast
        else ""
    )
    untrained = [v.name for v in views if not v.trained]
    caveat = (f" Untrained ({', '.join(untrained)}): its predictions and maps show the architecture at its "
              "initialisation, not anything learnt." if untrained else "")  # fmt: skip
    return agree + cost + caveat
