"""Shapes: a procedural dataset with known truth, the models trained on it, and scored explanations."""
