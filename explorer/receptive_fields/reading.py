"""What the receptive-field page says about its figures, written from the numbers they show."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from explorer.receptive_fields.effective import HOLDING, EffectiveField
from explorer.receptive_fields.theory import Field


def theory_reading(fields: Sequence[Field], image_side: int) -> str:
    """Where the theoretical field outgrows the image, and how large it ends."""
    last = fields[-1]
    beyond = next((f for f in fields if f.size >= image_side), None)
    where = (
        f"From **{beyond.paper_name}** on, a unit's theoretical field is as large as the {image_side}×{image_side} "
        "image or larger (the rest of it falls on the zero padding)."
        if beyond else f"Even the last block's field is smaller than the {image_side}×{image_side} image."
    )  # fmt: skip
    return (
        f"The last block, {last.paper_name}, has a theoretical field of **{last.size}×{last.size}** pixels, its units "
        f"{last.jump} pixels apart. {where}"
    )


def effective_reading(fields: Mapping[str, Sequence[EffectiveField]], image_side: int) -> str:
    """How much of the theoretical field the effective one uses at the last block, net by net, and which net's is
    smaller."""
    sentences = []
    last_sides = {}
    for label, measured in fields.items():
        last = measured[-1]
        held = last.side_holding()
        if held is None:
            sentences.append(f"**{label}**: no gradient reached the input.")
            continue
        last_sides[label] = held
        visible = min(last.field.size, image_side)
        sentences.append(
            f"**{label}**: at {last.paper_name} {HOLDING:.0%} of the gradient falls within **{held}×{held}** pixels, "
            f"against a theoretical {last.field.size}×{last.field.size} ({visible}×{visible} of it on the image)."
        )
    if len(last_sides) == 2:
        (a, side_a), (b, side_b) = sorted(last_sides.items(), key=lambda item: item[1])
        if side_a < side_b:
            sentences.append(f"The effective field of {a} is smaller than that of {b}, though their theoretical "
                             "fields are the same.")  # fmt: skip
        else:
            sentences.append(f"{a} and {b} have effective fields of the same size here.")
    return " ".join(sentences)
