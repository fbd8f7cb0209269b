"""A class of 30 students in one room: how long the teacher's click takes to reach the last student's page, and
what following costs the server.

Starts the app (``python -m explorer serve``, the room store in a fresh SQLite file), opens a teacher and N
students in headless Chromium (one browser, a context each: N + 1 real Streamlit sessions running the real page
code and the real store), starts a class of "Table 1 and the shortcut", lets every student join by the link, and
then, for each of the lesson's first moves, measures in every student's page the time from the teacher's click to
the page's lesson bar showing the new step (p50 and max over the students). Then, with everyone following and
nobody clicking, it reads the server's CPU time (``/proc/PID/stat``) over a quiet period: the cost of following
(each student's page asks the store every second), per student. Chromium runs on the same cores, so the figures
are those of a machine that also draws every page.

Usage: python benchmarks/bench_classroom.py [--students 30] [--moves 3] [--quiet-s 20]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_imagelab_latency import start_server  # noqa: E402
from tests.chromium import CHROMIUM, CHROMIUM_ARGS, FOLLOWED, free_port  # noqa: E402

WAIT_MS = int(os.environ.get("BENCH_WAIT_MS", "300000"))
LESSON_TITLE = "Table 1 and the shortcut"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` and its finished children, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def chromium_cpu_seconds() -> float:
    """User + system CPU time of every Chromium process now running here, in seconds."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and b"chromium" in (entry / "cmdline").read_bytes().split(b"\0")[0]:
                total += cpu_seconds(int(entry.name))
        except OSError:  # it ended meanwhile
            continue
    return total


def measure(students: int, moves: int, quiet_s: float) -> dict[str, object]:
    """The figures of one run (see the module's docstring)."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as scratch:
        os.environ["EXPLORER_RECORDINGS"] = str(Path(scratch) / "recordings")
        port = free_port()
        server = start_server(port, str(Path(scratch) / "torch-home"), "cpu")
        url = f"http://127.0.0.1:{port}"
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                teacher = browser.new_context(viewport={"width": 1200, "height": 1000}).new_page()
                teacher.set_default_timeout(WAIT_MS)  # 31 pages drawn on the same cores: a click can wait long
                teacher.goto(f"{url}/Class")
                teacher.locator('[data-testid="stSelectbox"]', has_text="Lesson").click()
                teacher.locator('[role="option"]', has_text=LESSON_TITLE).click()
                teacher.get_by_role("button", name="Start a class").click()
                heading = teacher.locator("h3", has_text="Class code")
                heading.wait_for(timeout=WAIT_MS)
                code = re.search(r"([A-Z0-9]{4})-([A-Z0-9]{4})", heading.inner_text())
                room = code.group(1) + code.group(2)
                pages = []
                for _ in range(students):
                    page = browser.new_context(viewport={"width": 1200, "height": 1000}).new_page()
                    page.set_default_timeout(WAIT_MS)
                    page.goto(f"{url}/Class?room={room}")
                    pages.append(page)
                for page in pages:
                    page.locator(".st-key-lesson-bar", has_text="Following the class").wait_for(timeout=WAIT_MS)
                total = teacher.locator(".st-key-lesson-bar").inner_text().split(" of ", 1)[1].split(":")[0]
                teacher.get_by_role("button", name="Open step 1").click()  # from the class page, as a teacher would
                teacher.wait_for_url(re.compile(r"imagenet_model=resnet34"))
                time.sleep(2.0)
                lags: list[list[float]] = []
                server_cpu, browser_cpu = [], []
                for step in range(2, 2 + moves):
                    want = f"step {step} of {total}"
                    for page in pages:
                        page.evaluate(FOLLOWED, want)
                    server_before, browser_before = cpu_seconds(server.pid), chromium_cpu_seconds()
                    clicked = teacher.evaluate("Date.now()")
                    teacher.get_by_role("button", name="Next →").click()
                    for page in pages:
                        try:
                            page.wait_for_function("() => window.__shown !== null", timeout=WAIT_MS)
                        except Exception:
                            bars = [p.locator(".st-key-lesson-bar").all_inner_texts() for p in pages]
                            raise SystemExit(f"not every page showed {want}; their bars: {bars}") from None
                    lags.append(sorted((page.evaluate("window.__shown") - clicked) / 1000 for page in pages))
                    server_cpu.append(cpu_seconds(server.pid) - server_before)
                    browser_cpu.append(chromium_cpu_seconds() - browser_before)
                    time.sleep(2.0)  # the pages settle before the next move
                if teacher.locator('[data-testid="stButton"]', has_text="Reveal the answer").count():
                    teacher.get_by_role("button", name="Reveal the answer").click()  # the pages show their results
                time.sleep(5.0)
                before, started = cpu_seconds(server.pid), time.monotonic()
                time.sleep(quiet_s)
                used, elapsed = cpu_seconds(server.pid) - before, time.monotonic() - started
                present = teacher.locator("h3", has_text="Class code").inner_text()
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
    every = [lag for move in lags for lag in move]
    return {
        "students": students,
        "moves": [
            {"p50_s": statistics.median(m), "max_s": max(m), "server_cpu_s": server, "chromium_cpu_s": browser}
            for m, server, browser in zip(lags, server_cpu, browser_cpu, strict=True)
        ],
        "p50_s": statistics.median(every),
        "max_s": max(every),
        "following_cpu_ms_per_student_per_s": 1000 * used / elapsed / students,
        "server_cpu_share_following": used / elapsed,
        "room_line": present,
    }


def main() -> None:
    """Run the class and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--moves", type=int, default=3)
    parser.add_argument("--quiet-s", type=float, default=20.0)
    args = parser.parse_args()
    figures = measure(args.students, args.moves, args.quiet_s)
    print(f"{figures['students']} students in one room, one server on {os.cpu_count()} cores (Chromium beside it)")
    for number, move in enumerate(figures["moves"], 2):
        print(
            f"  teacher -> step {number}: p50 {move['p50_s']:.2f} s, last student {move['max_s']:.2f} s "
            f"(CPU meanwhile: server {move['server_cpu_s']:.2f} s, Chromium {move['chromium_cpu_s']:.2f} s)"
        )
    print(f"  all moves: p50 {figures['p50_s']:.2f} s, max {figures['max_s']:.2f} s")
    print(
        f"  following, nobody clicking: server CPU {figures['server_cpu_share_following']:.0%} of a core, "
        f"{figures['following_cpu_ms_per_student_per_s']:.1f} ms per student per second"
    )
    print(f"  the teacher's page said: {figures['room_line']}")


if __name__ == "__main__":
    main()
