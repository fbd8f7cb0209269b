"""One browser's place in a lesson: played alone, led as a class, or followed as a student; and the few rules
that go with it (who may move the class, how often a browser may try a code). No Streamlit here: the pages'
lesson bar (:mod:`explorer.ui.classroom`) keeps one :class:`Play` per session and calls these functions."""

from __future__ import annotations

import ipaddress
import secrets
import time
from dataclasses import dataclass, field

from explorer.classroom.store import RoomError, RoomStore, StoreUnavailable, normalised_code
from explorer.language import N_, _
from explorer.lessons.lesson import Lesson, Step, parse_lesson

ROLES = ("solo", "teacher", "student")
# Wrong class codes allowed, counted in the class store (so every replica shares them): (how many, in seconds).
# Codes are 8 characters from 32 (about 10^12), so even the server-wide ceiling, kept up all day, finds one live
# class among a hundred with a chance of about 1 in 76,000 a day (144,000 guesses * 100 classes / 32^8 codes).
JOIN_LIMITS = {
    "browser": (5, 60.0),  # one browser: five mistakes, then a minute's wait
    "address": (100, 600.0),  # one address: forty students behind one school's NAT, mistyping now and then, pass
    "server": (1000, 600.0),  # every address together: a script spread over many addresses
}
SEEN_EVERY_S = 3.0  # how often a student's browser tells the store it is still there (PRESENT_S is 10 s)


@dataclass
class Play:
    """Where one browser stands in a lesson: its role, the step it is on, and for a class the room's code, the
    teacher's secret (only in the teacher's session, never in a link), this browser's anonymous member id, whether
    it follows the teacher, the room version it last applied, its own answers and why the store refused one."""

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
    refused: dict[int, str] = field(default_factory=dict)  # why the store did not take this browser's answer
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
        raise RoomError(
            _("The lesson has steps 1 to {last}; there is no step {step}.").format(
                last=len(play.lesson.steps), step=step + 1
            )
        )
    if play.role == "student":
        raise RoomError(_("Only the teacher's browser can move this class."))
    if play.role == "teacher" and store is not None and play.code is not None:
        play.version = store.move(play.code, play.secret or "", step).version
    play.step = step


@dataclass(frozen=True)
class Client:
    """Who asks to join a class: the browser's anonymous id (kept by the browser across reloads and tabs) and the
    address its requests come from (one school behind one NAT shares one)."""

    browser: str
    address: str

    def counters(self) -> list[tuple[str, int, float, str]]:
        """Its wrong-code counters in the class store: (key, wrong codes allowed, in how many seconds, whose)."""
        return [
            (f"browser:{self.browser}", *JOIN_LIMITS["browser"], N_("this browser")),
            (f"address:{self.address}", *JOIN_LIMITS["address"], N_("this network")),
            ("server", *JOIN_LIMITS["server"], N_("this server")),
        ]


def client_address(peer: str | None, forwarded: str | None, trusted_proxy: str) -> str:
    """The address a browser's requests come from: ``peer``, the one the server sees (None: the loopback), or, only
    when that is ``trusted_proxy`` (the balancer), the last one the balancer added to ``forwarded`` (the request's
    X-Forwarded-For; what a browser writes there itself comes before it and counts for nothing)."""
    peer = peer or "127.0.0.1"
    if trusted_proxy and forwarded and ipaddress.ip_address(peer) == ipaddress.ip_address(trusted_proxy):
        return forwarded.split(",")[-1].strip()[:45] or peer
    return peer


def join_class(store: RoomStore, text: str, client: Client, now: float | None = None) -> Play:
    """Join the class whose code is ``text`` as a student following the teacher's step, as the member
    ``client.browser`` (the same member after a reload or in another tab); a RoomError (one line) for a code that is
    malformed, unknown or ended, or while this browser, its address or the whole server has tried too many wrong
    codes lately (:data:`JOIN_LIMITS`)."""
    now = time.time() if now is None else now
    counters = client.counters()
    windows = [(key, window) for key, _allowed, window, _whose in counters]
    for count, (_key, allowed, window, whose) in zip(store.failures(windows, now), counters, strict=True):
        if count >= allowed:
            wait = window - now % window
            raise RoomError(
                _("Too many wrong class codes from {whose}: try again in {wait} s.").format(
                    whose=_(whose), wait=f"{wait:.0f}"
                )
            )
    try:
        room = store.room(normalised_code(text))
    except StoreUnavailable:
        raise
    except RoomError:
        store.fail(windows, now)
        raise
    lesson = parse_lesson(room.lesson, "the class's lesson")
    return Play(lesson, "student", min(room.step, len(lesson.steps) - 1), room.code, member=client.browser, version=-1)
