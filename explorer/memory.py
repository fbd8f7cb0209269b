"""Caches bounded by bytes, not entries: what a server keeps for its sessions stays within a budget.

:class:`ByteLRU` holds values with their sizes; past its budget it drops the least recently used.
An entry may belong to an *owner* (a browser session) with a budget of its own, so one session
keeps only what its current view needs and cannot crowd out the others. :func:`nbytes` measures
the tensors, arrays, images and bytes a value holds.
"""

from __future__ import annotations

import dataclasses
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

import numpy as np
import torch
from PIL import Image

V = TypeVar("V")


def nbytes(value: object) -> int:
    """The bytes held by ``value``: tensors (a module's parameters and buffers), arrays, images, bytes,
    and these inside dataclasses, lists, tuples and dicts (counted once each)."""
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
