"""The gradient lab: what skip connections do to the backward signal, and what they do not.

Two CIFAR-style nets of depth 6n+2, plain and residual, with the same width, initialisation,
seed and data order (:mod:`~explorer.gradlab.config`). :func:`layer_gradients` measures, for one
batch, the gradient norms at the stem and at every block (:mod:`~explorer.gradlab.profiles`);
:func:`train` trains both nets side by side and records the same norms at every step
(:mod:`~explorer.gradlab.training`), and :func:`degradation_demo` shows the degradation problem
of He et al. 2015 (:mod:`~explorer.gradlab.degradation`).
"""

from explorer.gradlab.config import (
    DEMO_BATCH,
    DEMO_DEPTHS,
    DEMO_LR,
    MAX_BATCH,
    MAX_DEPTH,
    MAX_LR,
    MAX_STEPS,
    MIN_DEPTH,
    NETS,
    OPTIMISERS,
    PROFILE_IMAGE_SIZE,
    STEM,
    GradLabConfig,
    build,
    build_pair,
    net_label,
    probe_batch,
    training_data,
)
from explorer.gradlab.degradation import (
    CURVES_SHAPE,
    Curve,
    DegradationRun,
    curves_from_results,
    curves_to_results,
    degradation_config,
    degradation_demo,
)
from explorer.gradlab.presets import FIRST_PRESET, PRESET_NOTES, PRESETS
from explorer.gradlab.profiles import (
    GradientProfile,
    LayerGradient,
    first_to_last_ratio,
    initial_profile,
    initial_profiles,
    layer_gradients,
)
from explorer.gradlab.reading import degradation_reading, early_reading, profile_reading, trend
from explorer.gradlab.training import (
    EARLY_STEPS,
    RECORDS_SHAPE,
    StepRecord,
    early_profiles,
    make_optimiser,
    records_from_results,
    records_to_csv,
    records_to_results,
    train,
)

__all__ = [
    "CURVES_SHAPE",
    "DEMO_BATCH",
    "DEMO_DEPTHS",
    "DEMO_LR",
    "EARLY_STEPS",
    "FIRST_PRESET",
    "MAX_BATCH",
    "MAX_DEPTH",
    "MAX_LR",
    "MAX_STEPS",
    "MIN_DEPTH",
    "NETS",
    "OPTIMISERS",
    "PRESETS",
    "PRESET_NOTES",
    "PROFILE_IMAGE_SIZE",
    "RECORDS_SHAPE",
    "STEM",
    "Curve",
    "DegradationRun",
    "GradLabConfig",
    "GradientProfile",
    "LayerGradient",
    "StepRecord",
    "build",
    "build_pair",
    "curves_from_results",
    "curves_to_results",
    "degradation_config",
    "degradation_demo",
    "degradation_reading",
    "early_profiles",
    "early_reading",
    "first_to_last_ratio",
    "initial_profile",
    "initial_profiles",
    "layer_gradients",
    "make_optimiser",
    "net_label",
    "probe_batch",
    "profile_reading",
    "records_from_results",
    "records_to_csv",
    "records_to_results",
    "train",
    "training_data",
    "trend",
]
