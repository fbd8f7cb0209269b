"""Demos computed once and kept on disk by their settings, so a class sees them at once and can replay them.

A recording is one JSON file named after what it is (``degradation``, ``live-run``) and a digest of
the settings that made it and of the code's version (:func:`explorer.storage.code_version`); it holds those
settings, when it was made and on which device, and its results. The folder is ``EXPLORER_RECORDINGS`` (default
``~/.cache/resnet-explorer/recordings``), shared by replicas; everything kept in it is written atomically
(:func:`explorer.storage.keep`).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from explorer import storage

FOLDER_VARIABLE = "EXPLORER_RECORDINGS"


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


def kept_path(kind: str, settings: dict, suffix: str = ".json", subfolder: str = "") -> Path:
    """Where a result of ``kind`` made with ``settings`` by this version of the code is kept."""
    digest = hashlib.sha256(json.dumps([storage.code_version(), settings], sort_keys=True).encode()).hexdigest()[:16]
    return folder() / subfolder / f"{kind}-{digest}{suffix}"


def unwritable() -> str | None:
    """Why the recordings folder cannot be written, or None (see :func:`explorer.storage.unwritable`)."""
    return storage.unwritable(folder())


def load(kind: str, settings: dict) -> Recording | None:
    """The recording of ``kind`` made with exactly ``settings``, or None (also when unreadable)."""
    path = kept_path(kind, settings)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if data.get("settings") != json.loads(json.dumps(settings)):
        return None
    return Recording(kind, data["settings"], data["made"], data["device"], data["results"])


def save(kind: str, settings: dict, results: dict, device: str) -> Recording:
    """Keep ``results`` of ``kind`` under ``settings`` (atomically); returns the recording.

    A folder that cannot be written is not an error for the page: the recording is returned, unsaved, and
    :func:`unwritable` says why.
    """
    recording = Recording(kind, json.loads(json.dumps(settings)), time.strftime("%Y-%m-%d %H:%M"), device, results)
    content = {"kind": kind, "settings": recording.settings, "made": recording.made, "device": device,
               "code": storage.code_version(), "results": results}  # fmt: skip
    storage.keep(kept_path(kind, settings), lambda file: file.write(json.dumps(content).encode()))
    return recording
