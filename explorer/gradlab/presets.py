"""Classroom presets of the gradient lab, each with the note the page shows beside it."""

from __future__ import annotations

from explorer.gradlab.config import DEMO_LR

PRESETS: dict[str, dict[str, object]] = {
    "vanishing: plain-56, sigmoid, no BN": {
        "depth": 56, "batch_norm": False, "preact": True, "activation": "sigmoid", "init": "xavier",
        "optimiser": "sgd", "lr": 0.05,
    },
    "the paper: plain vs ResNet with BN": {
        "depth": 56, "batch_norm": True, "preact": False, "activation": "relu", "init": "he", "optimiser": "sgd",
        "lr": DEMO_LR,
    },
    "exploding: residual, no BN": {
        "depth": 56, "batch_norm": False, "preact": False, "activation": "relu", "init": "he", "optimiser": "sgd",
        "lr": 0.01,
    },
}  # fmt: skip
PRESET_NOTES: dict[str, str] = {
    "vanishing: plain-56, sigmoid, no BN": (
        "Sigmoid's slope is at most 1/4, so every layer shrinks the plain net's backward signal: at the input it is "
        "many orders of magnitude smaller than at the output (in 32-bit floats it can reach exactly 0). The residual "
        "net's shortcuts carry it back — with pre-activation blocks. Switch pre-activation off: in the original "
        "blocks the sigmoid sits after the addition, on the shortcut's path too, and the signal vanishes there as "
        "well (He et al. 2016, Identity Mappings)."
    ),
    "the paper: plain vs ResNet with BN": (
        "With batch norm and He initialisation neither net's gradient vanishes, yet the plain-56 trains worse than "
        "the ResNet-56: the degradation problem is about optimisation, not vanishing gradients (He et al. 2015, §4.1)."
    ),
    "exploding: residual, no BN": (
        "Without batch norm each residual block adds its branch to the signal, so the backward signal grows "
        "block by block toward the input: skip connections alone do not keep gradients in check."
    ),
}
