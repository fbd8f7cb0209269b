"""Where models run: CUDA, then Apple's MPS, then the CPU (one choice for every lab)."""

from __future__ import annotations

import torch

from explorer.errors import UserError, check_choice
from explorer.language import ngettext

DEVICE_CHOICES: tuple[str, ...] = ("auto", "cuda", "mps", "cpu")


class DeviceError(UserError):
    """A device that was asked for but is not present; the message says which ones are."""


def available_devices() -> list[torch.device]:
    """Every kind of device present here, best first; the CPU is always last."""
    found = []
    if torch.cuda.is_available():
        found.append(torch.device("cuda"))
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append(torch.device("mps"))
    return [*found, torch.device("cpu")]


def pick_device(preference: str = "auto") -> torch.device:
    """The device to run on: the best available (CUDA, then MPS, then CPU) for ``auto``, else the one named.

    Raises DeviceError when the named device is not present or not one of :data:`DEVICE_CHOICES`.
    """
    present = available_devices()
    if preference == "auto":
        return present[0]
    check_choice("device", preference, DEVICE_CHOICES)
    chosen = torch.device(preference)
    if chosen not in present:
        names = ", ".join(d.type for d in present)
        raise DeviceError(f"no {preference.upper()} device here; present: {names} (or use auto)")
    return chosen


def describe_device(device: torch.device) -> str:
    """A short human description, e.g. ``CUDA · NVIDIA H100`` or ``CPU · 2 threads``."""
    if device.type == "cuda":
        return f"CUDA · {torch.cuda.get_device_name(device)}"
    if device.type == "mps":
        return "MPS · Apple GPU"
    threads = torch.get_num_threads()
    return ngettext("CPU · {count} thread", "CPU · {count} threads", threads).format(count=threads)
