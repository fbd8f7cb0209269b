"""What the explorer keeps on disk, written one way: atomically, under a key that holds the code's version.

Replicas behind a balancer share one folder (``EXPLORER_RECORDINGS``), so two of them may keep the same file at the
same moment. :func:`atomic_write` writes through a temporary file of its own beside the target (``mkstemp``: a name
no other writer has) and renames it into place only once it is complete, so a reader sees the old file or the new
one, never half of either. :func:`code_version` names the code that made a kept file: a new version of the
explorer computes its demos and nets again instead of reading what an older one kept. A folder that cannot be
written is not an error for a page, but it is said (:func:`unwritable`) and logged.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from explorer.errors import short_detail

ROOT = Path(__file__).resolve().parent.parent
RECHECK_S = 60.0  # how long a folder's writability is taken as known
LOG = logging.getLogger("explorer.storage")
_checked: dict[Path, tuple[float, str | None]] = {}


@functools.cache
def code_version() -> str:
    """A digest of the explorer's and the models' source files: it changes whenever the code that computes a kept
    result may have."""
    digest = hashlib.sha256()
    for path in sorted([*ROOT.glob("explorer/**/*.py"), *ROOT.glob("models/**/*.py")]):
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@contextmanager
def atomic_write(path: Path, mode: str = "wb") -> Iterator[IO]:
    """A file to write ``path`` through: a temporary file of its own beside ``path``, renamed into place when the
    block ends without an error (and removed when it does not). Raises OSError when the folder cannot be written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(descriptor, mode) as file:
            yield file
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


def write(path: Path, data: bytes | str) -> None:
    """Write ``data`` (text as UTF-8) to ``path`` atomically; OSError when it cannot be written."""
    with atomic_write(path) as file:
        file.write(data.encode() if isinstance(data, str) else data)


def keep(path: Path, write: Callable[[IO], object]) -> bool:
    """Write ``path`` atomically with ``write(file)``; whether it was kept. A folder that cannot be written is
    logged and said by :func:`unwritable`, not raised: the result is simply not kept."""
    try:
        with atomic_write(path) as file:
            write(file)
    except OSError as error:
        _note(path.parent, short_detail(error))
        return False
    _checked[path.parent] = (time.monotonic(), None)
    return True


def unwritable(folder: Path) -> str | None:
    """Why ``folder`` cannot be written (checked at most once a minute, by writing a temporary file), or None."""
    now = time.monotonic()
    known = _checked.get(folder)
    if known is not None and now - known[0] < RECHECK_S:
        return known[1]
    try:
        with atomic_write(folder / ".writable"):
            pass
        (folder / ".writable").unlink(missing_ok=True)
    except OSError as error:
        return _note(folder, short_detail(error))
    _checked[folder] = (now, None)
    return None


def _note(folder: Path, reason: str) -> str:
    known = _checked.get(folder)
    if known is None or known[1] != reason:
        LOG.warning("cannot keep results in %s (%s): they will be computed again", folder, reason)
    _checked[folder] = (time.monotonic(), reason)
    return reason


def set_aside(paths: list[Path], why: str) -> list[Path]:
    """Rename each of ``paths`` to ``<name>.<why>-<time>`` beside it (a damaged or planted file kept for a look, out
    of the way of a fresh one), all with the same time; the new paths. A path already gone (another replica set it
    aside first) is skipped; any other OSError is raised."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    moved = []
    for path in paths:
        kept = path.with_name(f"{path.name}.{why}-{stamp}")
        try:
            path.rename(kept)
        except FileNotFoundError:
            continue
        moved.append(kept)
    return moved
