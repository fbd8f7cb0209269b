"""A class through the balancer: two replicas behind nginx, six browsers, and a replica that dies.

``python -m explorer replicas 2`` starts the replicas and nginx. Six browser contexts (six
students, three on each replica) each upload their own image and explain their own class; every
one must see exactly its own results. Then one replica is killed: its students are moved to the
other replica and start fresh with a clear message, while the other students keep their results.
"""

import io
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from explorer.deploy import NGINX
from tests.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.conftest import ROOT
from tests.test_browser import NO_CHROMIUM, SHOTS, WAIT_MS

STUDENTS_PER_REPLICA = 3

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("replicas"),  # one worker: the replicas and the balancer are started once
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=NO_CHROMIUM),
    pytest.mark.skipif(
        not Path(NGINX).exists(), reason="Debian's nginx is not installed (scripts/run_tests.sh installs it)"
    ),
]


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _ports() -> tuple[int, int]:
    """A free port for the balancer and the first of two consecutive free ports for the replicas."""
    for first in range(20_000 + os.getpid() % 20_000, 60_000, 7):
        if _free(first) and _free(first + 1) and _free(first + 2):
            return first + 2, first
    raise RuntimeError("no free ports")


class Balancer:
    """The ``replicas`` command running in the background (``environment``: more variables for it), with what it
    printed."""

    def __init__(self, torch_home: Path, **environment: str) -> None:
        self.port, first = _ports()
        command = [sys.executable, "-m", "explorer", "replicas", "2", "--port", str(self.port), "--address",
                   "127.0.0.1", "--first-port", str(first)]  # fmt: skip
        env = {**os.environ, "TORCH_HOME": str(torch_home), "PYTHONUNBUFFERED": "1", **environment}
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.monotonic() + 240
        while not any(line.startswith("balancer:") for line in self.lines):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the balancer did not start:\n" + "\n".join(self.lines[-40:]))
            time.sleep(0.3)
        self.url = f"http://127.0.0.1:{self.port}"
        self.pids = {
            m.group(1): int(m.group(2)) for line in self.lines if (m := re.match(r"replica (\d+): pid (\d+)", line))
        }

    def _read(self) -> None:
        for raw in self.process.stdout:
            self.lines.append(raw.decode(errors="replace").rstrip())

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="module")
def balancer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Balancer]:
    running = Balancer(tmp_path_factory.mktemp("torch-home"))
    yield running
    running.stop()


def solid_png(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), colour).save(buffer, "PNG")
    return buffer.getvalue()


MEAN_COLOUR = """(img) => {
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
    const context = canvas.getContext('2d');
    context.drawImage(img, 0, 0);
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
    const sums = [0, 0, 0];
    for (let i = 0; i < pixels.length; i += 4) {
        sums[0] += pixels[i]; sums[1] += pixels[i + 1]; sums[2] += pixels[i + 2];
    }
    return sums.map(s => s / (pixels.length / 4));
}"""


class Student:
    """One browser context on the image lab: its replica, its image's colour and its class."""

    def __init__(self, browser: object, url: str) -> None:
        self.context = browser.new_context(viewport={"width": 1400, "height": 1800})
        self.page = self.context.new_page()
        self.page.goto(f"{url}/Image_lab?family=cifar&weights=random")  # ResNet-20: what is tested is the serving
        self.page.wait_for_selector(".st-key-gradcam-strip img", timeout=WAIT_MS)
        caption = self.page.locator('[data-testid="stSidebar"] [data-testid="stCaptionContainer"]', has_text="replica")
        self.replica = re.search(r"replica (\d+)", caption.first.inner_text()).group(1)

    def work(self, index: int, folder: Path) -> None:
        self.colour = (20 + 25 * index, 200 - 20 * index, (90 * index) % 256)
        self.target = index  # one of the ten classes, a different one for each student
        path = folder / f"student{index}.png"
        path.write_bytes(solid_png(self.colour))
        page = self.page
        page.locator('[data-testid="stButtonGroup"] button', has_text="Upload").click()
        page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))
        page.wait_for_selector(f'[data-testid="stFileChipName"]:has-text("student{index}.png")', timeout=WAIT_MS)
        self.check_image()
        page.locator('[data-testid="stSelectbox"]', has_text="Explain class").click()
        page.keyboard.type(f"class {self.target} ")
        page.locator('[role="option"]').first.click()
        self.check_target()

    def check_image(self) -> None:
        picture = self.page.locator('[data-testid="stImage"]', has_text="what the network sees").locator("img")
        self.page.wait_for_function(
            f"""([img, want]) => {{ if (!img.complete || img.naturalWidth === 0) return false;  // not decoded yet
                return ({MEAN_COLOUR})(img).every((v, i) => Math.abs(v - want[i]) < 8); }}""",
            arg=[picture.element_handle(timeout=WAIT_MS), list(self.colour)],
            timeout=WAIT_MS,
        )

    def check_target(self) -> None:
        self.page.locator('[data-testid="stCaptionContainer"]', has_text=f"({self.target}) in ").wait_for(
            timeout=WAIT_MS
        )
        self.page.wait_for_function(  # ResNet-20's nine blocks (a rerun may still be drawing the last of them)
            "() => document.querySelectorAll('.st-key-gradcam-strip img').length === 9", timeout=WAIT_MS
        )


def test_a_class_through_the_balancer_and_a_replica_that_dies(balancer: Balancer, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        students: dict[str, list[Student]] = {"1": [], "2": []}
        for _ in range(40):  # the balancer spreads new browsers at random: open until three are on each replica
            student = Student(browser, balancer.url)
            if len(students[student.replica]) < STUDENTS_PER_REPLICA:
                students[student.replica].append(student)
            else:
                student.context.close()
            if all(len(group) == STUDENTS_PER_REPLICA for group in students.values()):
                break
        assert all(len(group) == STUDENTS_PER_REPLICA for group in students.values()), students
        everyone = [*students["1"], *students["2"]]
        for index, student in enumerate(everyone):
            student.work(index, tmp_path)
        for student in everyone:  # after all six worked at once, each still sees exactly its own results
            student.check_image()
            student.check_target()
        everyone[0].page.screenshot(path=str(SHOTS / "replicas_student.png"), full_page=True)

        os.kill(balancer.pids["1"], signal.SIGKILL)  # replica 1 dies mid-class
        for student in students["1"]:
            moved = student.page.locator('[data-testid="stAlertContentInfo"]', has_text="The server this page was on")
            moved.wait_for(timeout=WAIT_MS)
            assert "replica 2" in moved.inner_text()
            student.page.locator('[data-testid="stAlertContentInfo"]', has_text="Upload an image").wait_for()
            assert student.page.locator(".st-key-gradcam-strip img").count() == 0  # nothing of the old session
        students["1"][0].page.screenshot(path=str(SHOTS / "replicas_moved.png"), full_page=True)
        for student in students["2"]:
            student.check_target()
            assert student.page.locator('[data-testid="stAlertContentInfo"]', has_text="this page was on").count() == 0
        survivor = students["2"][0]
        survivor.target += 1
        survivor.page.locator('[data-testid="stSelectbox"]', has_text="Explain class").click()
        survivor.page.keyboard.type(f"class {survivor.target} ")
        survivor.page.locator('[role="option"]').first.click()
        survivor.check_target()
        browser.close()
