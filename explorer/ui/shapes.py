"""The Shapes dataset page's cached computations."""

from __future__ import annotations

import streamlit as st

from explorer.shapes import shipped
from explorer.shapes.scoring import BlockScore, score_model
from explorer.ui.common import device


@st.cache_data(max_entries=8, show_spinner="Scoring every block on the test images…")
def cached_scores(count: int) -> dict[str, list[BlockScore]]:
    """Pointing-game and energy scores of every shipped model on ``count`` of its test images."""
    return {
        m.spec.label: score_model(shipped.load_shipped(m, device()), m.test_config, count)
        for m in shipped.shipped_models().values()
    }
