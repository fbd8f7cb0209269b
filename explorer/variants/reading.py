"""What the variants page says about its comparison, written from the numbers it shows."""

from __future__ import annotations

from collections.abc import Sequence

from explorer.architecture.stages import format_count
from explorer.language import _, class_name, separated
from explorer.variants.compare import VariantView


def comparison_reading(views: Sequence[VariantView]) -> str:
    """Whether the variants agree on the top class, and how their cost and measured time compare."""
    tops = {v.name: class_name(v.predictions[0].name) for v in views}
    first = next(iter(tops.values()))
    agree = (
        (
            _("Both variants put **{top}** first.")
            if len(views) == 2
            else _("All {count} variants put **{top}** first.")
        ).format(top=first, count=len(views))
        if len(set(tops.values())) == 1
        else _("They disagree on the top class: {tops}.").format(
            tops=_("; ").join(f"{name}: **{top}**" for name, top in tops.items())
        )
    )
    fast, slow = min(views, key=lambda v: v.latency_ms), max(views, key=lambda v: v.latency_ms)
    cost = (
        " "
        + _(
            "**{slow}** takes {slow_ms} ms per image here, {times}× **{fast}** ({fast_ms} ms), for {macs_times}× the "
            "multiply-adds ({slow_macs} vs {fast_macs})."
        ).format(
            slow=slow.name,
            slow_ms=f"{slow.latency_ms:.1f}",
            times=f"{slow.latency_ms / fast.latency_ms:.1f}",
            fast=fast.name,
            fast_ms=f"{fast.latency_ms:.1f}",
            macs_times=f"{slow.macs / fast.macs:.1f}",
            slow_macs=format_count(slow.macs),
            fast_macs=format_count(fast.macs),
        )
        if slow is not fast
        else ""
    )
    untrained = [v.name for v in views if not v.trained]
    caveat = (
        " "
        + _(
            "Untrained ({nets}): its predictions and maps show the architecture at its initialisation, not anything "
            "learnt."
        ).format(nets=separated(untrained))
        if untrained
        else ""
    )
    return agree + cost + caveat
