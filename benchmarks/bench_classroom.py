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

With ``--protocol``, the students are :class:`~benchmarks.streamlit_client.ProtocolClient` s instead: each speaks
Streamlit's own websocket protocol as the page does (it opens the class link, answers the fragment timers and follows
the page switches), so the server does the work real students cause and nothing draws on its cores; the teacher
moves the class through the store, as Next does. One server serves the classes of ``--classes`` one after another
(each class's students leave before the next come), and for each move the benchmark prints the time to every
student's lesson bar showing the new step and to the step's first figure (p50 and max), the server's CPU and that
of the benchmark's own process, where the students read what the server sends (near one CPU-second a second, it
is late to read, and the times include its delay);
for each class, the server's resident memory after it and at its peak so far. Without ``--replicas`` the server is
one process (``serve --replicas 1``); with ``--replicas N`` the students reach N replicas through the built-in
balancer (``python -m explorer serve --replicas N``, the default server of an N-core machine) or, with ``--balancer
nginx``, through nginx (``python -m explorer replicas N``), and CPU and memory are the replicas' sums (and the
built-in balancer's).

Usage: python benchmarks/bench_classroom.py [--students 30] [--moves 3] [--quiet-s 20]
       python benchmarks/bench_classroom.py --protocol [--classes 30,60,120,60,30] [--quiet-s 10] [--replicas 2]
              [--balancer builtin|nginx]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_imagelab_latency import start_server  # noqa: E402
from benchmarks.streamlit_client import ProtocolClient  # noqa: E402
from tests.chromium import CHROMIUM, CHROMIUM_ARGS, FOLLOWED, free_port  # noqa: E402

WAIT_MS = int(os.environ.get("BENCH_WAIT_MS", "300000"))
LESSON_TITLE = "Table 1 and the shortcut"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` and its finished children, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def memory_mb(pid: int) -> tuple[float, float]:
    """The resident memory of process ``pid`` now and at its peak so far (``VmRSS``, ``VmHWM``), in MB."""
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return tuple(int(status[key].split()[0]) / 1024 for key in ("VmRSS", "VmHWM"))  # type: ignore[return-value]


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


FIGURES = ("plotly_chart", "metric", "image")  # what "the step's first figure" is


async def protocol_class(url: str, students: int, quiet_s: float, server_pids: list[int]) -> dict[str, object]:
    """One class of ``students`` protocol clients on the server at ``url``: they join by the link, the teacher (through
    the store) moves to every step without a question and back, and they leave. The figures of each move."""
    from explorer.classroom.play import start_class
    from explorer.lessons.lesson import shipped_lessons
    from explorer.ui.classroom import class_store

    store = class_store()
    lesson = next(lesson for lesson in shipped_lessons().values() if str(lesson.title) == LESSON_TITLE)
    teacher = start_class(store, lesson, 30)
    clients = [ProtocolClient(f"{url}/Class?room={teacher.code}") for _ in range(students)]
    joined = [c.watch(lambda kind, text: "Following the class" in text) for c in clients]
    started = time.monotonic()
    running = [asyncio.ensure_future(c.run()) for c in clients]
    join_s = max(await asyncio.wait_for(asyncio.gather(*joined), WAIT_MS / 1000)) - started
    await asyncio.sleep(2.0)
    steps = [i for i, step in enumerate(lesson.steps) if step.question is None and i > 0]
    moves = []
    for step in steps:
        want = f"step {step + 1} of {len(lesson.steps)}"
        bars = [c.watch(lambda kind, text, w=want: w in text and "Following" in text) for c in clients]
        figures = [c.watch(lambda kind, text: kind in FIGURES) for c in clients]
        cpu, own, moved = servers_cpu_seconds(server_pids), time.process_time(), time.monotonic()
        store.move(teacher.code or "", teacher.secret or "", step)
        bar_at = await _all(bars, clients, f"the lesson bar at {want}")
        figure_at = await _all(figures, clients, f"a figure of step {step + 1}")
        clients_cpu = time.process_time() - own
        bar_s, figure_s = [t - moved for t in bar_at] or [math.nan], [t - moved for t in figure_at] or [math.nan]
        moves.append({"step": step + 1, "bar_p50_s": statistics.median(bar_s), "bar_max_s": max(bar_s),
                      "figure_p50_s": statistics.median(figure_s), "figure_max_s": max(figure_s),
                      "missing": students - min(len(bar_at), len(figure_at)),
                      "server_cpu_s": servers_cpu_seconds(server_pids) - cpu, "clients_cpu_s": clients_cpu,
                      "clients_wall_s": time.monotonic() - moved})  # fmt: skip
        await asyncio.sleep(2.0)  # the pages settle before the next move
    before, quiet_started = servers_cpu_seconds(server_pids), time.monotonic()
    await asyncio.sleep(quiet_s)
    following = (servers_cpu_seconds(server_pids) - before) / (time.monotonic() - quiet_started)
    for client in clients:
        await client.close()
    await asyncio.gather(*running)
    store.close(teacher.code or "", teacher.secret or "")
    rss_mb, peak_mb = (sum(m) for m in zip(*(memory_mb(pid) for pid in server_pids), strict=True))
    return {"students": students, "join_s": join_s, "moves": moves, "rss_mb": rss_mb, "peak_rss_mb": peak_mb,
            "following_cpu_ms_per_student_per_s": 1000 * following / students}  # fmt: skip


async def _all(waits: list[asyncio.Future], clients: list[ProtocolClient], what: str) -> list[float]:
    """The times of ``waits`` that came within the benchmark's wait; for each client whose did not, one line saying
    what it saw last (a student who never sees the step is a result to report, not a reason to stop)."""
    done, _ = await asyncio.wait(waits, timeout=WAIT_MS / 1000)
    for client, wait in zip(clients, waits, strict=True):
        if wait not in done:
            wait.cancel()
            print(f"a student never showed {what} in {WAIT_MS / 1000:.0f} s: {client.query}, last {client.texts[-4:]}")
    return [wait.result() for wait in waits if wait in done]


def measure_protocol(
    classes: list[int], quiet_s: float, replicas: int = 0, balancer: str = "builtin"
) -> list[dict[str, object]]:
    """The classes of ``classes`` one after another on one fresh ``python -m explorer serve --replicas 1`` or, with
    ``replicas``, on that many fresh replicas behind the ``balancer``: ``builtin`` (``python -m explorer serve
    --replicas N``, the default ``serve`` on a machine of N cores) or ``nginx`` (``python -m explorer replicas N``).
    Each student's websocket goes to the replica the balancer picks; the figures of CPU and memory are the sums of
    the replicas and the built-in balancer (nginx's are not counted)."""
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["EXPLORER_RECORDINGS"] = str(Path(scratch) / "recordings")
        port = free_port()
        if replicas and balancer == "nginx":
            server, pids = start_replicas(replicas, port, str(Path(scratch) / "torch-home"))
        elif replicas:
            server, pids = start_balanced(replicas, port, str(Path(scratch) / "torch-home"))
        else:
            server = start_server(port, str(Path(scratch) / "torch-home"), "cpu")
            pids = [server.pid]
        try:
            return [asyncio.run(protocol_class(f"http://127.0.0.1:{port}", n, quiet_s, pids)) for n in classes]
        finally:
            server.terminate()
            server.wait(timeout=60)


def start_replicas(count: int, port: int, torch_home: str, tries: int = 3) -> tuple[subprocess.Popen, list[int]]:
    """``python -m explorer replicas count`` with its balancer on ``port``, once every replica and the balancer are
    healthy: the process, and the pids of the replicas' servers. The replicas' ports are picked free, but another
    program may take one before its replica binds it (a CI run's replicas "did not start"): then, ``tries`` times
    in all, on other ports; the last lines the command printed are in the error."""
    for _ in range(tries - 1):
        with contextlib.suppress(SystemExit):
            return _start_replicas(count, port, torch_home)
    return _start_replicas(count, port, torch_home)


def _start_replicas(count: int, port: int, torch_home: str) -> tuple[subprocess.Popen, list[int]]:
    first = free_port()
    while any(_in_use(first + i) for i in range(count)):
        first = free_port()
    command = [sys.executable, "-m", "explorer", "replicas", str(count), "--port", str(port), "--address",
               "127.0.0.1", "--first-port", str(first)]  # fmt: skip
    env = {**os.environ, "TORCH_HOME": torch_home, "EXPLORER_DEVICE": "cpu"}
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    pids: list[int] = []
    said: list[str] = []
    assert process.stderr is not None
    for line in process.stderr:  # "replica 1: pid 123, port 8601" for each, then "balancer: pid …" once healthy
        said = [*said[-4:], line.strip()]
        if line.startswith("replica "):
            pids.append(int(line.split("pid ")[1].split(",")[0]))
        if line.startswith("balancer:"):  # from now on their logs are read and dropped, so that none of them blocks
            threading.Thread(target=process.stderr.read, daemon=True).start()
            return process, pids
    raise SystemExit(f"the replicas did not start (exit status {process.wait()}): {' | '.join(said)}")


def start_balanced(count: int, port: int, torch_home: str) -> tuple[subprocess.Popen, list[int]]:
    """``python -m explorer serve --replicas count`` on ``port``, once it answers: the process, and the pids of the
    balancer (that process) and of the replicas."""
    command = [sys.executable, "-m", "explorer", "serve", "--replicas", str(count), "--server.port", str(port),
               "--server.address", "127.0.0.1"]  # fmt: skip
    env = {**os.environ, "TORCH_HOME": torch_home, "EXPLORER_DEVICE": "cpu"}
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    pids = [process.pid]
    assert process.stderr is not None
    for line in process.stderr:  # "replica 1: pid 123, port 8601" for each
        if line.startswith("replica "):
            pids.append(int(line.split("pid ")[1].split(",")[0]))
        if len(pids) == count + 1:  # from now on the logs are read and dropped, so that none of them blocks
            threading.Thread(target=process.stderr.read, daemon=True).start()
            break
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(OSError), urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health") as answer:
            if answer.read() == b"ok":
                return process, pids
        time.sleep(0.3)
    raise SystemExit(f"the replicas did not start (exit status {process.poll()})")


def _in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def servers_cpu_seconds(pids: list[int]) -> float:
    """The CPU time of the server processes ``pids`` together, in seconds."""
    return sum(cpu_seconds(pid) for pid in pids)


def print_protocol(results: list[dict[str, object]], replicas: int = 0, balancer: str = "builtin") -> None:
    """The protocol classes' figures, one line per move."""
    servers = f"{replicas} replicas behind the {balancer} balancer" if replicas else "one server"
    print(f"Protocol clients (no browser), {servers} on {os.cpu_count()} cores, classes in this order:")
    for result in results:
        n, following = result["students"], result["following_cpu_ms_per_student_per_s"]
        print(f"  {n} students: all joined in {result['join_s']:.1f} s; following, nobody moving: {following:.1f} ms "
              f"of server CPU per student per second; server memory after the class {result['rss_mb']:.0f} MB "
              f"(peak so far {result['peak_rss_mb']:.0f} MB)")  # fmt: skip
        for move in result["moves"]:
            cpu = move["server_cpu_s"]
            print(f"    -> step {move['step']}: lesson bar p50 {move['bar_p50_s']:.2f} s, max {move['bar_max_s']:.2f} "
                  f"s; first figure p50 {move['figure_p50_s']:.2f} s, max {move['figure_max_s']:.2f} s; server CPU "
                  f"{cpu:.2f} s ({1000 * cpu / n:.0f} ms a student); the students' own process "
                  f"{move['clients_cpu_s']:.2f} s of CPU in {move['clients_wall_s']:.2f} s"
                  + (f"; {move['missing']} of {n} never showed it" if move["missing"] else ""))  # fmt: skip


def main() -> None:
    """Run the class and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--moves", type=int, default=3)
    parser.add_argument("--quiet-s", type=float, default=20.0)
    parser.add_argument("--protocol", action="store_true", help="students as protocol clients, no browser")
    parser.add_argument("--classes", default="30,60,120,60,30", help="with --protocol: class sizes, in order")
    parser.add_argument("--replicas", type=int, default=0, help="with --protocol: that many replicas, balanced")
    parser.add_argument("--balancer", choices=("builtin", "nginx"), default="builtin", help="with --replicas")
    args = parser.parse_args()
    if args.protocol:
        classes = [int(n) for n in args.classes.split(",")]
        results = measure_protocol(classes, args.quiet_s, args.replicas, args.balancer)
        print_protocol(results, args.replicas, args.balancer)
        return
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
