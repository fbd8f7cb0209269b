"""A server's settings, from environment variables (so replicas and containers set them the same way).

| variable | meaning | default |
|---|---|---|
| ``EXPLORER_DEVICE`` | ``auto``, ``cuda``, ``mps`` or ``cpu`` | ``auto`` |
| ``EXPLORER_REPLICA`` | this replica's name, when several run behind a balancer | none |
| ``EXPLORER_JOBS`` | heavy jobs (traces, captum, training steps, scoring) running at once | 1 |
| ``EXPLORER_MAX_BATCH`` | traces of one model answered by one forward and backward pass | 16 on a GPU, 1 on the CPU |
| ``EXPLORER_BATCH_WAIT_MS`` | how long a trace waits for others to join its batch | 20 |
| ``EXPLORER_MODELS_MB`` | models kept in memory for all sessions together | 2048 |
| ``EXPLORER_RESULTS_MB`` | results (explanations, overlays) kept for all sessions together | 1024 |
| ``EXPLORER_SESSION_MB`` | results one session may keep | 64 |
| ``EXPLORER_SHARED_MB`` | results computed once and shown to every session (curves, fields, fine-tuned runs) | 512 |
| ``EXPLORER_CLASS_STORE`` | where classes live: ``sqlite:///path`` or ``redis://host:port/db`` | recordings folder |
| ``EXPLORER_CLASS_MINUTES`` | how long a class lasts after it is started | 180 |
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

from explorer.device import DEVICE_CHOICES
from explorer.errors import UserError, check_choice, check_range

PREFIX = "EXPLORER_"
MB = 2**20


class SettingsError(UserError):
    """A setting that cannot be used; the message names the variable and what it takes."""


@dataclass(frozen=True)
class Settings:
    """How one server shares its device and memory among its sessions."""

    device: str = "auto"
    replica: str = ""
    jobs: int = 1
    max_batch: int | None = None  # None: 16 on a GPU, 1 on the CPU (see batch_size)
    batch_wait_ms: int = 20
    models_mb: int = 2048
    results_mb: int = 1024
    session_mb: int = 64
    shared_mb: int = 512
    class_store: str = ""
    class_minutes: int = 180
    trusted_proxy: str = ""  # the balancer's address: only its X-Forwarded-For names a browser's address

    def __post_init__(self) -> None:
        check_choice(f"{PREFIX}DEVICE", self.device, DEVICE_CHOICES)
        if len(self.replica) > 40 or not all(c.isalnum() or c in "-_." for c in self.replica):
            raise SettingsError(
                f"{PREFIX}REPLICA must be up to 40 letters, digits, '-', '_' or '.'; got {self.replica!r}"
            )
        limits = {"jobs": (1, 64), "max_batch": (1, 256), "batch_wait_ms": (0, 1000), "models_mb": (64, 10**6),
                  "results_mb": (16, 10**6), "session_mb": (4, 10**6), "shared_mb": (16, 10**6),
                  "class_minutes": (10, 7 * 24 * 60)}  # fmt: skip
        for name, (low, high) in limits.items():
            value = getattr(self, name)
            if not (name == "max_batch" and value is None):
                check_range(f"{PREFIX}{name.upper()}", value, low, high)
        if self.trusted_proxy:
            try:
                ipaddress.ip_address(self.trusted_proxy)
            except ValueError:
                raise SettingsError(
                    f"{PREFIX}TRUSTED_PROXY must be the balancer's IP address (e.g. 127.0.0.1); got "
                    f"{self.trusted_proxy!r}"
                ) from None
        if self.session_mb > self.results_mb:
            raise SettingsError(f"{PREFIX}SESSION_MB ({self.session_mb}) cannot exceed {PREFIX}RESULTS_MB")

    def batch_size(self, device: str) -> int:
        """Traces per batch on ``device`` (a device type): ``max_batch``, or 16 on a GPU and 1 on the CPU.

        On two CPU cores a batch of 8 ResNet-50 traces took as long as 8 single ones
        (benchmarks/bench_sessions.py): the convolutions are compute-bound already, and a batch only
        makes its sessions wait for each other. A GPU is far from busy with one image.
        """
        if self.max_batch is not None:
            return self.max_batch
        return 1 if device == "cpu" else 16

    @classmethod
    def from_environment(cls, environment: Mapping[str, str] = os.environ) -> Settings:
        """The settings named by ``EXPLORER_*`` variables, the defaults for the others."""
        values: dict[str, object] = {}
        for field in fields(cls):
            text = environment.get(f"{PREFIX}{field.name.upper()}")
            if text is None:
                continue
            if field.name not in ("device", "replica", "class_store", "trusted_proxy"):
                try:
                    values[field.name] = int(text)
                except ValueError:
                    raise SettingsError(f"{PREFIX}{field.name.upper()} must be a whole number; got {text!r}") from None
            else:
                values[field.name] = text
        return cls(**values)
