"""What the landscape page says about its figures, written from the numbers they show."""

from __future__ import annotations

from collections.abc import Mapping

from explorer.landscape.slices import Slice


def line_reading(lines: Mapping[str, Slice]) -> str:
    """Per net: the loss at the trained weights and at both ends of the line."""
    parts = []
    for label, line in lines.items():
        losses, centre = line.losses[0], len(line.alphas) // 2
        parts.append(f"**{label}**: {losses[centre]:.3g} at the trained weights, {losses[0]:.3g} and {losses[-1]:.3g} "
                     f"at the ends (α = ±{abs(line.alphas[0]):g}).")  # fmt: skip
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
        parts.append(f"**{label}**: {centre:.3g} at the trained weights, at most {max(inner):.3g} within ±{half:g} "
                     f"of them, at most {max(everything):.3g} over the plane.")  # fmt: skip
    return " ".join(parts)
