"""What the gradient lab says about what it shows: every sentence is made from the numbers on the page.

A classroom must never read "healthy" under a curve that grows ten-thousandfold, nor "batch norm"
when it is off. :func:`trend` names what a first ÷ last ratio does; :func:`profile_reading`
writes the paragraph under the profiles at initialisation from the measured profiles and the
settings that made them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from explorer.gradlab.config import PROFILE_IMAGE_SIZE, GradLabConfig
from explorer.gradlab.degradation import Curve
from explorer.gradlab.profiles import GradientProfile, first_to_last_ratio
from explorer.language import N_, _, ngettext, separated

VANISHES, SHRINKS, LEVEL, GROWS, EXPLODES = (
    N_("vanishes"),
    N_("shrinks"),
    N_("stays level"),
    N_("grows"),
    N_("explodes"),
)


def trend(ratio: float) -> str:
    """What a first ÷ last gradient ratio means: vanishes (< 1e-3), shrinks (< 1/3), stays level (up to 3),
    grows (up to 1e3) or explodes (beyond)."""
    if not math.isfinite(ratio):
        return EXPLODES
    if ratio < 1e-3:
        return VANISHES
    if ratio < 1 / 3:
        return SHRINKS
    if ratio <= 3:
        return LEVEL
    return GROWS if ratio <= 1e3 else EXPLODES


def ratio_text(ratio: float) -> str:
    """A ratio as a class reads it: ``0`` when the signal underflowed, ``×9.8e+03``, ``×0.7``."""
    return _("0 (it underflowed to zero in 32-bit floats)") if ratio == 0 else f"×{ratio:.2g}"


def profile_reading(profiles: Mapping[str, GradientProfile], config: GradLabConfig) -> str:
    """The paragraph under the profiles at initialisation, from the numbers they show and the settings."""
    signal = {net: first_to_last_ratio(profile, "signal") for net, profile in profiles.items()}
    sentences = [
        _("From the last block back to the first, the backward signal of the {net} net is {ratio}: it {trend}.").format(
            net=_(net), ratio=ratio_text(ratio), trend=_(trend(ratio))
        )
        for net, ratio in signal.items()
    ]
    plain = signal.get("plain")
    if config.batch_norm and plain is not None and trend(plain) in (GROWS, EXPLODES):
        relative = profiles["plain"].relative
        sentences.append(
            _(
                "With batch norm the plain net's signal grows towards the input: at initialisation each batch norm "
                "divides by its batch's spread, and in a deep plain stack that amplifies the gradient on the way back "
                "(Yang et al. 2019). He et al. (2015, §4.1) called these norms healthy, meaning they do not vanish, "
                "which stays true. Batch norm also makes a layer indifferent to the scale of the weights before it, "
                "so what moves a layer is its gradient relative to its weights (right): ‖∂L/∂W‖/‖W‖ is {first} at "
                "the plain net's first block against {last} at its last."
            ).format(first=f"{relative[1]:.2g}", last=f"{relative[-1]:.2g}")
        )
    elif plain is not None and trend(plain) in (VANISHES, SHRINKS):
        sentences.append(
            _(
                "Each layer of the plain net multiplies the signal by its Jacobian on the way back, and here those "
                "factors are below 1: the early layers hardly learn."
            )
        )
    residual = signal.get("residual")
    if residual is not None and not config.batch_norm and trend(residual) in (GROWS, EXPLODES):
        sentences.append(
            _(
                "Without batch norm every residual block adds its branch's gradient to the shortcut's, so the signal "
                "grows block by block towards the input: shortcuts alone do not keep gradients in check."
            )
        )
    conditions = (
        _("Measured on the first training batch at {size}×{size}, batch norm in training mode.")
        if config.batch_norm
        else _("Measured on the first training batch at {size}×{size}, without batch norm.")
    )
    return " ".join([*sentences, conditions.format(size=PROFILE_IMAGE_SIZE)])


def early_reading(by_step: Mapping[int, Mapping[str, GradientProfile]]) -> str:
    """The paragraph under the first training steps' profiles, from their numbers."""
    steps = sorted(by_step)
    parts = [
        ngettext("after {count} step: {ratios}", "after {count} steps: {ratios}", step).format(
            count=step,
            ratios=separated(
                f"{_(net)} {ratio_text(first_to_last_ratio(profile))}" for net, profile in by_step[step].items()
            ),
        )
        for step in steps
    ]
    text = _("The backward signal, first block ÷ last, {parts}.").format(parts=_("; ").join(parts))
    plain = [first_to_last_ratio(by_step[step]["plain"]) for step in steps if "plain" in by_step[step]]
    if len(plain) > 1 and trend(plain[0]) in (GROWS, EXPLODES) and plain[-1] < plain[0] / 10:
        text += " " + _(
            "The plain net's growth does not last: its first updates, large against its weights, rescale the early "
            "kernels, and batch norm, indifferent to that scale, damps their gradient. Whether those first "
            "disordered steps are part of why the deep plain net trains worse is argued: Yang et al. (2019) say they "
            "are; He et al. (2015) point to a harder optimisation."
        )
    return text


def degradation_reading(curves: Mapping[str, Curve]) -> str:
    """The sentence under the degradation demo, from the curves it shows."""
    errors = {label: curve.final_error() for label, curve in curves.items()}
    text = _("Training error over the last 50 steps: {errors}.").format(
        errors=separated(f"{k} {v:.0%}" for k, v in errors.items())
    )
    plains = sorted((label for label in errors if label.startswith("plain")), key=lambda s: int(s.split("-")[1]))
    if len(plains) >= 2:
        shallow, deep = plains[0], plains[-1]
        residual = deep.replace("plain", "ResNet")
        if errors[deep] > errors[shallow] + 0.1 and errors[deep] > errors.get(residual, 1.0) + 0.1:
            text += " " + _(
                "The deeper plain net ({deep}) trains worse than the shallower one and than the residual net of its "
                "own depth — the degradation problem, with batch norm on and nothing vanishing."
            ).format(deep=deep)
        else:
            text += " " + _("Here {deep} is not clearly worse than {shallow}: try more steps.").format(
                deep=deep, shallow=shallow
            )
    return text
