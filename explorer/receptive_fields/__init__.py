"""Receptive fields: the theoretical one of every block (closed form) and the effective one (input gradients)."""
