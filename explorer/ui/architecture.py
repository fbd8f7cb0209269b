"""The Architecture page's cached computations."""

from __future__ import annotations

import streamlit as st

from explorer.architecture.stages import StageTable, stage_table
from explorer.spec import ModelSpec


@st.cache_data(max_entries=64, show_spinner="Computing the stage table…")
def cached_stage_table(spec: ModelSpec, input_size: int) -> StageTable:
    """``stage_table`` cached across reruns and sessions."""
    return stage_table(spec, input_size)
