"""Classroom presets of the gradient lab, each with the note the page shows beside it (names and notes in English,
marked for translation: the address keeps a preset by its English name)."""

from __future__ import annotations

from explorer.gradlab.config import DEMO_LR
from explorer.language import N_

PRESETS: dict[str, dict[str, object]] = {
    N_("vanishing: plain-56, sigmoid, no BN"): {
        "depth": 56, "batch_norm": False, "preact": True, "activation": "sigmoid", "init": "xavier",
        "optimiser": "sgd", "lr": 0.05,
    },
    N_("the paper: plain vs ResNet with BN"): {
        "depth": 56, "batch_norm": True, "preact": False, "activation": "relu", "init": "he", "optimiser": "sgd",
        "lr": DEMO_LR,
    },
    N_("exploding: residual, no BN"): {
        "depth": 56, "batch_norm": False, "preact": False, "activation": "relu", "init": "he", "optimiser": "sgd",
        "lr": 0.01,
    },
}  # fmt: skip
FIRST_PRESET = N_("vanishing: plain-56, sigmoid, no BN")  # what the page opens on: the classic picture
PRESET_NOTES: dict[str, str] = {
    N_("vanishing: plain-56, sigmoid, no BN"): N_(
        "The classic picture. Sigmoid's slope is at most 1/4, so every layer shrinks the plain net's backward "
        "signal: at the input it is many orders of magnitude smaller than at the output (in 32-bit floats it can "
        "reach exactly 0). The residual net's shortcuts carry it back, crossing only the three sigmoids at the "
        "start of the stages — with pre-activation blocks. Switch pre-activation off: in the original blocks a "
        "sigmoid sits after every addition, on the shortcut's path too, and the signal vanishes there as well "
        "(He et al. 2016, Identity Mappings)."
    ),
    N_("the paper: plain vs ResNet with BN"): N_(
        "He et al.'s setting: batch norm and He initialisation. Nothing vanishes — and in the deep plain net the "
        "backward signal even grows towards the input at initialisation (the numbers below say by how much). Yet "
        "the plain-56 trains worse than the ResNet-56 (the degradation demo at the bottom). He et al. (2015, §4.1) "
        "argue this is an optimisation difficulty, not a gradient one; Yang et al. (2019) argue that the growth "
        "batch norm causes is part of it. Watch the relative weight gradient and the first training steps."
    ),
    N_("exploding: residual, no BN"): N_(
        "Without batch norm each residual block adds its branch to the signal, so the backward signal grows "
        "block by block toward the input: skip connections alone do not keep gradients in check."
    ),
}
