"""Memory bounded by design: many large uploads, in one session and in many, keep the server's memory flat.

Each case runs ``tests/rss_probe.py`` in a fresh process with small budgets
(``EXPLORER_SESSION_MB=16``, ``EXPLORER_RESULTS_MB=48``) and reads its resident memory after every
round of 5000×5000 uploads (JPEG and PNG in turn). Before the budgets, one session grew by about
180 MB per image (1.57 GB after eight) and six sessions by 2.2 GB after two images each.
"""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

BUDGETS = {"EXPLORER_SESSION_MB": "16", "EXPLORER_RESULTS_MB": "48"}
DECODE_HIGH_WATER_MB = 220  # the allocator keeps what one 5000² PNG decode (75 MB) and its neighbours touched


def resident_after_uploads(sessions: int, uploads: int) -> list[float]:
    result = subprocess.run(
        [sys.executable, "-m", "tests.rss_probe", str(sessions), str(uploads), "5000"],
        cwd=ROOT, env={**os.environ, **BUDGETS}, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.timeout(600)
def test_one_session_uploading_many_large_images_stays_flat() -> None:
    readings = resident_after_uploads(sessions=1, uploads=8)
    assert max(readings) - readings[0] < DECODE_HIGH_WATER_MB + int(BUDGETS["EXPLORER_SESSION_MB"]), readings
    # No growth per image once the first large one is in: six more uploads add less than one decoded image (a leak
    # of one per upload would add six; the allocator's own noise here is 9-46 MB over the six).
    one_image_mb = 5000 * 5000 * 3 / 2**20
    assert readings[-1] - readings[2] < one_image_mb, readings


@pytest.mark.timeout(600)
def test_many_sessions_uploading_large_images_stay_within_the_budget() -> None:
    readings = resident_after_uploads(sessions=6, uploads=2)
    uploads_held = 6 * 12  # Streamlit keeps each session's current upload (a 5000² PNG here is up to ~12 MB)
    bound = DECODE_HIGH_WATER_MB + int(BUDGETS["EXPLORER_RESULTS_MB"]) + uploads_held
    assert readings[-1] - readings[0] < bound, readings


def test_full_collections_after_page_runs_come_at_most_one_per_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    from explorer.memory import Collector

    collections = []
    monkeypatch.setattr(gc, "collect", lambda *args: collections.append(args) or 0)
    collector = Collector(every_s=5.0)
    runs = [100.0 + 0.05 * i for i in range(60)]  # a class of 60 switching pages within 3 s
    assert [collector.after_run(t) for t in runs].count(True) == 1 and len(collections) == 1
    assert collector.after_run(104.9) is False and collector.after_run(105.0) is True  # the interval, then again
    assert len(collections) == 2
