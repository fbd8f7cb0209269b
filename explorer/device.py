"""Where models run: CUDA, then Apple's MPS, then the CPU."""

from __future__ import annotations

import torch


def pick_device() -> torch.device:
    """The best available device: CUDA, then MPS, then CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def describe_device(device: torch.device) -> str:
    """A short human description, e.g. ``CUDA · NVIDIA H100`` or ``CPU · 2 threads``."""
    if device.type == "cuda":
        return f"CUDA · {torch.cuda.get_device_name(device)}"
    if device.type == "mps":
        return "MPS · Apple GPU"
    return f"CPU · {torch.get_num_threads()} threads"
