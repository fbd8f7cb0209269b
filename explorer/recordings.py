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
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from explorer import storage

FOLDER_VARIABLE = "EXPLORER_RECORDINGS"
MAX_BYTES = 64 * 2**20  # the largest recording read (the biggest made here, a landscape plane, is well under 1 MB)
MAX_LABEL_CHARS = 64  # the longest date or device a recording may name
Shape = type | list | dict  # what a recording's results look like: see conforms()
_HEADER = {"kind": str, "settings": dict, "made": str, "device": str, "code": str}
LOG = logging.getLogger("explorer.recordings")


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


def conforms(value: object, shape: Shape) -> bool:
    """Whether ``value`` (read from JSON) has ``shape``: a type (``float`` takes whole numbers too, no type takes a
    bool but ``bool``), ``[shape]`` (a list of values of that shape), ``{str: shape}`` (a mapping from any texts to
    values of that shape) or ``{"key": shape, ...}`` (a mapping with exactly those keys)."""
    if isinstance(shape, type):
        if isinstance(value, bool):
            return shape is bool
        return isinstance(value, (int, float)) if shape is float else isinstance(value, shape)
    if isinstance(shape, list):
        return isinstance(value, list) and all(conforms(item, shape[0]) for item in value)
    if not isinstance(value, dict):
        return False
    if list(shape) == [str]:
        return all(isinstance(k, str) and conforms(v, shape[str]) for k, v in value.items())
    return value.keys() == shape.keys() and all(conforms(value[k], shape[k]) for k in shape)


def load(kind: str, settings: dict, shape: Shape) -> Recording | None:
    """The recording of ``kind`` made with exactly ``settings``, whose results have ``shape`` (:func:`conforms`), or
    None. The folder is shared, so a file may be damaged or planted: one that is too big, not JSON, nested too deep
    or of another shape is logged and set aside (renamed ``….bad-<time>``), and the recording is made again."""
    path = kept_path(kind, settings)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ValueError(f"larger than {MAX_BYTES // 2**20} MB")
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError, RecursionError) as error:
        return _set_aside(path, f"unreadable: {str(error)[:200]}")
    if not conforms(data, {**_HEADER, "results": shape}):
        return _set_aside(path, "not a recording of this kind")
    if data["settings"] != json.loads(json.dumps(settings)) or data["kind"] != kind:
        return _set_aside(path, "made with other settings")
    if max(len(data["made"]), len(data["device"])) > MAX_LABEL_CHARS:
        return _set_aside(path, "its date or device is too long")
    return Recording(kind, data["settings"], data["made"], data["device"], data["results"])


def _set_aside(path: Path, reason: str) -> None:
    try:
        moved = storage.set_aside([path], "bad")
    except OSError as error:  # a read-only folder: made again anyway
        LOG.warning("the recording %s is %s and cannot be set aside (%s): it is made again", path, reason, error)
        return None
    if moved:  # else another replica set it aside first
        LOG.warning("the recording %s is %s: set aside as %s, and made again", path, reason, moved[0].name)
    return None


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
