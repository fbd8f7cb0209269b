"""A following student's page, spoken to in Streamlit's own protocol (benchmarks/streamlit_client.py): what a
browser's timed fragment can do to it that a browser test only hits by chance."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.bench_imagelab_latency import start_server
from benchmarks.streamlit_client import ProtocolClient
from explorer.classroom.play import start_class
from explorer.lessons.lesson import shipped_lessons
from explorer.ui import classroom, server
from tests.chromium import free_port

WAIT_S = 120.0


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The address of a fresh ``python -m explorer serve`` whose class store this test's process shares."""
    monkeypatch.setenv("EXPLORER_RECORDINGS", str(tmp_path / "recordings"))
    server.settings.clear()
    classroom.class_store.clear()
    port = free_port()
    app = start_server(port, str(tmp_path / "torch-home"), "cpu")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        app.terminate()
        app.wait(timeout=30)
        server.settings.clear()
        classroom.class_store.clear()


def test_a_bar_tick_sent_just_before_the_page_switched_does_not_take_the_student_back(served: str) -> None:
    # The browser's one-second tick of the student's bar names the page it is on; one sent just before the server
    # switched the page (joining, or following the teacher) names the page before. Streamlit runs it on that page
    # and tells the browser so; the bar opens the page it was drawn on again, on its address (CI-style runs lost
    # the teacher's page so, and classes of 60 protocol students lost the step's page for some students).
    teacher = start_class(classroom.class_store(), shipped_lessons()["2_table1_and_the_shortcut"], 30)
    asyncio.run(_stale_tick(f"{served}/Class?room={teacher.code}"))


async def _stale_tick(link: str) -> None:
    student = ProtocolClient(link)
    drawn = student.watch(lambda kind, text: "**Stages.**" in text)  # the step's page drawn to its end
    running = asyncio.ensure_future(student.run())
    try:
        await asyncio.wait_for(drawn, WAIT_S)
        class_page, step_page = student.pages[0], student.page_hash
        assert class_page != step_page and student.timed_fragments, student.pages  # joined on Class, then switched
        drawn_again = student.watch(lambda kind, text: "**Stages.**" in text)
        await student.tick(student.timed_fragments[0], class_page)  # the tick sent before the switch arrived
        await asyncio.wait_for(drawn_again, WAIT_S)
        assert student.page_hash == step_page and class_page in student.pages[2:], student.pages
    finally:
        await student.close()
        await running


def test_the_server_tells_following_students_that_the_class_moved(served: str) -> None:
    # Students whose bars never poll (their timers stalled) still follow the teacher: the server's room watcher
    # reruns every following bar when the room changes, so a move reaches the class without waiting for each
    # student's own poll.
    lesson = shipped_lessons()["2_table1_and_the_shortcut"]
    store = classroom.class_store()
    teacher = start_class(store, lesson, 30)
    asyncio.run(
        _moved_without_ticks(f"{served}/Class?room={teacher.code}", store, teacher.code or "", teacher.secret or "")
    )


async def _moved_without_ticks(link: str, store: object, code: str, secret: str) -> None:
    students = [ProtocolClient(link, ticks=False) for _ in range(2)]
    joined = [s.watch(lambda kind, text: "Following the class" in text and "step 1 of" in text) for s in students]
    running = [asyncio.ensure_future(s.run()) for s in students]
    try:
        await asyncio.wait_for(asyncio.gather(*joined), WAIT_S)
        await asyncio.sleep(1.0)  # the watcher has heard of both (each bar told it when it was drawn)
        moved = [s.watch(lambda kind, text: "Following the class" in text and "step 2 of" in text) for s in students]
        drawn = [s.watch(lambda kind, text: "with every shortcut removed" in text) for s in students]
        store.move(code, secret, 1)  # type: ignore[attr-defined]
        await asyncio.wait_for(asyncio.gather(*moved, *drawn), WAIT_S)
        assert all("skip=0" in s.query for s in students), [s.query for s in students]
    finally:
        for student in students:
            await student.close()
        await asyncio.gather(*running)
