"""The app in a real browser: Debian's headless Chromium driven by Playwright."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = ROOT / "artifacts" / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    empty_cache = tmp_path_factory.mktemp("torch-home")  # ImageNet weights are absent, as on a fresh machine
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "Home.py", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "TORCH_HOME": str(empty_cache)},
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"streamlit did not start:\n{process.stdout.read().decode()}") from None
            time.sleep(0.5)
    yield url
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1400, "height": 2400}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, errors


def metric_value(page: object, label: str) -> str:
    metric = page.locator('[data-testid="stMetric"]', has_text=label)
    return metric.locator('[data-testid="stMetricValue"]').inner_text()


def test_architecture_page_switches_variant_and_goes_plain(server: str, page: object) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{server}/Architecture")
    page.wait_for_selector('[data-testid="stPlotlyChart"] .js-plotly-plot', timeout=60_000)
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=stMetricValue]')].some(e => e.innerText === '50')",
        timeout=60_000,
    )
    assert metric_value(page, "Parameters") == "25.56M"
    assert page.locator(".js-plotly-plot .legendtext", has_text="projection shortcut (dashed)").count() == 1

    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    page.locator('[role="option"]', has_text="resnet18").first.click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=stMetricValue]')].some(e => e.innerText === '18')",
        timeout=60_000,
    )
    assert metric_value(page, "Parameters") == "11.69M"
    assert metric_value(page, "MACs at 224×224") == "1.814G"
    page.wait_for_timeout(1000)
    page.screenshot(path=str(SHOTS / "architecture_resnet18.png"), full_page=True)

    page.locator('[data-testid="stSidebar"] [data-testid="stCheckbox"]', has_text="Skip connections").click()
    page.wait_for_selector('[data-testid="stAlertContentWarning"]:has-text("plain-18")', timeout=60_000)
    page.wait_for_timeout(1000)
    assert page.locator(".js-plotly-plot .legendtext", has_text="shortcut").count() == 0
    page.screenshot(path=str(SHOTS / "architecture_plain18.png"), full_page=True)


def test_home_page_links_to_architecture(server: str, page: object) -> None:
    page.goto(server)
    page.wait_for_selector('[data-testid="stPageLink"]', timeout=60_000)
    page.locator('[data-testid="stPageLink"]', has_text="Architecture").click()
    page.wait_for_selector('[data-testid="stPlotlyChart"] .js-plotly-plot', timeout=60_000)
    assert "/Architecture" in page.url


def test_image_lab_upload_strip_and_csv(server: str, page: object, tmp_path: Path) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{server}/Image_lab")
    page.wait_for_selector(".st-key-gradcam-strip img", timeout=90_000)
    page.locator('[data-testid="stButtonGroup"] button', has_text="Upload").click()
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        str(ROOT / "explorer" / "samples" / "cat.jpg")
    )
    page.wait_for_selector('[data-testid="stFileChipName"]:has-text("cat.jpg")', timeout=60_000)
    page.wait_for_function(
        "() => document.querySelectorAll('.st-key-gradcam-strip img').length === 16"
        " && !document.querySelector('[data-testid=stStatusWidget]')",
        timeout=120_000,
    )
    assert page.get_by_text("Random initialisation of ResNet-50").count() >= 1
    with page.expect_download(timeout=60_000) as download_info:
        page.get_by_text("Download per-block statistics (CSV)").click()
    csv_path = tmp_path / "stats.csv"
    download_info.value.save_as(csv_path)
    lines = csv_path.read_text().strip().splitlines()
    assert lines[0].startswith("block,paper_name,shape,residual_norm,shortcut_norm")
    assert len(lines) == 17 and lines[1].startswith("layer1.0,conv2_1,256×56×56")
    page.wait_for_timeout(1500)
    page.screenshot(path=str(SHOTS / "image_lab_cat.png"), full_page=True)


def test_gradient_lab_live_run_updates_and_stops(server: str, page: object) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{server}/Gradient_lab")
    page.wait_for_selector('[data-testid="stPlotlyChart"] .js-plotly-plot', timeout=90_000)
    page.get_by_role("button", name="Train 300 steps").click()
    progress = page.locator('[data-testid="stCaptionContainer"]', has_text="steps per second")
    progress.first.wait_for(timeout=60_000)
    seen = {progress.first.inner_text()}
    for _ in range(100):
        page.wait_for_timeout(150)
        if progress.count():
            seen.add(progress.first.inner_text())
        if len(seen) >= 3:
            break
    assert len(seen) >= 3, seen  # the live view was redrawn at least twice after the first frame
    heat_before = page.locator(".js-plotly-plot .heatmaplayer").count()
    assert heat_before >= 2
    page.get_by_role("button", name="Stop training").click()
    stopped = page.locator('[data-testid="stCaptionContainer"]', has_text="Recorded run (stopped at step")
    stopped.wait_for(timeout=60_000)
    step = int(stopped.inner_text().split("step ")[1].split(" ")[0])
    assert 1 <= step < 300
    page.wait_for_timeout(1000)
    page.screenshot(path=str(SHOTS / "gradient_lab_stopped.png"), full_page=True)
