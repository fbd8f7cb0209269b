"""The variants a class can put side by side: depths, plain vs residual, pre-activation, and different weights.

Each is a net of the explorer's one catalogue (:mod:`explorer.catalogue`), named as everywhere else. ImageNet
weights come from torchvision's local cache only; where they are missing the variant is the untrained net, and
its label says so.
"""

from __future__ import annotations

from explorer.catalogue import NETS, Net
from explorer.errors import UserError, check_choice
from explorer.language import _

VARIANTS: tuple[str, ...] = (
    "shapes-resnet20", "shapes-plain20",
    *(f"imagenet-resnet{d}" for d in (18, 34, 50, 101, 152)),
    "untrained-plain18", "untrained-plain34", "untrained-preact-resnet50",
    *(f"untrained-resnet{d}" for d in (20, 56, 110)),
    "untrained-plain56", "untrained-preact-resnet56",
)  # fmt: skip
MAX_VARIANTS = 4


def check_keys(keys: list[str]) -> list[Net]:
    """The variants named by ``keys``, checked: two to four known, different keys."""
    for key in keys:
        check_choice("variant", key, VARIANTS)
    if not 2 <= len(keys) <= MAX_VARIANTS or len(set(keys)) != len(keys):
        raise UserError(
            _("Choose two to {most} different variants; got {count}.").format(most=MAX_VARIANTS, count=len(keys))
        )
    return [NETS[k] for k in keys]


def default_keys() -> list[str]:
    """ResNet-18 and ResNet-50 with ImageNet weights when both are cached; else the Shapes-trained pair."""
    imagenet_pair = ["imagenet-resnet18", "imagenet-resnet50"]
    if all(NETS[k].available() for k in imagenet_pair):
        return imagenet_pair
    return ["shapes-resnet20", "shapes-plain20"]
