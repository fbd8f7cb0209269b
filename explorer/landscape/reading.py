"""What the landscape page says about its figures, written from the numbers they show."""

from __future__ import annotations

from collections.abc import Mapping

from explorer.landscape.slices import Slice
from explorer.language import _


def line_reading(lines: Mapping[str, Slice]) -> str:
    """Per net: the loss at the trained weights and at both ends of the line."""
    parts = []
    for label, line in lines.items():
        losses, centre = line.losses[0], len(line.alphas) // 2
        said = _("**{net}**: {centre} at the trained weights, {first} and {last} at the ends (α = ±{alpha}).")
        parts.append(said.format(net=label, centre=f"{losses[centre]:.3g}", first=f"{losses[0]:.3g}",
                                 last=f"{losses[-1]:.3g}", alpha=f"{abs(line.alphas[0]):g}"))  # fmt: skip
    return " ".join(parts)


def plane_reading(planes: Mapping[str, Slice]) -> str:
    """Per net: the loss at the centre, the highest loss within half the range, and over the whole plane."""
    parts = []
    for label, plane in planes.items():
        half = abs(plane.alphas[0]) / 2
        inner = [
            v
            for beta, row in zip(plane.betas, plane.losses, strict=True)
            for alpha, v in zip(plane.alphas, row, strict=True)
            if abs(alpha) <= half and abs(beta) <= half
        ]
        everything = [v for row in plane.losses for v in row]
        centre = plane.losses[len(plane.betas) // 2][len(plane.alphas) // 2]
        parts.append(_("**{net}**: {centre} at the trained weights, at most {inner} within ±{half} of them, at most "
                       "{everything} over the plane.").format(
            net=label, centre=f"{centre:.3g}", inner=f"{max(inner):.3g}", half=f"{half:g}",
            everything=f"{max(everything):.3g}"))  # fmt: skip
    return " ".join(parts)
