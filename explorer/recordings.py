"""Demos computed once and kept on disk by their settings, so a class sees them at once and can replay them.

A recording is one JSON file named after what it is (``degradation``, ``live-run``) and a digest of
the settings that made it; it holds those settings, when it was made and on which device, and its
results. The folder is ``EXPLORER_RECORDINGS`` (default ``~/.cache/resnet-explorer/recordings``).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

FOLDER_VARIABLE = "EXPLORER_RECORDINGS"
VERSION = 1  # bump when what a recording holds changes


@dataclass(frozen=True)
class Recording:
    """Results kept on disk: what made them (``settings``), when and where, and the results themselves."""

    kind: str
    settings: dict
    made: str  # local time, e.g. "2026-12-01 09:30"
    device: str
    results: dict


def folder() -> Path:
    """Where recordings are kept."""
    chosen = os.environ.get(FOLDER_VARIABLE)
    return Path(chosen) if chosen else Path.home() / ".cache" / "resnet-explorer" / "recordings"


def _path(kind: str, settings: dict) -> Path:
    digest = hashlib.sha256(json.dumps([VERSION, settings], sort_keys=True).encode()).hexdigest()[:16]
    return folder() / f"{kind}-{digest}.json"


def load(kind: str, settings: dict) -> Recording | None:
    """The recording of ``kind`` made with exactly ``settings``, or None (also when unreadable)."""
    path = _path(kind, settings)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if data.get("settings") != json.loads(json.dumps(settings)):
        return None
    return Recording(kind, data["settings"], data["made"], data["device"], data["results"])


def save(kind: str, settings: dict, results: dict, device: str) -> Recording:
    """Keep ``results`` of ``kind`` under ``settings`` (written to a temporary file, then renamed into place).

    A folder that cannot be written is not an error for the page: the recording is returned, unsaved.
    """
    recording = Recording(kind, json.loads(json.dumps(settings)), time.strftime("%Y-%m-%d %H:%M"), device, results)
    path = _path(kind, settings)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
        with os.fdopen(descriptor, "w") as file:
            json.dump(
                {"kind": kind, "settings": recording.settings, "made": recording.made, "device": device,
                 "results": results},
                file,
            )  # fmt: skip
        os.replace(partial, path)
    except OSError:
        pass
    return recording
