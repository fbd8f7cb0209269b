"""The class benchmark's students without a browser (benchmarks/streamlit_client.py) follow a real class to its end."""

from pathlib import Path

import pytest

from benchmarks.bench_classroom import measure_protocol
from explorer.lessons.lesson import shipped_lessons
from explorer.ui import classroom, server


@pytest.mark.parametrize(
    ("replicas", "balancer"),
    [(0, "builtin"), (2, "builtin"), (2, "nginx")],
    ids=["one server", "two replicas behind the built-in balancer", "two replicas behind nginx"],
)
def test_two_protocol_students_follow_a_class_to_its_last_step(
    replicas: int, balancer: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXPLORER_RECORDINGS", str(tmp_path))  # put back after the test: the benchmark sets its own
    server.settings.clear()
    classroom.class_store.clear()
    try:
        (result,) = measure_protocol([2], quiet_s=1.0, replicas=replicas, balancer=balancer)
    finally:
        server.settings.clear()
        classroom.class_store.clear()
    lesson = shipped_lessons()["2_table1_and_the_shortcut"]
    without_question = [i + 1 for i, step in enumerate(lesson.steps) if step.question is None and i > 0]
    assert [move["step"] for move in result["moves"]] == without_question == [2, 4, 5]
    for move in result["moves"]:  # every student's bar showed each step, then its page's first figure
        assert move["missing"] == 0 and 0 < move["bar_p50_s"] <= move["bar_max_s"] and move["figure_max_s"] > 0, move
        assert move["clients_cpu_s"] >= 0 and move["clients_wall_s"] >= move["figure_max_s"], move
    assert result["students"] == 2 and result["following_cpu_ms_per_student_per_s"] >= 0  # 0 at /proc's 10 ms ticks
    assert 0 < result["rss_mb"] <= result["peak_rss_mb"], result
