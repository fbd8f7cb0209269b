"""One look at the store for every student of a room, instead of one per student: the server tells its followers.

A student's bar used to learn of the teacher's move only from its own poll of the store, once a second: on average
half a second late, and sixty polls a second for a class of sixty, each a rerun of the bar that the server pays for
(about 5 ms of CPU each, measured). A :class:`RoomWatcher` runs one thread per server process: it reads each
followed room from the store every :data:`LOOK_EVERY_S` and, when the room changed (a move, a reveal, the end),
*nudges* every follower in this process that has not seen that change, once (for a student's page: a rerun of its
bar, as its own poll would do). Students on other replicas are nudged by their own process's watcher, which reads
the same store. The bar's own poll stays, less often, for what the watcher cannot know: that a follower is still
there (the store's presence count) and, should a nudge be lost, the step all the same.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from explorer.classroom.store import RoomError, RoomStore, StoreUnavailable

LOOK_EVERY_S = 0.25  # how often the watcher reads each followed room
ENDED = 2**62  # the "version" of a room that ended or is gone: newer than any
LOG = logging.getLogger("explorer.classroom")


@dataclass
class _Follower:
    version: int  # the room's version this follower showed last
    nudge: Callable[[], None]
    told_at: float  # when the follower last said it follows (a follower that stops saying so is forgotten)
    nudged: int = -1  # the version it was nudged for already


class RoomWatcher:
    """Reads every followed room once per :data:`LOOK_EVERY_S` and nudges the followers a change concerns.

    A follower says it follows (:meth:`follow`) on each of its own polls; one that has not said so for
    ``forget_after_s`` (its page closed, it left the class) is forgotten. ``clock`` and ``start`` are for tests.
    """

    def __init__(
        self,
        store: RoomStore,
        forget_after_s: float,
        clock: Callable[[], float] = time.monotonic,
        start: bool = True,
    ) -> None:
        self.store, self.forget_after_s, self.clock = store, forget_after_s, clock
        self._rooms: dict[str, dict[str, _Follower]] = {}
        self._lock = threading.Lock()
        if start:
            threading.Thread(target=self._run, name="explorer-room-watcher", daemon=True).start()

    def follow(self, code: str, follower: str, version: int, nudge: Callable[[], None]) -> None:
        """``follower`` (a session) shows ``version`` of room ``code``; ``nudge()`` makes it look again."""
        with self._lock:
            followers = self._rooms.setdefault(code, {})
            known = followers.get(follower)
            nudged = known.nudged if known is not None and known.nudged > version else -1
            followers[follower] = _Follower(version, nudge, self.clock(), nudged)

    def unfollow(self, code: str, follower: str) -> None:
        """``follower`` no longer follows room ``code``."""
        with self._lock:
            followers = self._rooms.get(code, {})
            followers.pop(follower, None)
            if not followers:
                self._rooms.pop(code, None)

    def followers(self, code: str) -> int:
        """How many followers of room ``code`` this watcher knows."""
        with self._lock:
            return len(self._rooms.get(code, {}))

    def look(self) -> int:
        """Read every followed room once and nudge whoever a change concerns; the number of nudges."""
        now = self.clock()
        with self._lock:
            for code, followers in list(self._rooms.items()):
                for name in [n for n, f in followers.items() if now - f.told_at > self.forget_after_s]:
                    del followers[name]
                if not followers:
                    del self._rooms[code]
            codes = list(self._rooms)
        nudges: list[Callable[[], None]] = []
        for code in codes:
            try:
                version = self.store.room(code).version
            except StoreUnavailable:  # the room is as it was: look again next time
                continue
            except RoomError:  # ended or gone: each follower's own run says so
                version = ENDED
            with self._lock:
                for follower in self._rooms.get(code, {}).values():
                    if version > follower.version and follower.nudged != version:
                        follower.nudged = version
                        nudges.append(follower.nudge)
        for nudge in nudges:
            try:
                nudge()
            except Exception:  # a session that went away meanwhile: nothing to tell it
                LOG.debug("a nudge failed", exc_info=True)
        return len(nudges)

    def _run(self) -> None:
        while True:
            time.sleep(LOOK_EVERY_S)
            try:
                self.look()
            except Exception:  # the watcher outlives any one bad look (its followers still poll on their own)
                LOG.exception("the room watcher's look failed")
