"""A class in real browsers: a teacher and six students through two replicas behind nginx.

The teacher starts a class of a shipped lesson; the students join by its link. The teacher moves through three
steps and every student's page follows (the time from the click to each page showing the step is measured in the
pages themselves and printed); one student breaks away and comes back; four students answer the step's question,
the teacher's histogram shows exactly those answers, and the reveal shows the value the explorer computes. Then
the replica some students are on is killed: they rejoin the class on the other one, at the teacher's step.
"""

import os
import re
import signal
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import pytest

from explorer.lessons.answers import projection_parameters
from explorer.lessons.lesson import shipped_lessons
from tests.chromium import CHROMIUM, CHROMIUM_ARGS, FOLLOWED, LIVE
from tests.test_browser import SHOTS, WAIT_MS, on_step_page, start_a_class
from tests.test_replicas import Balancer
from tests.test_replicas import pytestmark as replica_marks

pytestmark = [*(m for m in replica_marks if m.name != "xdist_group"), pytest.mark.xdist_group("class")]  # own servers
STUDENTS = 6
LESSON = shipped_lessons()["2_table1_and_the_shortcut"]
READY: list[float] = []  # the seconds from each of the teacher's moves to a clickable "Next →" on the new step


@pytest.fixture(scope="module")
def balancer(tmp_path_factory: pytest.TempPathFactory) -> Balancer:
    shared = tmp_path_factory.mktemp("class-recordings")  # the folder the two replicas share: the room store in it
    running = Balancer(tmp_path_factory.mktemp("torch-home"), EXPLORER_RECORDINGS=str(shared))
    yield running
    running.stop()
    print("the replicas' last log lines (pytest shows them when the test fails):", *running.lines[-80:], sep="\n")


def new_page(browser: object) -> object:
    """A page in a context of its own (a browser of its own), whose every wait is the test's own: no click or
    fill falls back on Playwright's default of 30 s."""
    context = browser.new_context(viewport={"width": 1400, "height": 1500})
    context.set_default_timeout(WAIT_MS)
    return context.new_page()


@contextmanager
def described_on_failure(pages: dict[str, object]) -> Iterator[None]:
    """When the body fails: each page's address and lesson bar printed, and its screenshot kept
    (``artifacts/screenshots/class_failed_<name>.png``)."""
    try:
        yield
    except Exception:
        for name, page in pages.items():
            with suppress(Exception):  # a page that cannot be described is skipped: the failure itself is raised
                bars = page.locator(".st-key-lesson-bar").all_inner_texts()
                print(f"{name} at {page.url}: lesson bar {bars or 'not shown'}")
                page.screenshot(path=str(SHOTS / f"class_failed_{name.replace(' ', '_')}.png"), full_page=True)
        raise


def replica_of(page: object) -> str:
    caption = page.locator('[data-testid="stSidebar"] [data-testid="stCaptionContainer"]', has_text="replica")
    return re.search(r"replica (\d+)", caption.first.inner_text()).group(1)


def step_text(number: int) -> str:
    return f"step {number} of {len(LESSON.steps)}"


def wait_for_room(teacher: object, counted: str) -> None:
    """Wait until the teacher's bar counts the room as ``counted``; on a timeout, say what it counted instead."""
    from playwright.sync_api import TimeoutError as PageTimeout

    try:
        teacher.locator("h3", has_text=counted).wait_for()
    except PageTimeout:
        shown = teacher.locator("h3", has_text="Class code").all_inner_texts()
        raise AssertionError(f"the teacher's bar never said {counted!r}; it says {shown}") from None


def bar_ready(teacher: object, number: int, since: float) -> float:
    """Wait until the teacher's lesson bar shows step ``number`` with a clickable "Next →"; the seconds since
    ``since`` (a ``time.monotonic()``)."""
    bar = teacher.locator(".st-key-lesson-bar", has_text=step_text(number))
    bar.get_by_role("button", name="Next →").and_(bar.locator("button:enabled")).wait_for()
    return time.monotonic() - since


def follow_times(teacher: object, students: list[object], number: int) -> list[float]:
    """Click Next on the teacher's page; the seconds until each student's page showed step ``number``."""
    for student in students:
        student.evaluate(FOLLOWED, step_text(number))
    clicked, since = teacher.evaluate("Date.now()"), time.monotonic()
    teacher.locator(LIVE).get_by_role("button", name="Next →").click()
    READY.append(bar_ready(teacher, number, since))
    for student in students:
        student.wait_for_function("() => window.__shown !== null")
    return [(student.evaluate("window.__shown") - clicked) / 1000 for student in students]


def test_a_class_follows_the_teacher_across_replicas(balancer: Balancer) -> None:
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        teacher = new_page(browser)
        shown = {"teacher": teacher}  # the pages described if the test fails
        with described_on_failure(shown):
            teacher.goto(f"{balancer.url}/Class")
            start_a_class(teacher, str(LESSON.title))
            teacher.locator(".st-key-lesson-bar", has_text=step_text(1)).wait_for()
            heading = teacher.locator("h3", has_text="Class code").inner_text()
            code = re.search(r"Class code ([A-Z0-9]{4}-[A-Z0-9]{4})", heading).group(1).replace("-", "")
            kept = replica_of(teacher)

            students: list[object] = []
            for joined in range(1, 31):  # the balancer spreads new browsers at random: one on the replica to kill
                page = new_page(browser)
                page.goto(f"{balancer.url}/Class?room={code}")
                page.locator(".st-key-lesson-bar", has_text="Following the class").wait_for()
                students.append(page)
                shown[f"student {joined}"] = page
                if len(students) >= STUDENTS and any(replica_of(s) != kept for s in students):
                    # keep six, among them those on the other replica: more than one spare when the first seven or
                    # more all came to the teacher's replica (about one run in 128: CI-style run 27 kept seven)
                    while len(students) > STUDENTS:
                        spare = next(s for s in students if replica_of(s) == kept)
                        students.remove(spare)
                        del shown[next(name for name, shown_page in shown.items() if shown_page is spare)]
                        spare.context.close()
                    break
            assert len(students) == STUDENTS and any(replica_of(s) != kept for s in students)
            for student in students:
                assert "imagenet_model=resnet34" in student.url and f"room={code}" in student.url  # step 1's page
            wait_for_room(teacher, f"{STUDENTS} in the room, {STUDENTS} following")
            assert teacher.locator('[data-testid="stImage"]', has_text="scan to join").count() == 1  # the QR code
            teacher.screenshot(path=str(SHOTS / "class_code.png"), full_page=True)
            since = time.monotonic()
            teacher.locator(LIVE).get_by_role("button", name="Open step 1 (Architecture)").click()  # its page follows
            teacher.wait_for_url(re.compile(r"imagenet_model=resnet34"))
            on_step_page(teacher, "Architecture")
            READY.append(bar_ready(teacher, 1, since))

            explorer, others = students[0], students[1:]
            explorer.locator(LIVE).get_by_role("button", name="Explore on my own").click()
            explorer.locator(".st-key-lesson-bar", has_text="Exploring on your own").wait_for()
            lags = {2: follow_times(teacher, others, 2)}
            explorer.locator(".st-key-lesson-bar", has_text=f"is at {step_text(2)}").wait_for()
            assert "skip=0" not in explorer.url  # it stayed where it was
            wait_for_room(teacher, f"{STUDENTS} in the room, {STUDENTS - 1} following")
            explorer.locator(LIVE).get_by_role("button", name="Back to the class").click()
            explorer.locator(".st-key-lesson-bar", has_text="Following the class").wait_for()
            explorer.wait_for_url(re.compile(r"skip=0"))
            for student in students:
                assert "skip=0" in student.url

            projector = teacher.locator(f'[data-testid="stSidebar"] {LIVE} label', has_text="Projector mode")
            projector.click()  # for the screenshot
            lags[3] = follow_times(teacher, students, 3)  # the question: the page waits for the reveal
            given = ["173824", "173824", "100000", "0"]
            for student, value in zip(students, given, strict=False):
                student.get_by_label("Your answer").fill(value)
                student.get_by_label("Your answer").press("Enter")
                student.locator(LIVE).get_by_role("button", name="Send my answer").click()
                student.locator(".st-key-lesson-bar", has_text="Your answer is in").wait_for()
            assert students[0].get_by_text("The page shows its result once the answer is revealed").count() == 1
            words = "Answers (4): 0: 1 · 100000: 1 · 173824: 2"  # exactly the four answers, no more
            teacher.locator('[data-testid="stCaptionContainer"]', has_text=words).wait_for()
            teacher.locator(".st-key-lesson-bar .js-plotly-plot .barlayer .point").nth(2).wait_for()  # its three bars
            teacher.screenshot(path=str(SHOTS / "class_projector_histogram.png"), full_page=True)
            teacher.locator(LIVE).get_by_role("button", name="Reveal the answer").click()
            measured = projection_parameters()
            for student in students:
                success = student.locator('[data-testid="stAlertContentSuccess"]')
                success.filter(has_text=f"Measured by the explorer: {measured}").wait_for()
            students[0].locator('[data-testid="stMetric"]', has_text="Parameters").wait_for()  # shown now
            students[0].screenshot(path=str(SHOTS / "class_student_following.png"), full_page=True)
            for step, seconds in lags.items():
                print(f"step {step}: students followed in {min(seconds):.2f}-{max(seconds):.2f} s (max over "
                      f"{len(seconds)} pages)")  # fmt: skip
            ready = sorted(READY)
            print(f"the teacher's Next was clickable {statistics.median(ready):.2f} s (p50), {ready[-1]:.2f} s (max) "
                  f"after each of {len(ready)} moves")  # fmt: skip
            assert all(max(seconds) < 15 for seconds in lags.values()), lags  # 2 s is the target: printed above

            moved = [s for s in students if replica_of(s) != kept]
            os.kill(balancer.pids[next(r for r in balancer.pids if r != kept)], signal.SIGKILL)
            started = time.monotonic()
            for student in moved:
                student.locator('[data-testid="stAlertContentInfo"]', has_text="The server this page was on").wait_for()
                student.locator(".st-key-lesson-bar", has_text="Following the class").wait_for()
                student.locator(".st-key-lesson-bar", has_text=step_text(3)).wait_for()
                assert replica_of(student) == kept
            print(f"{len(moved)} students rejoined on replica {kept} in {time.monotonic() - started:.1f} s")
            teacher.locator("h3", has_text="in the room").wait_for()
        browser.close()
