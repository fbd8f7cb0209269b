"""Streamlit glue, one module per page plus the pieces every page shares."""
