"""Caches bounded by bytes, not entries: what a server keeps for its sessions stays within a budget.

:class:`ByteLRU` holds values with their sizes; past its budget it drops the least recently used.
An entry may belong to an *owner* (a browser session) with a budget of its own, so one session
keeps only what its current view needs and cannot crowd out the others. :class:`SharedResults`
holds what is computed once for every session, within a budget of its own, and makes a session that
asks for a result another session is computing wait for that one. :func:`nbytes` measures the tensors,
arrays, images and bytes a value holds.
"""

from __future__ import annotations

import dataclasses
import gc
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import numpy as np
import torch
from PIL import Image
from plotly.basedatatypes import BaseFigure

V = TypeVar("V")


def nbytes(value: object) -> int:
    """The bytes held by ``value``: tensors (a module's parameters and buffers), arrays, images, bytes, plotly
    figures, and these inside dataclasses, lists, tuples and dicts (counted once each)."""
    seen: set[int] = set()

    def size(item: object) -> int:
        if id(item) in seen or item is None:
            return 0
        seen.add(id(item))
        if isinstance(item, torch.nn.Module):
            return sum(size(t) for t in (*item.parameters(), *item.buffers()))
        if isinstance(item, torch.Tensor):
            return item.numel() * item.element_size()
        if isinstance(item, np.ndarray):
            return item.nbytes
        if isinstance(item, Image.Image):
            return item.width * item.height * len(item.getbands())
        if isinstance(item, BaseFigure):  # its plain data twice: plotly's objects hold about as much again (measured:
            return 2 * size(item.to_dict())  # ResNet-152's block diagram keeps 234 KB, its data counts 104 KB)
        if isinstance(item, bytes | bytearray | str):
            return len(item)
        if isinstance(item, dict):
            return sum(size(k) + size(v) for k, v in item.items())
        if isinstance(item, list | tuple | set | frozenset):
            return sum(size(v) for v in item)
        if dataclasses.is_dataclass(item) and not isinstance(item, type):
            return sum(size(getattr(item, f.name)) for f in dataclasses.fields(item))
        return sys.getsizeof(item)

    return size(value)


class ByteLRU(Generic[V]):
    """A thread-safe least-recently-used cache whose entries together stay within ``budget`` bytes.

    ``owner_budget`` caps what the entries of one owner may hold together. A value larger than the
    budget it falls under is not kept (it is still returned by :meth:`get_or_create`).
    """

    def __init__(self, budget: int, owner_budget: int | None = None) -> None:
        self.budget, self.owner_budget = budget, owner_budget
        self._entries: OrderedDict[Hashable, tuple[V, int, Hashable | None]] = OrderedDict()
        self._lock = threading.Lock()
        self._making: dict[Hashable, threading.Lock] = {}

    @property
    def used(self) -> int:
        """Bytes held by all entries."""
        with self._lock:
            return sum(size for _, size, _ in self._entries.values())

    def used_by(self, owner: Hashable) -> int:
        """Bytes held by the entries of ``owner``."""
        with self._lock:
            return sum(size for _, size, who in self._entries.values() if who == owner)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def get(self, key: Hashable) -> V | None:
        """The value of ``key`` (now the most recently used), or None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def put(self, key: Hashable, value: V, size: int | None = None, owner: Hashable | None = None) -> bool:
        """Keep ``value`` (``size`` bytes, measured when None) under ``key``; whether it fits and was kept.

        Older entries of the same owner are dropped first, then the least recently used of all.
        """
        size = nbytes(value) if size is None else size
        with self._lock:
            self._entries.pop(key, None)
            cap = self.budget if owner is None or self.owner_budget is None else min(self.budget, self.owner_budget)
            if size > cap:
                return False
            if owner is not None and self.owner_budget is not None:
                self._shrink(self.owner_budget - size, owner)
            self._shrink(self.budget - size, None)
            self._entries[key] = (value, size, owner)
            return True

    def _shrink(self, room: int, owner: Hashable | None) -> None:
        """Drop least recently used entries (of ``owner`` only, when given) until they hold at most ``room``."""
        held = sum(size for _, size, who in self._entries.values() if owner is None or who == owner)
        for key in list(self._entries):
            if held <= room:
                return
            _, size, who = self._entries[key]
            if owner is None or who == owner:
                del self._entries[key]
                held -= size

    def drop_owner(self, owner: Hashable) -> None:
        """Forget every entry of ``owner`` (a session that ended)."""
        with self._lock:
            for key in [k for k, (_, _, who) in self._entries.items() if who == owner]:
                del self._entries[key]

    def owners(self) -> set[Hashable]:
        """Every owner that holds an entry."""
        with self._lock:
            return {who for _, _, who in self._entries.values() if who is not None}

    def get_or_create(
        self, key: Hashable, make: Callable[[], V], owner: Hashable | None = None, size_of: Callable[[V], int] = nbytes
    ) -> V:
        """The value of ``key``, made once by ``make()`` even when several threads ask at the same time."""
        if (found := self.get(key)) is not None:
            return found
        with self._lock:
            making = self._making.setdefault(key, threading.Lock())
        with making:
            if (found := self.get(key)) is not None:
                return found
            value = make()
            self.put(key, value, size_of(value), owner)
        with self._lock:
            self._making.pop(key, None)
        return value


@dataclass(eq=False)
class Pending:
    """A shared result being computed: what it is doing and how far it got (``done`` of ``total``), for the sessions
    that wait, and, once ``finished`` is set, its ``value`` (None when the computation failed or was abandoned)."""

    finished: threading.Event = field(default_factory=threading.Event)
    what: str = ""
    done: int = 0
    total: int = 0
    value: object | None = None


class SharedResults:
    """Results computed once for every session, within their own byte budget (least recently used dropped first).

    :meth:`claim` makes exactly one of the sessions that ask for a missing result its computer; the others get
    the same :class:`Pending` to wait on instead of computing it again. The computer ends with :meth:`finish`
    (the value is kept if it fits the budget, and handed to the waiters either way) or :meth:`abandon` (a stop,
    an error: the next session to ask computes it).
    """

    def __init__(self, budget: int) -> None:
        self._kept: ByteLRU = ByteLRU(budget)
        self._lock = threading.Lock()
        self._pending: dict[Hashable, Pending] = {}

    @property
    def used(self) -> int:
        """Bytes held by the kept results."""
        return self._kept.used

    def get(self, key: Hashable) -> object | None:
        """The kept result under ``key``, or None."""
        return self._kept.get(key)

    def pending(self, key: Hashable) -> Pending | None:
        """The computation of ``key`` under way, if one is."""
        with self._lock:
            return self._pending.get(key)

    def claim(self, key: Hashable) -> tuple[Pending, bool]:
        """The computation of ``key``, and whether the caller is to compute it (True) or wait for it (False)."""
        with self._lock:
            if (found := self._pending.get(key)) is not None:
                return found, False
            self._pending[key] = mine = Pending()
            return mine, True

    def finish(self, key: Hashable, pending: Pending, value: object) -> bool:
        """End the computation of ``key`` with ``value``; whether it fits the budget and was kept."""
        kept = self._kept.put(key, value)
        self._end(key, pending, value)
        return kept

    def abandon(self, key: Hashable, pending: Pending) -> None:
        """End the computation of ``key`` without a value: whoever asks next computes it."""
        self._end(key, pending, None)

    def _end(self, key: Hashable, pending: Pending, value: object | None) -> None:
        with self._lock:
            if self._pending.get(key) is pending:
                del self._pending[key]
        pending.value = value
        pending.finished.set()


def drop_ended(cache: ByteLRU, alive: Callable[[Hashable], bool], seen: dict[Hashable, float], now: float,
               grace_s: float) -> Iterable[Hashable]:  # fmt: skip
    """Drop the entries of every owner of ``cache`` that has not been ``alive`` for ``grace_s`` seconds.

    ``seen`` maps owners to when they were last alive (updated here); returns the owners dropped.
    """
    owners = cache.owners()
    dropped = []
    for owner in owners:
        if alive(owner):
            seen[owner] = now
        elif now - seen.setdefault(owner, now) >= grace_s:
            cache.drop_owner(owner)
            dropped.append(owner)
    for owner in set(seen) - owners | set(dropped):
        del seen[owner]
    return dropped


class Collector:
    """Full garbage collections after page runs, at most one every ``every_s`` seconds for the whole process.

    A full collection walks every object the process holds, so one after each page run costs more the more sessions
    the server holds (measured: a class of 60 switching pages waited for 60 collections in a row). Garbage in
    reference cycles (a model's autograd graph, a failed run's traceback) lives at most ``every_s`` seconds longer:
    :meth:`after_run` collects when the last collection is that old, and skips otherwise.
    """

    def __init__(self, every_s: float) -> None:
        self.every_s = every_s
        self._last = float("-inf")
        self._lock = threading.Lock()

    def after_run(self, now: float) -> bool:
        """Collect if the last full collection is at least ``every_s`` seconds before ``now`` (monotonic
        seconds); whether it collected."""
        with self._lock:
            if now - self._last < self.every_s:
                return False
            self._last = now
        gc.collect()
        return True
