"""The Architecture page's cached computations."""

from __future__ import annotations

import streamlit as st

from explorer.architecture.stages import StageTable, stage_table
from explorer.spec import ModelSpec


@st.cache_resource(max_entries=64, show_spinner="Computing the stage table…")
def cached_stage_table(spec: ModelSpec, input_size: int) -> StageTable:
    """``stage_table`` computed once for every session and rerun. The one table is handed to all (it is immutable):
    not a pickled copy per reader, as ``st.cache_data`` makes: that was about a tenth of a following student's
    Architecture run (py-spy GIL samples, a class of 60)."""
    return stage_table(spec, input_size)
