"""The room store of a "follow the teacher" classroom, shared by every replica of the server.

A teacher creates a room for a lesson and gets a code; students join with the code; the teacher moves the room
to a step, students answer that step's question once each, and the teacher reveals an answer. The state lives
in a real store so that several server processes see the same rooms: SQLite in WAL mode (:class:`SQLiteStore`,
one file in a folder the replicas on one machine share) or Redis (:class:`RedisStore`, replicas across machines),
chosen by one setting, ``EXPLORER_CLASS_STORE`` (:func:`open_store`). :class:`RoomStore` checks every input and
says every refusal; a backend only reads and writes, and does each read-modify-write atomically.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import math
import secrets
import sqlite3
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from explorer import storage
from explorer.errors import UserError, check_range, short_detail
from explorer.language import N_, _
from explorer.lessons.lesson import MAX_LESSON_BYTES, MAX_STEPS

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
CODE_LENGTH = 8  # 32**8 ≈ 1.1e12 codes
PRESENT_S = 10.0  # a member seen within this many seconds is "in the room"
TTL_S = (60.0, 7 * 24 * 3600.0)  # the shortest and longest life of a room
TEXT_CHARS = 64  # the longest member id and answer
T = TypeVar("T")
LOG = logging.getLogger("explorer.classroom")


class RoomError(UserError):
    """A room that cannot be used as asked; one line saying why and what to do."""


class AlreadyAnswered(RoomError):
    """This member's answer to the step is in already (sent from this browser, perhaps before a reload)."""


class StoreDamaged(RoomError):
    """The store's file was damaged (not a database, or malformed): it was set aside, a fresh store took its place,
    and the classes it held are lost."""


class StoreUnavailable(RoomError):
    """The store did not answer this time (a SQLite file locked for longer than its timeout, a Redis that cannot be
    reached): the room is as it was, and asking again later may work."""


@dataclass(frozen=True)
class Room:
    """One room as it is now: the lesson's text, the current step, the revealed answers and its version."""

    code: str
    lesson: str  # the lesson file's text (TOML), so every replica can read the lesson
    step: int  # 0-based current step
    revealed: dict[int, str]  # step -> revealed answer text
    expires_at: float  # time.time() seconds
    version: int  # increases by one at every move/reveal (followers compare it)


@dataclass(frozen=True)
class Presence:
    """How many members are in a room now, and how many of those follow the teacher."""

    present: int  # members seen within PRESENT_S
    following: int  # of those, how many say they follow


def normalised_code(text: str) -> str:
    """``text`` as a room code: upper case, without spaces and dashes; a RoomError if it cannot be one."""
    code = "".join(str(text).split()).replace("-", "").upper()
    if len(code) != CODE_LENGTH or any(char not in CODE_ALPHABET for char in code):
        shown = str(text) if len(str(text)) <= 20 else str(text)[:20] + "…"
        raise RoomError(
            _("{code} is not a room code: {length} letters and digits, e.g. ABCD-EFGH").format(
                code=repr(shown), length=CODE_LENGTH
            )
        )
    return code


def shown_code(code: str) -> str:
    """A code as people read it: ``ABCDEFGH`` as ``ABCD-EFGH``."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def _now() -> float:
    return time.time()


def _ended(code: str) -> RoomError:
    return RoomError(_("The class {code} has ended: ask your teacher for a new code.").format(code=shown_code(code)))


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _check_step(step: int) -> int:
    if not isinstance(step, int) or isinstance(step, bool) or not 0 <= step < MAX_STEPS:
        raise RoomError(
            _("A step must be a whole number from 0 to {last}; got {value}").format(
                last=MAX_STEPS - 1, value=str(step)[:20]
            )
        )
    return step


def _check_text(what: str, text: str) -> str:
    """``text`` if it is 1 to :data:`TEXT_CHARS` characters, else a RoomError naming ``what`` (an English text
    marked with ``N_``)."""
    if not isinstance(text, str) or not 1 <= len(text) <= TEXT_CHARS:
        raise RoomError(
            _("{what} must be 1 to {most} characters; got {value}").format(
                what=_(what), most=TEXT_CHARS, value=repr(str(text)[: TEXT_CHARS + 1])
            )
        )
    return text


class RoomStore(ABC):
    """The rooms, wherever they are kept: every method checks its inputs and raises RoomError on a refusal."""

    def create(self, lesson: str, secret: str, ttl_s: float) -> Room:
        """A new room for ``lesson`` (its TOML text) under a fresh random code, for ``ttl_s`` seconds (60 to 7
        days); only the sha256 of the teacher's ``secret`` is kept."""
        check_range("A class's length in seconds", ttl_s, *TTL_S, whole=False, error=RoomError)
        if not isinstance(lesson, str) or len(lesson.encode()) > MAX_LESSON_BYTES:
            raise RoomError(_("A class's lesson is text of at most {size} KB").format(size=MAX_LESSON_BYTES // 1024))
        if not secret:
            raise RoomError(_("A class needs the teacher's secret: open it again from the teacher's page."))
        expires_at = _now() + float(ttl_s)
        while True:  # a collision among 32**8 codes is rare; a new one is drawn until one is free
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            if self._insert(code, lesson, _digest(secret), expires_at):
                return self.room(code)

    def room(self, code: str) -> Room:
        """The room under ``code``; a RoomError if there is none, or it has ended (expired or closed)."""
        return self._live(normalised_code(code))[0]

    def move(self, code: str, secret: str, step: int) -> Room:
        """The room moved to ``step`` (from 0; the caller checks the lesson's last step) by its teacher."""
        room = self._teacher(code, secret, N_("Only the teacher's browser can move this class."))
        self._set_step(room, _check_step(step))
        return self.room(room.code)

    def close(self, code: str, secret: str) -> None:
        """End the room, by its teacher: it reads as ended from then on."""
        self._set_closed(self._teacher(code, secret, N_("Only the teacher's browser can close this class.")))

    def seen(self, code: str, member: str, following: bool) -> None:
        """The heartbeat of ``member`` (an opaque id up to 64 characters), who says whether they follow."""
        room = self.room(code)
        self._seen(room, _check_text(N_("A member id"), member), bool(following), _now())

    def presence(self, code: str) -> Presence:
        """How many members were seen within PRESENT_S seconds, and how many of those follow."""
        return self._presence(self.room(code).code, _now() - PRESENT_S)

    def answer(self, code: str, step: int, member: str, value: str) -> None:
        """Keep ``member``'s answer ``value`` (up to 64 characters) to ``step``: once each, and only before the
        step's answer is revealed (atomically: no second answer and no late one under races)."""
        room = self.room(code)
        outcome = self._answer(
            room, _check_step(step), _check_text(N_("A member id"), member), _check_text(N_("An answer"), value)
        )
        if outcome == "again":
            raise AlreadyAnswered(_("You have already answered this question."))
        if outcome == "revealed":
            raise RoomError(_("The answer to this question has been revealed: answers are closed."))
        if outcome == "ended":  # between the read above and the write
            raise _ended(room.code)

    def answers(self, code: str, step: int) -> list[str]:
        """The answers given to ``step``, without who gave them, in any order."""
        return self._answers(self.room(code).code, _check_step(step))

    def reveal(self, code: str, secret: str, step: int, value: str) -> Room:
        """The room with ``value`` revealed as the answer to ``step``, by its teacher; a second reveal of the same
        step keeps the first value."""
        room = self._teacher(code, secret, N_("Only the teacher's browser can reveal answers in this class."))
        if not isinstance(value, str):
            raise RoomError(_("A revealed answer must be text; got {value}").format(value=repr(value)[:40]))
        self._reveal(room, _check_step(step), value)
        return self.room(room.code)

    def failures(self, counters: Sequence[tuple[str, float]], now: float) -> list[int]:
        """For each ``(key, window_s)``: the wrong class codes counted under ``key`` (up to 64 characters) in the
        current window of ``window_s`` seconds (windows start at multiples of ``window_s``)."""
        return self._failures([(_check_text(N_("A counter"), k), w, math.floor(now / w)) for k, w in counters])

    def fail(self, counters: Sequence[tuple[str, float]], now: float) -> None:
        """Count one wrong class code under each ``(key, window_s)`` (see :meth:`failures`)."""
        slots = [(_check_text(N_("A counter"), k), w, math.floor(now / w)) for k, w in counters]
        self._fail([(key, slot, (slot + 2) * window) for key, window, slot in slots], now)

    def _live(self, code: str) -> tuple[Room, str]:
        found = self._load(code)
        if found is None:
            raise RoomError(
                _("No class with code {code}: check the code with your teacher.").format(code=shown_code(code))
            )
        room, digest, closed = found
        if closed or room.expires_at <= _now():
            raise _ended(code)
        return room, digest

    def _teacher(self, code: str, secret: str, refusal: str) -> Room:
        room, digest = self._live(normalised_code(code))
        if not hmac.compare_digest(_digest(str(secret)), digest):
            raise RoomError(_(refusal))
        return room

    @abstractmethod
    def _insert(self, code: str, lesson: str, digest: str, expires_at: float) -> bool: ...  # False: code taken

    @abstractmethod
    def _load(self, code: str) -> tuple[Room, str, bool] | None: ...  # (room, secret's digest, closed)

    @abstractmethod
    def _set_step(self, room: Room, step: int) -> None: ...

    @abstractmethod
    def _set_closed(self, room: Room) -> None: ...

    @abstractmethod
    def _reveal(self, room: Room, step: int, value: str) -> None: ...  # keeps a value already revealed

    @abstractmethod
    def _seen(self, room: Room, member: str, following: bool, now: float) -> None: ...

    @abstractmethod
    def _presence(self, code: str, since: float) -> Presence: ...

    @abstractmethod
    def _answer(self, room: Room, step: int, member: str, value: str) -> str: ...  # ok, again, revealed or ended

    @abstractmethod
    def _answers(self, code: str, step: int) -> list[str]: ...

    @abstractmethod
    def _failures(self, slots: list[tuple[str, float, int]]) -> list[int]: ...  # (key, window_s, slot)

    @abstractmethod
    def _fail(self, slots: list[tuple[str, int, float]], now: float) -> None: ...  # (key, slot, expires_at)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS rooms (code TEXT PRIMARY KEY, lesson TEXT NOT NULL, secret TEXT NOT NULL,
    step INTEGER NOT NULL, version INTEGER NOT NULL, expires_at REAL NOT NULL, closed INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS revealed (code TEXT, step INTEGER, value TEXT NOT NULL, PRIMARY KEY (code, step));
CREATE TABLE IF NOT EXISTS members (code TEXT, member TEXT, seen_at REAL NOT NULL, following INTEGER NOT NULL,
    PRIMARY KEY (code, member));
CREATE TABLE IF NOT EXISTS answers (code TEXT, step INTEGER, member TEXT, value TEXT NOT NULL,
    PRIMARY KEY (code, step, member));
CREATE TABLE IF NOT EXISTS failures (key TEXT, slot INTEGER, count INTEGER NOT NULL, expires_at REAL NOT NULL,
    PRIMARY KEY (key, slot));
"""


class SQLiteStore(RoomStore):
    """Rooms in one SQLite file (WAL mode) that the replicas on one machine share; a connection per call, so it
    is safe from many threads and several processes at once."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._create()
            except sqlite3.DatabaseError as error:
                if isinstance(error, sqlite3.OperationalError):
                    raise
                self._set_aside(error)  # a damaged file is no reason not to start: a fresh store replaces it
        except (OSError, sqlite3.Error) as error:
            raise RoomError(
                _("The class store {path} cannot be opened: {error}").format(path=self.path, error=short_detail(error))
            ) from None

    def _create(self) -> None:
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")  # kept in the file: every later connection uses it
            db.executescript(_SCHEMA)

    def _damaged(self) -> bool:
        """Whether the file is damaged now (read again: another replica may have replaced it already)."""
        try:
            with self._connect() as db:
                return db.execute("PRAGMA quick_check").fetchone()[0] != "ok"
        except sqlite3.OperationalError:  # busy or gone: not known to be damaged
            return False
        except sqlite3.DatabaseError:
            return True

    def _set_aside(self, error: sqlite3.DatabaseError) -> None:
        """Move the damaged file (with its write-ahead log) aside, named with the time, and start a fresh store."""
        if self._damaged():
            files = [Path(f"{self.path}{suffix}") for suffix in ("", "-wal", "-shm")]
            moved = storage.set_aside(files, "damaged")  # no log, or another replica moved them first: fewer
            LOG.warning("the class store %s is damaged (%s): moved aside as %s; a fresh store replaces it",
                        self.path, error, ", ".join(p.name for p in moved) or "nothing (already moved)")  # fmt: skip
        self._create()

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, isolation_level=None, timeout=5.0)
        try:
            db.execute("PRAGMA busy_timeout=5000")
            yield db
        finally:
            db.close()

    @contextmanager
    def _transaction(self, immediate: bool = True) -> Iterator[sqlite3.Connection]:
        try:
            with self._connect() as db:
                db.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
                try:
                    yield db
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
        except sqlite3.OperationalError as error:  # locked past the timeout, or the file went away
            raise StoreUnavailable(
                _("The class store {store} did not answer ({error}): try again").format(store=self.path, error=error)
            ) from None
        except sqlite3.DatabaseError as error:  # not a database, or malformed: set aside, and a fresh store
            try:
                self._set_aside(error)
            except (OSError, sqlite3.Error) as failed:
                raise StoreUnavailable(
                    f"The class store {self.path} is damaged and cannot be replaced: {failed}"
                ) from None
            raise StoreDamaged(
                "The class store was damaged: classes running now are lost; new classes work (start or join one again)."
            ) from None

    def _insert(self, code: str, lesson: str, digest: str, expires_at: float) -> bool:
        with self._transaction() as db:
            old = "SELECT code FROM rooms WHERE expires_at <= ?"
            for table in ("revealed", "members", "answers", "rooms"):  # expired rooms go, and free their codes
                db.execute(f"DELETE FROM {table} WHERE code IN ({old})", (_now(),))
            added = db.execute(
                "INSERT OR IGNORE INTO rooms VALUES (?, ?, ?, 0, 0, ?, 0)", (code, lesson, digest, expires_at)
            )
            return added.rowcount == 1

    def _load(self, code: str) -> tuple[Room, str, bool] | None:
        with self._transaction(immediate=False) as db:
            row = db.execute(
                "SELECT lesson, secret, step, version, expires_at, closed FROM rooms WHERE code = ?", (code,)
            ).fetchone()
            revealed = dict(db.execute("SELECT step, value FROM revealed WHERE code = ?", (code,)).fetchall())
        if row is None:
            return None
        lesson, digest, step, version, expires_at, closed = row
        return Room(code, lesson, step, revealed, expires_at, version), digest, bool(closed)

    def _set_step(self, room: Room, step: int) -> None:
        with self._transaction() as db:
            db.execute("UPDATE rooms SET step = ?, version = version + 1 WHERE code = ?", (step, room.code))

    def _set_closed(self, room: Room) -> None:
        with self._transaction() as db:
            db.execute("UPDATE rooms SET closed = 1 WHERE code = ?", (room.code,))

    def _reveal(self, room: Room, step: int, value: str) -> None:
        with self._transaction() as db:
            if db.execute("INSERT OR IGNORE INTO revealed VALUES (?, ?, ?)", (room.code, step, value)).rowcount:
                db.execute("UPDATE rooms SET version = version + 1 WHERE code = ?", (room.code,))

    def _seen(self, room: Room, member: str, following: bool, now: float) -> None:
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO members VALUES (?, ?, ?, ?)", (room.code, member, now, int(following)))

    def _presence(self, code: str, since: float) -> Presence:
        with self._transaction(immediate=False) as db:
            query = "SELECT COUNT(*), COALESCE(SUM(following), 0) FROM members WHERE code = ? AND seen_at > ?"
            present, following = db.execute(query, (code, since)).fetchone()
        return Presence(present, following)

    def _answer(self, room: Room, step: int, member: str, value: str) -> str:
        with self._transaction() as db:
            if not db.execute("SELECT 1 FROM rooms WHERE code = ?", (room.code,)).fetchone():
                return "ended"
            if db.execute("SELECT 1 FROM revealed WHERE code = ? AND step = ?", (room.code, step)).fetchone():
                return "revealed"
            added = db.execute("INSERT OR IGNORE INTO answers VALUES (?, ?, ?, ?)", (room.code, step, member, value))
            return "ok" if added.rowcount == 1 else "again"

    def _answers(self, code: str, step: int) -> list[str]:
        with self._transaction(immediate=False) as db:
            rows = db.execute("SELECT value FROM answers WHERE code = ? AND step = ?", (code, step)).fetchall()
        return [value for (value,) in rows]

    def _failures(self, slots: list[tuple[str, float, int]]) -> list[int]:
        with self._transaction(immediate=False) as db:
            query = "SELECT count FROM failures WHERE key = ? AND slot = ?"
            return [(db.execute(query, (key, slot)).fetchone() or (0,))[0] for key, _, slot in slots]

    def _fail(self, slots: list[tuple[str, int, float]], now: float) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM failures WHERE expires_at <= ?", (now,))
            db.executemany(
                "INSERT INTO failures VALUES (?, ?, 1, ?) ON CONFLICT (key, slot) DO UPDATE SET count = count + 1",
                slots,
            )


# Lua scripts run atomically in Redis. Each writes to a room's keys only while the room's hash exists, and gives
# every key it writes the room's expiry, so a room expires whole.
_CREATE = """if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2)); redis.call('EXPIREAT', KEYS[1], ARGV[1]); return 1"""
_UPDATE = """if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]); return redis.call('HINCRBY', KEYS[1], 'version', ARGV[3])"""
_REVEAL = """if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('EXPIREAT', KEYS[2], ARGV[3]); return redis.call('HINCRBY', KEYS[1], 'version', 1)"""
_ANSWER = """if redis.call('EXISTS', KEYS[1]) == 0 then return 'ended' end
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return 'revealed' end
if redis.call('HSETNX', KEYS[3], ARGV[2], ARGV[3]) == 0 then return 'again' end
redis.call('EXPIREAT', KEYS[3], ARGV[4]); return 'ok'"""


def _reachable(method: Callable[..., T]) -> Callable[..., T]:
    """``method`` of a RedisStore, with a Redis that cannot be reached said as a RoomError."""

    @functools.wraps(method)
    def call(self: RedisStore, *args: Any) -> T:
        try:
            return method(self, *args)
        except self._unreachable as error:
            raise StoreUnavailable(
                _("The class store at {store} cannot be reached: {error}").format(store=self.shown, error=error)
            ) from None

    return call


class RedisStore(RoomStore):
    """Rooms in Redis, for replicas across machines: keys ``explorer:room:{CODE}...`` (the braces keep a room's
    keys in one cluster slot), each with the room's expiry, so Redis drops ended rooms itself."""

    def __init__(self, url: str) -> None:
        import redis  # only a store in Redis needs the client

        self.url = url
        self._unreachable = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
        try:
            parts = urlsplit(url)
            self.shown = f"{parts.scheme}://{parts.hostname or 'localhost'}:{parts.port or 6379}{parts.path}"
            self._db = redis.Redis.from_url(url, decode_responses=True, socket_connect_timeout=3, socket_timeout=5)
        except ValueError as error:
            raise RoomError(
                _("EXPLORER_CLASS_STORE is not a Redis URL ({error}): use redis://host:port/db").format(error=error)
            ) from None
        scripts = {"create": _CREATE, "update": _UPDATE, "reveal": _REVEAL, "answer": _ANSWER}
        self._scripts = {name: self._db.register_script(lua) for name, lua in scripts.items()}
        self._ping()

    @_reachable
    def _ping(self) -> None:
        self._db.ping()

    @staticmethod
    def _key(code: str, part: str = "") -> str:
        return f"explorer:room:{{{code}}}{part}"

    @_reachable
    def _insert(self, code: str, lesson: str, digest: str, expires_at: float) -> bool:
        fields = {"lesson": lesson, "secret": digest, "step": 0, "version": 0, "closed": 0}
        pairs = [item for pair in {**fields, "expires_at": repr(expires_at)}.items() for item in pair]
        return bool(self._scripts["create"](keys=[self._key(code)], args=[math.ceil(expires_at), *pairs]))

    @_reachable
    def _load(self, code: str) -> tuple[Room, str, bool] | None:
        with self._db.pipeline(transaction=True) as both:
            fields, revealed = both.hgetall(self._key(code)).hgetall(self._key(code, ":revealed")).execute()
        if not fields:
            return None
        answers = {int(step): value for step, value in revealed.items()}
        room = Room(
            code, fields["lesson"], int(fields["step"]), answers, float(fields["expires_at"]), int(fields["version"])
        )
        return room, fields["secret"], fields["closed"] == "1"

    @_reachable
    def _set_step(self, room: Room, step: int) -> None:
        self._scripts["update"](keys=[self._key(room.code)], args=["step", step, 1])

    @_reachable
    def _set_closed(self, room: Room) -> None:
        self._scripts["update"](keys=[self._key(room.code)], args=["closed", 1, 0])

    @_reachable
    def _reveal(self, room: Room, step: int, value: str) -> None:
        keys = [self._key(room.code), self._key(room.code, ":revealed")]
        self._scripts["reveal"](keys=keys, args=[step, value, math.ceil(room.expires_at)])

    @_reachable
    def _seen(self, room: Room, member: str, following: bool, now: float) -> None:
        key = self._key(room.code, ":seen")
        with self._db.pipeline(transaction=True) as both:
            both.hset(key, member, f"{now!r} {int(following)}").expireat(key, math.ceil(room.expires_at)).execute()

    @_reachable
    def _presence(self, code: str, since: float) -> Presence:
        marks = [mark.split() for mark in self._db.hgetall(self._key(code, ":seen")).values()]
        here = [following for seen_at, following in marks if float(seen_at) > since]
        return Presence(len(here), here.count("1"))

    @_reachable
    def _answer(self, room: Room, step: int, member: str, value: str) -> str:
        keys = [self._key(room.code), self._key(room.code, ":revealed"), self._key(room.code, f":answers:{step}")]
        return self._scripts["answer"](keys=keys, args=[step, member, value, math.ceil(room.expires_at)])

    @_reachable
    def _answers(self, code: str, step: int) -> list[str]:
        return self._db.hvals(self._key(code, f":answers:{step}"))

    @_reachable
    def _failures(self, slots: list[tuple[str, float, int]]) -> list[int]:
        counts = self._db.mget([f"explorer:failures:{key}:{slot}" for key, _, slot in slots])
        return [int(count or 0) for count in counts]

    @_reachable
    def _fail(self, slots: list[tuple[str, int, float]], now: float) -> None:
        with self._db.pipeline(transaction=True) as all_at_once:
            for key, slot, expires_at in slots:
                name = f"explorer:failures:{key}:{slot}"
                all_at_once.incr(name).expire(name, max(1, math.ceil(expires_at - now)))  # from `now`, as SQLite
            all_at_once.execute()


def open_store(where: str, default_folder: Path) -> RoomStore:
    """The store that ``where`` (the setting EXPLORER_CLASS_STORE) names: empty for a SQLite file in
    ``default_folder``, ``sqlite:///absolute/path.sqlite3``, or ``redis://`` / ``rediss://`` URLs."""
    where = where.strip()
    if not where:
        return SQLiteStore(Path(default_folder) / "classroom.sqlite3")
    if where.startswith("sqlite:///"):
        return SQLiteStore(Path(where.removeprefix("sqlite://")))
    if where.startswith(("redis://", "rediss://")):
        return RedisStore(where)
    raise RoomError(
        f"EXPLORER_CLASS_STORE must be empty (a SQLite file in {default_folder}), sqlite:///absolute/path.sqlite3, "
        f"redis://host:port/db or rediss://host:port/db; got {where!r}"
    )
