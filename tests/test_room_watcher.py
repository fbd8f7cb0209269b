"""The room watcher: one look at the store per room tells every follower in this process that the class moved."""

from pathlib import Path

import pytest

from explorer.classroom.store import SQLiteStore, StoreUnavailable
from explorer.classroom.watch import RoomWatcher

LESSON = 'title = "x"\n[[steps]]\ntitle = "a"\npage = "Home"\n[[steps]]\ntitle = "b"\npage = "Home"\n'
SECRET = "the teacher's secret"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    return SQLiteStore(tmp_path / "rooms.sqlite")


def watcher(store: SQLiteStore, clock: Clock) -> RoomWatcher:
    return RoomWatcher(store, forget_after_s=10.0, clock=clock, start=False)


def test_followers_are_nudged_once_for_each_change_they_have_not_shown(store: SQLiteStore) -> None:
    room = store.create(LESSON, SECRET, 600)
    nudged: list[str] = []
    watching = watcher(store, Clock())
    watching.follow(room.code, "behind", room.version, lambda: nudged.append("behind"))
    assert watching.look() == 0 and nudged == []  # nothing changed
    moved = store.move(room.code, SECRET, 1)
    watching.follow(room.code, "ahead", moved.version, lambda: nudged.append("ahead"))  # drawn after the move
    assert watching.look() == 1 and nudged == ["behind"]
    assert watching.look() == 0  # not again for the same change, whether or not its bar has run since
    watching.follow(room.code, "behind", room.version, lambda: nudged.append("behind"))  # a poll that ran before
    assert watching.look() == 0
    store.move(room.code, SECRET, 0)
    assert watching.look() == 2 and sorted(nudged) == ["ahead", "behind", "behind"]


def test_an_ended_class_is_told_once_and_a_silent_follower_is_forgotten(store: SQLiteStore) -> None:
    clock = Clock()
    room = store.create(LESSON, SECRET, 600)
    nudged: list[str] = []
    watching = watcher(store, clock)
    watching.follow(room.code, "a", room.version, lambda: nudged.append("a"))
    watching.follow(room.code, "b", room.version, lambda: nudged.append("b"))
    clock.now = 6.0
    watching.follow(room.code, "a", room.version, lambda: nudged.append("a"))
    clock.now = 12.0  # b has not polled for 12 s: its page is closed
    store.close(room.code, SECRET)
    assert watching.look() == 1 and nudged == ["a"] and watching.followers(room.code) == 1
    assert watching.look() == 0
    watching.unfollow(room.code, "a")
    assert watching.followers(room.code) == 0


def test_a_store_that_does_not_answer_nudges_nobody_and_a_failing_nudge_stops_no_other(
    store: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    room = store.create(LESSON, SECRET, 600)
    nudged: list[str] = []
    watching = watcher(store, Clock())

    def gone() -> None:
        raise RuntimeError("the session went away")

    watching.follow(room.code, "gone", room.version, gone)
    watching.follow(room.code, "here", room.version, lambda: nudged.append("here"))
    store.move(room.code, SECRET, 1)
    real = store.room

    def unavailable(code: str) -> object:
        raise StoreUnavailable("The class store did not answer: try again")

    monkeypatch.setattr(store, "room", unavailable)
    assert watching.look() == 0 and nudged == []
    monkeypatch.setattr(store, "room", real)
    assert watching.look() == 2 and nudged == ["here"]
