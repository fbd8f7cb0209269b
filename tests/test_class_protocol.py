"""A following student's page, spoken to in Streamlit's own protocol (benchmarks/streamlit_client.py): what a
browser's timed fragment can do to it that a browser test only hits by chance."""

import asyncio
from pathlib import Path

import pytest

from benchmarks.bench_imagelab_latency import start_server
from benchmarks.streamlit_client import ProtocolClient
from explorer.classroom.play import start_class
from explorer.lessons.lesson import shipped_lessons
from explorer.ui import classroom, server
from tests.chromium import free_port

WAIT_S = 120.0


def test_a_bar_tick_sent_just_before_the_page_switched_does_not_take_the_student_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The browser's one-second tick of the student's bar names the page it is on; one sent just before the server
    # switched the page (joining, or following the teacher) names the page before. Streamlit runs it on that page
    # and tells the browser so; the bar opens the page it was drawn on again, on its address (CI-style runs lost
    # the teacher's page so, and classes of 60 protocol students lost the step's page for some students).
    monkeypatch.setenv("EXPLORER_RECORDINGS", str(tmp_path / "recordings"))
    server.settings.clear()
    classroom.class_store.clear()
    port = free_port()
    app = start_server(port, str(tmp_path / "torch-home"), "cpu")
    try:
        teacher = start_class(classroom.class_store(), shipped_lessons()["2_table1_and_the_shortcut"], 30)
        asyncio.run(_stale_tick(f"http://127.0.0.1:{port}/Class?room={teacher.code}"))
    finally:
        app.terminate()
        app.wait(timeout=30)
        server.settings.clear()
        classroom.class_store.clear()


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
