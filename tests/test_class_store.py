"""The room store of a class, one suite run on both backends: SQLite (WAL, a file the replicas share) and Redis
(a ``redis-server`` started here on a free loopback port). Every refusal is one line; a new store object on the same
file or server (a restarted replica) sees everything; concurrent writers cannot answer twice."""

import itertools
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from explorer.classroom import store as store_module
from explorer.classroom.play import JOIN_LIMITS, Client, join_class, start_class
from explorer.classroom.store import (
    CODE_ALPHABET,
    CODE_LENGTH,
    PRESENT_S,
    RedisStore,
    RoomError,
    RoomStore,
    SQLiteStore,
    StoreUnavailable,
    normalised_code,
    open_store,
    shown_code,
)
from explorer.lessons.lesson import parse_lesson
from tests.chromium import free_port

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
NO_REDIS = not Path(REDIS_SERVER).exists()
LESSON = 'title = "x"\n[[steps]]\ntitle = "a"\npage = "Home"\n'
SECRET = "the teacher's secret"


def start_redis(port: int, folder: Path, *options: str) -> subprocess.Popen:
    """A redis-server on ``port`` keeping its files in ``folder``, once it answers."""
    process = subprocess.Popen([REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder),
                                *options], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)  # fmt: skip
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("redis-server did not start") from None
            time.sleep(0.1)


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A redis-server of its own on a free loopback port (nothing kept on disk), stopped after the module."""
    if NO_REDIS:
        pytest.skip("Debian's redis-server is not installed (scripts/run_tests.sh installs it)")
    port = free_port()
    process = start_redis(port, tmp_path_factory.mktemp("redis"), "--save", "", "--appendonly", "no")
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(params=["sqlite", "redis"])
def where(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The setting ``EXPLORER_CLASS_STORE`` naming a fresh store of each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'classroom.sqlite3'}"
    url = request.getfixturevalue("redis_url")
    RedisStore(url)._db.flushdb()
    return url


@pytest.fixture
def store(where: str, tmp_path: Path) -> RoomStore:
    return open_store(where, tmp_path)


def test_the_setting_picks_the_backend(where: str, tmp_path: Path) -> None:
    kind = SQLiteStore if where.startswith("sqlite") else RedisStore
    assert isinstance(open_store(where, tmp_path), kind)
    assert isinstance(open_store("", tmp_path), SQLiteStore)  # empty: a file in the recordings folder
    assert (tmp_path / "classroom.sqlite3").exists()


def test_a_new_room_has_a_long_code_and_starts_at_the_first_step(store: RoomStore) -> None:
    room = store.create(LESSON, SECRET, 600)
    assert len(room.code) == CODE_LENGTH and set(room.code) <= set(CODE_ALPHABET)
    assert room.step == 0 and room.revealed == {} and room.lesson == LESSON
    assert store.room(shown_code(room.code).lower()) == room  # as a student types it: ABCD-EFGH, any case
    codes = {store.create(LESSON, SECRET, 600).code for _ in range(20)}
    assert len(codes) == 20


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("ABCD", "'ABCD' is not a room code: 8 letters and digits"),
        ("ABCD-EFG0", "is not a room code"),  # 0 is not in the alphabet (it reads as O)
        ("x" * 500, "'xxxxxxxxxxxxxxxxxxxx…' is not a room code"),
        ("ABCD-EFGH", "No class with code ABCD-EFGH: check the code with your teacher."),
    ],
)
def test_an_unknown_or_malformed_code_gets_one_line(store: RoomStore, code: str, message: str) -> None:
    with pytest.raises(RoomError) as raised:
        store.room(code)
    assert message in str(raised.value) and "\n" not in str(raised.value)


def test_a_room_expires_after_its_time_and_when_closed(store: RoomStore, monkeypatch: pytest.MonkeyPatch) -> None:
    short, long = store.create(LESSON, SECRET, 60), store.create(LESSON, SECRET, 600)
    later = time.time() + 61
    monkeypatch.setattr(store_module, "_now", lambda: later)
    with pytest.raises(RoomError, match=f"The class {shown_code(short.code)} has ended"):
        store.room(short.code)
    with pytest.raises(RoomError, match="has ended"):
        store.answer(short.code, 0, "student", "1")
    assert store.room(long.code).code == long.code  # the other room goes on
    store.close(long.code, SECRET)
    with pytest.raises(RoomError, match=f"The class {shown_code(long.code)} has ended"):
        store.seen(long.code, "student", True)


@pytest.mark.parametrize("ttl", [0, 59, 8 * 24 * 3600, float("nan"), "600", True])
def test_a_class_lasts_a_sensible_time(store: RoomStore, ttl: object) -> None:
    with pytest.raises(RoomError, match="A class's length in seconds must be a number from 60 to 604800; got "):
        store.create(LESSON, SECRET, ttl)  # type: ignore[arg-type]


def test_only_the_secret_moves_reveals_or_closes_a_room(store: RoomStore) -> None:
    room = store.create(LESSON, SECRET, 600)
    for act in (lambda s: store.move(room.code, s, 1), lambda s: store.reveal(room.code, s, 0, "42"),
                lambda s: store.close(room.code, s)):  # fmt: skip
        with pytest.raises(RoomError, match="Only the teacher's browser can"):
            act("guessed")
        with pytest.raises(RoomError, match="Only the teacher's browser can"):
            act("")
    assert store.room(room.code) == room  # untouched by the refusals
    moved = store.move(room.code, SECRET, 2)
    assert moved.step == 2 and moved.version == room.version + 1
    with pytest.raises(RoomError, match="A step must be a whole number from 0 to 59; got -1"):
        store.move(room.code, SECRET, -1)


def test_one_answer_per_student_per_question_and_none_after_the_reveal(store: RoomStore) -> None:
    room = store.create(LESSON, SECRET, 600)
    store.answer(room.code, 0, "ann", "plain")
    store.answer(room.code, 0, "bob", "residual")
    store.answer(room.code, 1, "ann", "7")  # another step: another question
    with pytest.raises(RoomError, match="You have already answered this question"):
        store.answer(room.code, 0, "ann", "residual")
    assert sorted(store.answers(room.code, 0)) == ["plain", "residual"]  # values only: nobody's name
    revealed = store.reveal(room.code, SECRET, 0, "residual")
    assert revealed.revealed == {0: "residual"} and revealed.version == room.version + 1
    again = store.reveal(room.code, SECRET, 0, "plain")  # a second reveal keeps the first value
    assert again.revealed == {0: "residual"} and again.version == revealed.version
    with pytest.raises(RoomError, match="The answer to this question has been revealed: answers are closed"):
        store.answer(room.code, 0, "cat", "plain")
    assert sorted(store.answers(room.code, 0)) == ["plain", "residual"]


@pytest.mark.parametrize(
    ("member", "value", "message"),
    [("", "1", "A member id must be 1 to 64 characters"), ("m" * 65, "1", "A member id must be 1 to 64"),
     ("ann", "", "An answer must be 1 to 64 characters"), ("ann", "9" * 65, "An answer must be 1 to 64")],
)  # fmt: skip
def test_odd_answers_are_refused_in_one_line(store: RoomStore, member: str, value: str, message: str) -> None:
    room = store.create(LESSON, SECRET, 600)
    with pytest.raises(RoomError) as raised:
        store.answer(room.code, 0, member, value)
    assert message in str(raised.value) and "\n" not in str(raised.value)
    assert store.answers(room.code, 0) == []


def test_presence_counts_those_seen_lately_and_those_following(
    store: RoomStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    room = store.create(LESSON, SECRET, 600)
    start = time.time()
    monkeypatch.setattr(store_module, "_now", lambda: start)
    for member, following in [("ann", True), ("bob", True), ("cat", False)]:
        store.seen(room.code, member, following)
    store.seen(room.code, "bob", False)  # bob breaks away: one mark each, the latest counts
    assert (store.presence(room.code).present, store.presence(room.code).following) == (3, 1)
    monkeypatch.setattr(store_module, "_now", lambda: start + PRESENT_S + 1)
    store.seen(room.code, "ann", True)
    assert (store.presence(room.code).present, store.presence(room.code).following) == (1, 1)  # bob, cat gone


def test_a_restarted_replica_loses_nothing_of_the_room(where: str, tmp_path: Path) -> None:
    first = open_store(where, tmp_path)
    room = first.create(LESSON, SECRET, 600)
    first.move(room.code, SECRET, 3)
    first.answer(room.code, 3, "ann", "12")
    first.reveal(room.code, SECRET, 2, "plain")
    first.seen(room.code, "ann", True)
    del first
    again = open_store(where, tmp_path)  # a new process would open the store just so
    seen = again.room(room.code)
    assert (seen.step, seen.revealed, seen.lesson) == (3, {2: "plain"}, LESSON)
    assert again.answers(room.code, 3) == ["12"] and again.presence(room.code).present == 1
    again.move(room.code, SECRET, 4)  # and the teacher's secret still works there


def test_racing_answers_from_many_threads_keep_one_per_student(store: RoomStore, where: str, tmp_path: Path) -> None:
    room = store.create(LESSON, SECRET, 600)
    outcomes: list[str] = []
    start = threading.Barrier(12)

    def answer(member: str, value: str) -> None:
        mine = open_store(where, tmp_path)  # each thread its own connection, as each replica has
        start.wait(timeout=30)
        try:
            mine.answer(room.code, 0, member, value)
            outcomes.append("ok")
        except RoomError as error:
            outcomes.append(str(error))

    threads = [threading.Thread(target=answer, args=(f"student{i % 4}", str(i))) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes.count("ok") == 4 and len(outcomes) == 12
    assert set(outcomes) == {"ok", "You have already answered this question."}
    assert len(store.answers(room.code, 0)) == 4


def test_a_room_store_that_cannot_be_reached_or_named_says_so_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(RoomError, match=r"EXPLORER_CLASS_STORE must be empty .* got 'mysql://x'"):
        open_store("mysql://x", tmp_path)
    closed_port = free_port()
    with pytest.raises(RoomError, match=f"The class store at redis://127.0.0.1:{closed_port}/0 cannot be reached"):
        open_store(f"redis://127.0.0.1:{closed_port}/0", tmp_path)
    blocked = tmp_path / "a file"
    blocked.write_text("not a folder")
    with pytest.raises(RoomError, match=r"The class store .* cannot be opened"):
        open_store(f"sqlite:///{blocked}/classroom.sqlite3", tmp_path)


@pytest.mark.skipif(NO_REDIS, reason="Debian's redis-server is not installed (scripts/run_tests.sh installs it)")
def test_redis_drops_a_room_whole_when_it_expires(redis_url: str) -> None:
    store = RedisStore(redis_url)
    room = store.create(LESSON, SECRET, 600)
    store.answer(room.code, 0, "ann", "1")
    store.reveal(room.code, SECRET, 1, "x")
    store.seen(room.code, "ann", True)
    keys = store._db.keys(f"explorer:room:{{{room.code}}}*")
    assert len(keys) == 4 and all(0 < store._db.ttl(key) <= 601 for key in keys)


def test_normalised_codes() -> None:
    assert normalised_code(" abcd-efgh ") == "ABCDEFGH" and shown_code("ABCDEFGH") == "ABCD-EFGH"


@pytest.mark.parametrize("damage", ["not a database", "cut to 100 bytes"])
def test_a_damaged_sqlite_store_is_set_aside_and_new_classes_work(
    damage: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "classroom.sqlite3"
    store = SQLiteStore(path)
    code = store.create(LESSON, SECRET, 600.0).code
    store.create(LESSON, SECRET, 600.0)  # more than one page of rows
    if damage == "not a database":
        path.write_bytes(b"\\x00 planted " * 500)
    else:
        with path.open("r+b") as file:
            file.truncate(100)
    with pytest.raises(RoomError, match="damaged: classes running now are lost; new classes work"):
        store.room(code)
    assert len(list(tmp_path.glob("classroom.sqlite3.damaged-*"))) >= 1
    assert "is damaged" in caplog.text
    fresh = store.create(LESSON, SECRET, 600.0)  # the same store object: a fresh file
    assert store.room(fresh.code).step == 0
    with pytest.raises(RoomError, match="No class with code"):
        store.room(code)  # the damaged file's rooms are gone, and said so in one line


def test_a_replica_starting_on_a_damaged_store_file_sets_it_aside(tmp_path: Path) -> None:
    path = tmp_path / "classroom.sqlite3"
    path.write_bytes(b"planted by someone else " * 100)
    store = SQLiteStore(path)
    assert store.room(store.create(LESSON, SECRET, 600.0).code).step == 0
    assert [p.name.startswith("classroom.sqlite3.damaged-") for p in tmp_path.iterdir() if p != path] == [True]


def guessed(number: int) -> str:
    """A well-formed class code no class has (codes are drawn from CODE_ALPHABET: these have digits 2-9 only)."""
    return "".join(CODE_ALPHABET[24 + int(digit) % 8] for digit in f"{number:08d}")


def wrong_codes_until_refused(store: RoomStore, clients: Iterator[Client], now: float) -> tuple[int, str]:
    """Try wrong codes, each from the next client, until the store refuses one before looking it up; how many were
    looked up, and the refusal."""
    for tried in range(10 * JOIN_LIMITS["server"][0]):
        with pytest.raises(RoomError) as raised:
            join_class(store, guessed(tried), next(clients), now=now)
        if raised.value.args[0].startswith("Too many"):
            return tried, raised.value.args[0]
        assert raised.value.args[0].startswith("No class with code")
    raise AssertionError("never refused")


def test_a_browsers_wrong_codes_are_counted_by_the_store_across_reloads_and_replicas(
    store: RoomStore, where: str, tmp_path: Path
) -> None:
    browser = Client("one-browser-0000", "10.0.0.7")
    assert wrong_codes_until_refused(store, itertools.repeat(browser), 1000.0)[0] == JOIN_LIMITS["browser"][0]
    other_replica = open_store(where, tmp_path)  # a reload, a new tab, another replica: the same count
    with pytest.raises(RoomError, match="Too many wrong class codes from this browser: try again in 20 s"):
        join_class(other_replica, guessed(99), browser, now=1000.0)
    teacher = start_class(store, parse_lesson(LESSON, "x"), minutes=30)
    assert join_class(other_replica, teacher.code, browser, now=1080.0).code == teacher.code  # a minute on


def test_forty_students_behind_one_nat_mistype_and_join_while_a_guessing_script_is_stopped(store: RoomStore) -> None:
    teacher = start_class(store, parse_lesson(LESSON, "x"), minutes=30)
    school = [Client(f"student-browser-{i:02d}", "203.0.113.9") for i in range(40)]
    for student in school * 2:  # every student mistypes twice
        with pytest.raises(RoomError, match="No class with code"):
            join_class(store, guessed(7), student, now=600.0)
    assert all(join_class(store, teacher.code, s, now=601.0).member == s.browser for s in school)
    script = (Client(f"fresh-browser-{i:04d}", "198.51.100.4") for i in itertools.count())  # a new id each time
    tried, refusal = wrong_codes_until_refused(store, script, 602.0)
    assert tried == JOIN_LIMITS["address"][0] and refusal.startswith("Too many wrong class codes from this network")
    many = (Client(f"botnet-browser-{i:04d}", f"10.{i // 250}.{i % 250}.1") for i in itertools.count())
    tried, refusal = wrong_codes_until_refused(store, many, 603.0)
    assert refusal.startswith("Too many wrong class codes from this server")
    assert tried == JOIN_LIMITS["server"][0] - 80 - JOIN_LIMITS["address"][0]  # the ceiling counts everyone's


def test_a_student_who_reloads_is_the_same_member_who_answered(store: RoomStore) -> None:
    lesson = parse_lesson(LESSON, "x")
    teacher = start_class(store, lesson, minutes=30)
    phone = Client("the-phones-browser", "192.0.2.5")
    first = join_class(store, teacher.code, phone)
    store.seen(teacher.code, first.member, True)
    store.answer(teacher.code, 0, first.member, "plain")
    again = join_class(store, teacher.code, phone)  # reloaded: a new page session, the same browser
    store.seen(teacher.code, again.member, True)
    with pytest.raises(RoomError, match="already answered"):
        store.answer(teacher.code, 0, again.member, "plain")
    assert store.answers(teacher.code, 0) == ["plain"] and store.presence(teacher.code).present == 1


def test_absurd_steps_and_huge_lessons_are_one_line_on_both_stores(store: RoomStore) -> None:
    room = store.create(LESSON, SECRET, 600.0)
    for step in (10**30, -1, 60, True, 1.5):
        with pytest.raises(RoomError, match="A step must be a whole number from 0 to 59"):
            store.move(room.code, SECRET, step)
    with pytest.raises(RoomError, match="at most 256 KB"):
        store.create("x" * 20 * 2**20, SECRET, 600.0)


@pytest.mark.skipif(NO_REDIS, reason="Debian's redis-server is not installed (scripts/run_tests.sh installs it)")
def test_a_class_goes_on_after_its_redis_restarts_with_an_append_only_file(tmp_path: Path) -> None:
    aof = ("--appendonly", "yes", "--appendfsync", "everysec", "--save", "")  # as deploy/compose.yaml runs it
    port = free_port()
    server = start_redis(port, tmp_path, *aof)
    store = RedisStore(f"redis://127.0.0.1:{port}/0")
    room = store.create(LESSON, SECRET, 600.0)
    store.move(room.code, SECRET, 2)
    store.answer(room.code, 2, "ann", "12")
    server.terminate()  # as `docker compose restart classroom-redis` stops it
    server.wait(timeout=30)
    with pytest.raises(StoreUnavailable, match="cannot be reached"):  # while it is down: one line
        store.room(room.code)
    server = start_redis(port, tmp_path, *aof)
    try:
        assert store.room(room.code).step == 2 and store.answers(room.code, 2) == ["12"]  # the same store object
        store.move(room.code, SECRET, 3)  # and the class goes on
        assert store.room(room.code).step == 3
    finally:
        server.terminate()
        server.wait(timeout=30)
