"""One browser's place in a lesson: played alone, led as a class, or followed as a student; and the few rules
that go with it (who may move the class, how often a browser may try a code). No Streamlit here: the pages'
lesson bar (:mod:`explorer.ui.classroom`) keeps one :class:`Play` per session and calls these functions."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field

from explorer.classroom.store import RoomError, RoomStore, normalised_code
from explorer.lessons.lesson import Lesson, Step, parse_lesson

ROLES = ("solo", "teacher", "student")
JOIN_ATTEMPTS = 5  # wrong codes one browser may try …
JOIN_WINDOW_S = 60.0  # … in this many seconds
SEEN_EVERY_S = 3.0  # how often a student's browser tells the store it is still there (PRESENT_S is 10 s)


@dataclass
class Play:
    """Where one browser stands in a lesson: its role, the step it is on, and for a class the room's code, the
    teacher's secret (only in the teacher's session, never in a link), this browser's anonymous member id, whether
    it follows the teacher, the room version it last applied and its own answers."""

    lesson: Lesson
    role: str = "solo"
    step: int = 0
    code: str | None = None
    secret: str | None = field(default=None, repr=False)
    member: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    following: bool = True
    version: int = -1
    revealed: dict[int, str] = field(default_factory=dict)
    answered: dict[int, str] = field(default_factory=dict)
    seen_at: float = 0.0  # when this browser last told the store it is there …
    seen_following: bool | None = None  # … and whether it followed then

    @property
    def current(self) -> Step:
        """The step this browser is on."""
        return self.lesson.steps[self.step]

    @property
    def leads(self) -> bool:
        """Whether this browser moves the lesson (alone, or as the class's teacher)."""
        return self.role != "student"

    def tell_store(self, store: RoomStore, now: float) -> None:
        """Tell the store this student is there and whether it follows: every :data:`SEEN_EVERY_S` seconds, and at
        once when that changes (a write each second from every student would keep a SQLite store busy)."""
        if self.following == self.seen_following and now - self.seen_at < SEEN_EVERY_S:
            return
        store.seen(self.code or "", self.member, self.following)
        self.seen_at, self.seen_following = now, self.following


def start_class(store: RoomStore, lesson: Lesson, minutes: int) -> Play:
    """A new class for ``lesson``, led by the calling browser (which alone holds the secret)."""
    secret = secrets.token_urlsafe(24)
    room = store.create(lesson.text, secret, minutes * 60.0)
    return Play(lesson, "teacher", room.step, room.code, secret, version=room.version)


def move(store: RoomStore | None, play: Play, step: int) -> None:
    """Move ``play`` (alone) or its class (teacher) to ``step``; a student's browser cannot move the class."""
    if not 0 <= step < len(play.lesson.steps):
        raise RoomError(f"The lesson has steps 1 to {len(play.lesson.steps)}; there is no step {step + 1}.")
    if play.role == "student":
        raise RoomError("Only the teacher's browser can move this class.")
    if play.role == "teacher" and store is not None and play.code is not None:
        play.version = store.move(play.code, play.secret or "", step).version
    play.step = step


class JoinLimiter:
    """At most :data:`JOIN_ATTEMPTS` wrong codes per :data:`JOIN_WINDOW_S` seconds from one browser: codes are
    8 characters from 32 (about 10¹² of them), so guessing one in a class period takes far more tries than that."""

    def __init__(self, attempts: int = JOIN_ATTEMPTS, window_s: float = JOIN_WINDOW_S) -> None:
        self.attempts, self.window_s = attempts, window_s
        self._failures: list[float] = []

    def check(self, now: float) -> None:
        """A RoomError while this browser has tried too many wrong codes lately."""
        self._failures = [t for t in self._failures if now - t < self.window_s]
        if len(self._failures) >= self.attempts:
            wait = self.window_s - (now - self._failures[0])
            raise RoomError(f"Too many wrong class codes from this browser: try again in {wait:.0f} s.")

    def failed(self, now: float) -> None:
        """Count one wrong code."""
        self._failures.append(now)


def join_class(store: RoomStore, text: str, limiter: JoinLimiter, now: float | None = None) -> Play:
    """Join the class whose code is ``text`` as a student following the teacher's step; a RoomError (one line)
    for a code that is malformed, unknown or ended, or when this browser has tried too many."""
    now = time.time() if now is None else now
    limiter.check(now)
    try:
        room = store.room(normalised_code(text))
    except RoomError:
        limiter.failed(now)
        raise
    lesson = parse_lesson(room.lesson, "the class's lesson")
    return Play(lesson, "student", min(room.step, len(lesson.steps) - 1), room.code, version=-1)
