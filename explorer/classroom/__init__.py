"""The classroom: a teacher leads a room of students through a lesson, step by step (no Streamlit here)."""
