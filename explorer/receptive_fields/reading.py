"""What the receptive-field page says about its figures, written from the numbers they show."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from explorer.language import _
from explorer.receptive_fields.effective import HOLDING, EffectiveField
from explorer.receptive_fields.theory import Field


def theory_reading(fields: Sequence[Field], image_side: int) -> str:
    """Where the theoretical field outgrows the image, and how large it ends."""
    last = fields[-1]
    beyond = next((f for f in fields if f.size >= image_side), None)
    where = (
        _("From **{block}** on, a unit's theoretical field is as large as the {side}×{side} image or larger (the rest "
          "of it falls on the zero padding).").format(block=beyond.paper_name, side=image_side)
        if beyond else _("Even the last block's field is smaller than the {side}×{side} image.").format(side=image_side)
    )  # fmt: skip
    return _(
        "The last block, {block}, has a theoretical field of **{size}×{size}** pixels, its units {jump} pixels apart. "
        "{where}"
    ).format(block=last.paper_name, size=last.size, jump=last.jump, where=where)


def effective_reading(fields: Mapping[str, Sequence[EffectiveField]], image_side: int) -> str:
    """How much of the theoretical field the effective one uses at the last block, net by net, and which net's is
    smaller."""
    sentences = []
    last_sides = {}
    for label, measured in fields.items():
        last = measured[-1]
        held = last.side_holding()
        if held is None:
            sentences.append(_("**{net}**: no gradient reached the input.").format(net=label))
            continue
        last_sides[label] = held
        visible = min(last.field.size, image_side)
        sentences.append(
            _(
                "**{net}**: at {block} {share} of the gradient falls within **{held}×{held}** pixels, against a "
                "theoretical {size}×{size} ({visible}×{visible} of it on the image)."
            ).format(
                net=label,
                block=last.paper_name,
                share=f"{HOLDING:.0%}",
                held=held,
                size=last.field.size,
                visible=visible,
            )
        )
    if len(last_sides) == 2:
        (a, side_a), (b, side_b) = sorted(last_sides.items(), key=lambda item: item[1])
        if side_a < side_b:
            sentences.append(_("The effective field of {a} is smaller than that of {b}, though their theoretical "
                               "fields are the same.").format(a=a, b=b))  # fmt: skip
        else:
            sentences.append(_("{a} and {b} have effective fields of the same size here.").format(a=a, b=b))
    return " ".join(sentences)
