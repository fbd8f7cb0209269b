"""The app in a real browser: Debian's headless Chromium driven by Playwright."""

import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.chromium import CHROMIUM, CHROMIUM_ARGS, LIVE, NAMED, RUN_OVER, free_port
from tests.conftest import ROOT

SHOTS = ROOT / "artifacts" / "screenshots"
NO_CHROMIUM = (
    "Debian's chromium is not at /usr/bin/chromium: scripts/run_tests.sh installs it where it can "
    "(as root or with passwordless sudo), as in CI"
)
WAIT_MS = 120_000  # generous: every wait is for a condition, never a fixed time

pytestmark = [
    pytest.mark.browser,
    # one worker, one server: these tests mostly wait for the page, and the other workers use the cores meanwhile
    pytest.mark.xdist_group("browser"),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=NO_CHROMIUM),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    empty_cache = tmp_path_factory.mktemp("torch-home")  # ImageNet weights are absent, as on a fresh machine
    recordings = tmp_path_factory.mktemp("recordings")  # nothing recorded yet, and the real folder left alone
    process = subprocess.Popen(
        [sys.executable, "-m", "explorer", "serve", "--replicas", "1", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "TORCH_HOME": str(empty_cache),
             "EXPLORER_RECORDINGS": str(recordings)},
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
                raise RuntimeError(f"the app did not start:\n{process.stdout.read().decode()}") from None
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


def wait_until_idle(page: object) -> None:
    """Wait until the app has finished its rerun (Streamlit's running indicator is gone)."""
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=WAIT_MS)


def wait_for_metric(page: object, value: str) -> None:
    page.wait_for_function(
        f"() => [...document.querySelectorAll('[data-testid=stMetricValue]')].some(e => e.innerText === '{value}')",
        timeout=WAIT_MS,
    )


def stop_midway(page: object, progress_text: str) -> tuple[int, int]:
    """Wait for the progress bar showing ``progress_text``, press Stop, and return the steps done and in all as the
    bar last showed them before it went; the caller checks that nothing was kept. (A stop ends a run before its
    last step; how long that takes on a shared machine is not what is tested.)"""
    bar = page.locator('[data-testid="stProgress"]', has_text=progress_text)
    bar.wait_for(timeout=WAIT_MS)
    page.locator('[data-testid="stMainBlockContainer"]').get_by_role("button", name="Stop").click()
    last = ""
    while bar.count():
        try:
            last = bar.first.inner_text(timeout=1_000)
        except PlaywrightError:  # gone between the count and the read
            break
    found = re.search(r"(\d+) of (\d+)", last)
    done, total = (int(found[1]), int(found[2])) if found else (0, 1)
    assert done < total, last
    return done, total


def wait_for_count(page: object, selector: str, count: int) -> None:
    """Wait until exactly ``count`` elements match ``selector`` (a rerun may redraw them a moment later)."""
    page.wait_for_function(
        "([selector, count]) => document.querySelectorAll(selector).length === count", arg=[selector, count],
        timeout=WAIT_MS,
    )  # fmt: skip


def legend_count(text: str) -> str:
    """A JavaScript expression: how many legend entries of the diagram contain ``text``."""
    entries = "[...document.querySelectorAll('.js-plotly-plot .legendtext')]"
    return f"{entries}.filter(e => e.textContent.includes('{text}')).length"


def test_architecture_page_switches_variant_and_goes_plain(server: str, page: object) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{server}/Architecture")
    page.wait_for_selector('[data-testid="stPlotlyChart"] .js-plotly-plot', timeout=WAIT_MS)
    wait_for_metric(page, "50")
    assert metric_value(page, "Parameters") == "25.56M"
    page.wait_for_function(f"() => {legend_count('projection shortcut (dashed)')} === 1", timeout=WAIT_MS)

    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    page.locator('[role="option"]', has_text="resnet18").first.click()
    wait_for_metric(page, "18")
    assert metric_value(page, "Parameters") == "11.69M"
    assert metric_value(page, "MACs at 224×224") == "1.814G"
    wait_until_idle(page)
    page.screenshot(path=str(SHOTS / "architecture_resnet18.png"), full_page=True)

    page.locator('[data-testid="stSidebar"] [data-testid="stCheckbox"]', has_text="Skip connections").click()
    page.wait_for_selector('[data-testid="stAlertContentWarning"]:has-text("plain-18")', timeout=WAIT_MS)
    page.wait_for_function(f"() => {legend_count('shortcut')} === 0", timeout=WAIT_MS)  # the diagram redrawn
    wait_until_idle(page)
    page.screenshot(path=str(SHOTS / "architecture_plain18.png"), full_page=True)


def test_home_page_links_to_architecture(server: str, page: object) -> None:
    page.goto(server)
    page.wait_for_selector('[data-testid="stMainBlockContainer"] [data-testid="stPageLink"]', timeout=WAIT_MS)
    wait_until_idle(page)  # Home's run over: a link clicked during it was lost once under load (suite, 3 workers)
    page.locator('[data-testid="stMainBlockContainer"] [data-testid="stPageLink"]', has_text="Architecture").click()
    page.wait_for_selector('[data-testid="stPlotlyChart"] .js-plotly-plot', timeout=WAIT_MS)
    assert "/Architecture" in page.url


def test_a_chinese_browser_reads_chinese_and_english_is_one_click_away(server: str, browser: object) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1200}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{server}/Architecture")
    page.wait_for_selector('h1:has-text("网络结构")', timeout=WAIT_MS)
    page.wait_for_function("() => document.documentElement.lang === 'zh-CN'", timeout=WAIT_MS)
    assert "lang=zh" in page.url  # a bookmark or a link keeps it
    links = page.locator('[data-testid="stSidebar"] [data-testid="stPageLink"]')
    assert links.first.inner_text().endswith("首页") and links.count() == 11
    wait_until_idle(page)
    page.screenshot(path=str(SHOTS / "architecture_zh.png"))
    links.filter(has_text="梯度实验室").click()  # the choice is the session's: the next page keeps it
    page.wait_for_selector('h1:has-text("梯度实验室")', timeout=WAIT_MS)
    page.wait_for_selector('[data-testid="stPlotlyChart"] .js-plotly-plot', timeout=WAIT_MS)
    page.wait_for_selector('.legendtext:has-text("普通网络")', timeout=WAIT_MS)
    assert "lang=zh" in page.url and page.evaluate("() => document.documentElement.lang") == "zh-CN"
    wait_until_idle(page)
    page.screenshot(path=str(SHOTS / "gradient_lab_zh.png"))
    page.locator('[data-testid="stSidebar"] [data-testid="stRadio"] label', has_text="English").click()
    page.wait_for_selector('h1:has-text("Gradient lab")', timeout=WAIT_MS)
    page.wait_for_function("() => document.documentElement.lang === 'en'", timeout=WAIT_MS)
    page.wait_for_selector('.legendtext:has-text("plain")', timeout=WAIT_MS)
    context.close()


CJK = r"[\u4e00-\u9fff]"


def test_every_page_reads_chinese_in_normal_and_projector_mode(server: str, browser: object) -> None:
    from explorer import language
    from explorer.ui import navigation

    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    with language.speaking(language.CHINESE):
        headings = {title: navigation.heading(title) for title in navigation.ICONS}
    for mode in ("normal", "projector"):
        for title, heading in headings.items():
            path = "" if title == "Home" else title.replace(" ", "_")
            page.goto(f"{server}/{path}?lang=zh" + ("&projector=1" if mode == "projector" else ""))
            page.wait_for_selector(f'h1:has-text("{heading}")', timeout=WAIT_MS)
            page.wait_for_function(RUN_OVER, timeout=WAIT_MS)
            shown = page.locator('[data-testid="stMain"]').inner_text()
            print(f"{mode:9} {title:22} {len(re.findall(CJK, shown)):5} Chinese characters")
            page.wait_for_function("() => document.documentElement.lang === 'zh-CN'", timeout=WAIT_MS)
            assert page.locator('[data-testid="stException"]').count() == 0, title
            assert page.locator('[data-testid="stSidebar"] input[type="checkbox"]').first.is_checked() == (
                mode == "projector"
            ), title
            assert len(re.findall(CJK, shown)) >= 20, (title, shown[:300])  # the page's words, not only its title
            page.screenshot(path=str(SHOTS / f"zh_{mode}_{path or 'Home'}.png"))
    page.goto(f"{server}/Image_lab?lang=zh&source=Upload")  # Streamlit's own words in its widgets, said in Chinese
    button = page.locator('[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"]')
    button.wait_for(timeout=WAIT_MS)
    assert button.evaluate("e => getComputedStyle(e, '::after').content") == '"上传"'
    hint = page.locator('[data-testid="stFileUploaderDropzoneInstructions"]')
    assert not hint.is_visible()  # its English size and types: the label above says both in Chinese
    context.close()
    assert not errors, errors


AXE_RULES = {  # axe-core's WCAG 2.1 A and AA rules and 2.2's target size; a critical or serious violation fails
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
    "resultTypes": ["violations"],
}
VIEWPORTS = {"desktop": {"width": 1400, "height": 900}, "phone": {"width": 390, "height": 844}}
ZOOMED = {"width": 700, "height": 450}  # the desktop at 200 % browser zoom: every length in CSS px doubled
FITS = "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"  # no sideways scroll


def serious_violations(page: object) -> dict[str, list[str]]:
    """axe-core's WCAG 2.1 AA violations that fail (:func:`failing`) on the page: each rule and its elements."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page, options=AXE_RULES).response["violations"]
    return {v["id"]: [" ".join(n["target"][-1:]) for n in v["nodes"]] for v in found if failing(v)}


def failing(violation: dict) -> bool:
    """Whether a violation fails the test: any of impact critical or serious, and headings out of order."""
    return violation["impact"] in ("critical", "serious") or violation["id"] == "heading-order"


def test_every_page_meets_wcag_aa_on_a_desktop_and_a_phone_in_each_language_and_mode(
    server: str, browser: object
) -> None:
    from explorer.ui import navigation

    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    page = context.new_page()
    failures: dict[str, dict[str, list[str]]] = {}
    for title in navigation.ICONS:
        path = "" if title == "Home" else title.replace(" ", "_")
        for language in ("en", "zh"):
            for mode in ("normal", "projector"):
                page.set_viewport_size(VIEWPORTS["desktop"])
                page.goto(f"{server}/{path}?lang={language}" + ("&projector=1" if mode == "projector" else ""))
                page.wait_for_selector("h1", timeout=WAIT_MS)
                page.wait_for_function(RUN_OVER, timeout=WAIT_MS)
                page.wait_for_function(NAMED, timeout=WAIT_MS)
                for viewport, size in [*VIEWPORTS.items(), ("200 %", ZOOMED)]:  # one load, each width: it reflows
                    page.set_viewport_size(size)
                    page.wait_for_function(RUN_OVER, timeout=WAIT_MS)
                    found = serious_violations(page) if viewport in VIEWPORTS else {}
                    try:  # figures follow the new width a moment later
                        page.wait_for_function(FITS, timeout=10_000)
                    except PlaywrightError:
                        wide = page.evaluate("document.documentElement.scrollWidth")
                        found["scrolls sideways (WCAG 1.4.10)"] = [f"{wide} px wide"]
                    print(f"{title:22} {language} {mode:9} {viewport:7} {sum(map(len, found.values()))} violations")
                    if found:
                        failures[f"{title} {language} {mode} {viewport}"] = found
    context.close()
    assert failures == {}


def test_the_default_server_spreads_browsers_over_replicas_and_an_upload_stays_with_its_page(
    browser: object, tmp_path: Path
) -> None:
    # python -m explorer serve with two replicas (the default on CI's two cores), as a school's server would run
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "explorer", "serve", "--replicas", "2", "--server.port", str(port),
         "--server.address", "127.0.0.1"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "TORCH_HOME": str(tmp_path / "torch-home"), "EXPLORER_RECORDINGS": str(tmp_path / "rec")},
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + WAIT_MS / 1000
        while process.poll() is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.read() == b"ok":
                        break
            except OSError:
                time.sleep(0.5)
        first, second = (browser.new_context().new_page() for _ in range(2))
        first.goto(f"{url}/Image_lab")
        first.locator('[data-testid="stButtonGroup"] button', has_text="Upload").click()
        first.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
            str(ROOT / "explorer" / "samples" / "cat.jpg")
        )  # the upload must reach the replica that holds this page's session
        first.wait_for_selector('[data-testid="stCaptionContainer"]:has-text("in cat.jpg")', timeout=WAIT_MS)
        second.goto(url)  # a second browser, while the first one's session is open: the other replica
        second.wait_for_function(RUN_OVER, timeout=WAIT_MS)
        replicas = [
            {c["name"]: c["value"] for c in page.context.cookies()}.get("explorer_replica") for page in (first, second)
        ]
        assert sorted(replicas) == ["0", "1"], replicas  # one each: the first's session is open on its replica
        for page, replica in zip((first, second), replicas, strict=True):  # each page says where it is served
            assert page.locator('[data-testid="stSidebar"]').get_by_text(f"replica {int(replica) + 1}").count() == 1
        first.context.close()
        second.context.close()
    finally:
        process.terminate()  # the balancer stops its replicas
        process.wait(timeout=60)


def test_image_lab_upload_strip_and_csv(server: str, page: object, tmp_path: Path) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{server}/Image_lab")
    page.wait_for_selector(".st-key-gradcam-strip img", timeout=WAIT_MS)
    page.locator('[data-testid="stButtonGroup"] button', has_text="Upload").click()
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        str(ROOT / "explorer" / "samples" / "cat.jpg")
    )
    page.wait_for_selector('[data-testid="stFileChipName"]:has-text("cat.jpg")', timeout=WAIT_MS)
    page.wait_for_selector('[data-testid="stCaptionContainer"]:has-text("in cat.jpg")', timeout=WAIT_MS)
    page.wait_for_function(
        "() => document.querySelectorAll('.st-key-gradcam-strip img').length === 16", timeout=WAIT_MS
    )
    wait_until_idle(page)  # no rerun under way when the download is clicked
    assert page.get_by_text("Random initialisation of ResNet-50").count() >= 1
    with page.expect_download(timeout=WAIT_MS) as download_info:
        page.get_by_text("Download per-block statistics (CSV)").click()
    csv_path = tmp_path / "stats.csv"
    download_info.value.save_as(csv_path)
    header = [line for line in csv_path.read_text().splitlines() if line.startswith("#")]
    assert "# model: ResNet-50" in header and "# image: cat.jpg" in header  # where the numbers come from
    lines = [line for line in csv_path.read_text().strip().splitlines() if not line.startswith("#")]
    assert lines[0].startswith("block,paper_name,shape,residual_norm,shortcut_norm")
    assert len(lines) == 17 and lines[1].startswith("layer1.0,conv2_1,256×56×56")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.st-key-gradcam-strip img')].every(i => i.complete && i.naturalWidth)",
        timeout=WAIT_MS,
    )
    wait_until_idle(page)
    page.screenshot(path=str(SHOTS / "image_lab_cat.png"), full_page=True)


REDRAWS_SEEN = """() => {
    const caption = [...document.querySelectorAll('[data-testid=stCaptionContainer]')]
        .find(e => e.innerText.includes('steps per second'));
    if (!caption) return false;
    window.redrawsSeen = window.redrawsSeen || new Set();
    window.redrawsSeen.add(caption.innerText);
    return window.redrawsSeen.size >= 3;
}"""


def test_gradient_lab_live_run_updates_and_stops(server: str, page: object) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{server}/Gradient_lab")
    page.wait_for_selector('[data-testid="stPlotlyChart"] .js-plotly-plot', timeout=WAIT_MS)
    wait_until_idle(page)
    page.get_by_role("button", name="Train 300 steps").click()
    page.wait_for_function(REDRAWS_SEEN, timeout=WAIT_MS, polling=50)  # the live view was redrawn twice
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot .heatmaplayer').length >= 2")
    page.locator('[data-testid="stMainBlockContainer"]').get_by_role("button", name="Stop").click()
    stopped = page.locator('[data-testid="stCaptionContainer"]', has_text="Recorded run (stopped at step")
    stopped.wait_for(timeout=WAIT_MS)
    step = int(stopped.inner_text().split("step ")[1].split(" ")[0])
    assert 1 <= step < 300
    wait_until_idle(page)
    page.screenshot(path=str(SHOTS / "gradient_lab_stopped.png"), full_page=True)


PAGE_DONE = "() => !document.querySelector('[data-testid=stStatusWidget]')"


def tick_labels(page: object, chart_index: int, axis: str = "y") -> list[str]:
    """The tick labels of one plotly chart's axis, as the page shows them."""
    return page.eval_on_selector_all(
        ".js-plotly-plot",
        f"(plots, i) => [...plots[i].querySelectorAll('.{axis}tick text')].map(t => t.textContent)",
        chart_index,
    )


def test_architecture_keeps_its_settings_in_the_address_and_compares_after_a_family_switch(
    server: str, page: object
) -> None:
    page.goto(f"{server}/Architecture")
    page.wait_for_selector('[data-testid="stPlotlyChart"] .js-plotly-plot', timeout=WAIT_MS)
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    page.locator('[role="option"]', has_text="resnet34").first.click()
    wait_for_metric(page, "34")
    page.locator('[data-testid="stSidebar"] [data-testid="stCheckbox"]', has_text="Skip connections").click()
    page.wait_for_selector('[data-testid="stAlertContentWarning"]:has-text("plain-34")', timeout=WAIT_MS)
    wait_until_idle(page)
    assert "imagenet_model=resnet34" in page.url and "skip=0" in page.url
    page.reload()  # F5: a new session, the same page
    page.wait_for_selector('[data-testid="stAlertContentWarning"]:has-text("plain-34")', timeout=WAIT_MS)
    wait_for_metric(page, "34")
    page.locator('[data-testid="stSidebar"] label', has_text="CIFAR-10").click()
    page.locator('[data-testid="stMultiSelect"]', has_text="cifar_resnet110").wait_for(timeout=WAIT_MS)
    wait_until_idle(page)
    comparison = page.locator("[data-testid=stTable]", has_text="plain-110 (CIFAR)")
    comparison.locator("tr").nth(5).wait_for(timeout=WAIT_MS)  # the comparison is there, not empty
    page.wait_for_function(f"() => {legend_count('BN → ReLU')} === 1", timeout=WAIT_MS)  # the diagram's legend


def test_image_lab_figures_read_on_a_projector(server: str, page: object) -> None:
    page.goto(f"{server}/Image_lab")
    page.wait_for_selector(".st-key-gradcam-strip img", timeout=WAIT_MS)
    page.wait_for_function(PAGE_DONE, timeout=WAIT_MS)
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 3", timeout=WAIT_MS)
    assert page.locator('[data-testid="stImage"] img').count() >= 18  # the colour legend beside the strip
    labels = tick_labels(page, 0)  # the branch ratios: decades only
    assert labels and all(text.startswith("10") or text == "1" for text in labels), labels
    cell = page.eval_on_selector_all(
        ".js-plotly-plot",
        "plots => { const r = plots[1].querySelector('.heatmaplayer image, .hm image, .heatmaplayer').getBBox();"
        " return [r.width, r.height]; }",
    )
    assert abs(cell[0] - cell[1]) <= 2, cell  # a square map stays square


def test_a_long_computation_stops_before_its_last_step(server: str, page: object) -> None:
    page.goto(f"{server}/Image_lab")
    page.wait_for_selector(".st-key-gradcam-strip img", timeout=WAIT_MS)
    page.wait_for_function(PAGE_DONE, timeout=WAIT_MS)
    page.locator('[data-testid="stExpander"] summary', has_text="More attribution methods").click()
    option = page.locator('[data-testid="stExpander"] [data-testid="stRadio"] label', has_text="Occlusion")
    option.wait_for(timeout=WAIT_MS)
    option.click()
    page.get_by_role("button", name="Compute Occlusion").click(timeout=WAIT_MS)
    stop_midway(page, "Occlusion:")
    assert page.locator('[data-testid="stImage"]', has_text="Occlusion for").count() == 0


def test_gradient_lab_opens_on_the_vanishing_picture_in_decades_and_keeps_its_settings(
    server: str, page: object
) -> None:
    page.goto(f"{server}/Gradient_lab")
    page.wait_for_selector('[data-testid="stPlotlyChart"] .js-plotly-plot', timeout=WAIT_MS)
    wait_until_idle(page)
    assert page.get_by_text("The classic picture").count() == 1
    labels = tick_labels(page, 0)
    assert labels and all(text.startswith("10") or text == "1" for text in labels), labels
    assert page.locator(".js-plotly-plot .legendtext", has_text="residual").count() >= 1
    page.locator('[data-testid="stSelectbox"]', has_text="Classroom preset").click()
    page.locator('[role="option"]', has_text="the paper").first.click()
    page.get_by_text("(Yang et al. 2019)").first.wait_for(timeout=WAIT_MS)
    assert "g.preset=" in page.url
    page.reload()
    page.wait_for_selector('[data-testid="stPlotlyChart"] .js-plotly-plot', timeout=WAIT_MS)
    page.get_by_text("He et al.'s setting").first.wait_for(timeout=WAIT_MS)  # the preset survived the reload


def test_shapes_scores_show_progress_and_legend(server: str, page: object) -> None:
    page.goto(f"{server}/Shapes_dataset")
    page.wait_for_selector('[data-testid="stPlotlyChart"] .js-plotly-plot', timeout=WAIT_MS)
    wait_until_idle(page)
    assert page.locator(".js-plotly-plot .legendtext", has_text="pointing game").count() == 2
    assert page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').count() == 0  # no picker here


def test_lesions_page_deletes_a_block_stops_a_curve_and_shows_the_paths(server: str, page: object) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{server}/Lesions_and_paths?lesion_nets=shapes-20&draws=1&path_samples=4")
    wait_for_metric(page, "0.2%")  # ResNet-20 intact
    before = metric_value(page, "plain-20 test error")
    page.locator('[data-testid="stMultiSelect"]', has_text="Blocks to delete").click()
    page.locator('[role="option"]', has_text="conv3_2").first.click()
    page.keyboard.press("Escape")
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=stMetricDelta]')].length == 2", timeout=WAIT_MS
    )
    wait_until_idle(page)
    assert metric_value(page, "ResNet-20 test error") != "0.2%" and metric_value(page, "plain-20 test error") != before
    assert page.locator('[data-testid="stImage"]').count() == 8
    page.locator(LIVE).get_by_role("button", name="Compute the curve").click()
    stop_midway(page, "Evaluating lesioned nets:")
    wait_until_idle(page)  # the run the Stop started has drawn the page: a click meanwhile can be lost (CI run 20)
    page.locator(LIVE).get_by_role("button", name="Measure 4 random paths of every length").click()
    page.get_by_text("Paths of length ≤").first.wait_for(timeout=WAIT_MS)
    wait_until_idle(page)
    assert (
        page.locator('[data-testid="stPlotlyChart"]').count() == 3
    )  # the block diagram, the path shares, the path gradients
    titles = page.eval_on_selector_all(".modebar-btn", "buttons => buttons.map(b => b.getAttribute('data-title'))")
    assert titles.count("Download plot as a PNG") == 2, titles  # each figure can be saved as PNG
    page.screenshot(path=str(SHOTS / "lesions_and_paths.png"), full_page=True)


def test_loss_landscape_announces_its_cost_draws_the_line_and_stops_the_plane(server: str, page: object) -> None:
    page.goto(f"{server}/Loss_landscape?landscape_nets=shapes-20&landscape_images=128")
    page.get_by_text("One loss of one net takes").first.wait_for(timeout=WAIT_MS)
    page.get_by_role("button", name="Compute the line").click()
    page.get_by_text("at the trained weights").first.wait_for(timeout=WAIT_MS)
    page.locator(".js-plotly-plot .legendtext", has_text="plain-20").wait_for(timeout=WAIT_MS)  # drawn, both nets
    wait_until_idle(page)
    page.get_by_role("button", name="Compute the plane").click()
    stop_midway(page, "Computing the plane:")
    wait_until_idle(page)
    assert page.locator(LIVE).get_by_role("button", name="Compute the plane").count() == 1  # stopped: offered again


def test_receptive_fields_draws_the_theory_stops_a_measurement_and_draws_the_fields(server: str, page: object) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{server}/Receptive_fields?receptive_nets=untrained-110")
    page.get_by_text("theoretical field of 427×427 pixels").first.wait_for(timeout=WAIT_MS)  # ResNet-50, at once
    page.get_by_role("button", name="Measure the effective fields").click()
    stop_midway(page, "Measuring block by block:")
    page.goto(f"{server}/Receptive_fields?receptive_nets=shapes-20")
    page.get_by_role("button", name="Measure the effective fields").click()
    page.get_by_text("The effective field of ResNet-20 is smaller").first.wait_for(timeout=WAIT_MS)
    page.locator(".js-plotly-plot .legendtext", has_text="plain-20").first.wait_for(timeout=WAIT_MS)
    wait_until_idle(page)
    wait_for_count(page, '[data-testid="stImage"]', 6)  # the last block of 3 stages, both nets
    assert page.locator('[data-testid="stPlotlyChart"]').count() == 2
    page.screenshot(path=str(SHOTS / "receptive_fields.png"), full_page=True)


def test_variants_side_by_side_aligns_the_stages_of_two_families(server: str, page: object) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{server}/Variants_side_by_side")
    page.get_by_text("Latency: the median of 5 forward passes").wait_for(timeout=WAIT_MS)
    wait_for_count(page, '[data-testid="stImage"]', 2 * 3)  # the Shapes pair: 3 stages each
    page.locator('[data-testid="stMultiSelect"]', has_text="Variants (2 to 4)").click()
    page.locator('[role="option"]', has_text="ResNet-18 · ImageNet").first.click()
    page.keyboard.press("Escape")
    page.get_by_text("No ImageNet weights in the local cache for ResNet-18").wait_for(timeout=WAIT_MS)
    page.get_by_text("conv5_x", exact=True).wait_for(timeout=WAIT_MS)
    wait_until_idle(page)
    wait_for_count(page, '[data-testid="stImage"]', 2 * 3 + 4)  # and ResNet-18's four stages
    assert page.locator('[data-testid="stTable"] tr').count() == 1 + 3
    page.screenshot(path=str(SHOTS / "variants_side_by_side.png"), full_page=True)


def test_transfer_learning_draws_live_curves_stops_and_shows_every_run(server: str, page: object) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{server}/Transfer_learning?epochs=2&transfer_images=100")  # 3 batches an epoch: a stop comes midway
    page.get_by_text("normalised channel by channel with the ImageNet mean").wait_for(timeout=WAIT_MS)
    page.get_by_role("button", name="Fine-tune 6 runs").click()
    page.locator(".js-plotly-plot").first.wait_for(timeout=WAIT_MS)  # the live curves, after the first epoch
    stop_midway(page, "Fine-tuning:")
    wait_until_idle(page)
    assert page.locator(LIVE).get_by_role("button", name="Fine-tune 6 runs").count() == 1  # stopped: offered again
    page.locator(LIVE).get_by_role("button", name="Fine-tune 6 runs").click()
    page.get_by_text("Best on the held-out images").wait_for(timeout=4 * WAIT_MS)
    page.get_by_text("Fine-tuned weights of").wait_for(timeout=WAIT_MS)  # the last part of the page
    wait_until_idle(page)
    assert page.locator('[data-testid="stTable"] tr').count() == 1 + 6
    assert page.locator('[data-testid="stPlotlyChart"]').count() == 2
    wait_for_count(page, '[data-testid="stImage"]', 8 + 6 * 8)  # the samples; before/after of 4, per run
    page.screenshot(path=str(SHOTS / "transfer_learning.png"), full_page=True)


def test_clicking_a_block_in_the_lesion_diagram_deletes_it_and_a_second_click_brings_it_back(
    server: str, page: object
) -> None:
    page.goto(f"{server}/Lesions_and_paths?lesion_nets=shapes-20")
    wait_for_metric(page, "0.2%")  # ResNet-20 intact
    diagram = page.locator(".js-plotly-plot").first
    diagram.wait_for(timeout=WAIT_MS)
    wait_until_idle(page)

    def click_block(index: int) -> None:  # the transparent square markers that carry each block's index (9 of them)
        traces = page.locator(".js-plotly-plot").first.locator(".scatterlayer .trace")
        blocks = next(t for t in reversed(traces.all()) if t.locator(".point").count() == 9)
        box = blocks.locator(".point").nth(index).bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)

    click_block(4)  # conv3_2
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=stMetricDelta]')].length == 2", timeout=WAIT_MS
    )
    wait_until_idle(page)
    assert page.locator('[data-testid="stMultiSelect"]', has_text="conv3_2").count() == 1  # the list follows
    assert metric_value(page, "ResNet-20 test error") != "0.2%"
    page.screenshot(path=str(SHOTS / "lesions_diagram_click.png"), full_page=False)
    click_block(4)
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=stMetricDelta]')].length == 0", timeout=WAIT_MS
    )
    wait_for_metric(page, "0.2%")


def test_a_class_link_with_markdown_or_html_is_shown_literally_and_fetches_nothing_outside(
    server: str, page: object
) -> None:
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    for room in ("[Log in](//ev.il/x)", "![](//ev.il/p.png)", "<img src=//ev.il/p.png>"):
        page.goto(f"{server}/Class?room={urllib.parse.quote(room)}")
        message = page.locator('[data-testid="stAlertContentError"]', has_text="is not a room code")
        message.wait_for(timeout=WAIT_MS)
        assert room[:15] in message.inner_text()  # the characters themselves, as typed
        assert page.locator('a[href*="ev.il"], img[src*="ev.il"]').count() == 0
    outside = [url for url in asked if not url.startswith((server, "data:", "blob:"))]
    assert not outside, outside


def on_step_page(page: object, title: str) -> None:
    """Wait until ``page`` shows the page ``title`` that a lesson step opened. Not until its address changes:
    Streamlit sends a switched page's address first and runs the page a moment later, and a click meanwhile lands
    on the old page's bar (its "Next →" too) and is lost (CI-style run 21: the teacher's Next, then no step 2 in
    120 s)."""
    page.locator(LIVE).locator("h1", has_text=title).wait_for()
    page.locator(".st-key-lesson-bar").locator(LIVE).get_by_role("button", name="Next →").wait_for()


def start_a_class(teacher: object, title: str) -> None:
    """On the Class page: pick the lesson ``title``, wait until the page has drawn it (the click on "Start a class"
    otherwise meets the run the pick started, and was lost once in a loaded run), and start a class of it."""
    teacher.locator('[data-testid="stSelectbox"]', has_text="Lesson").click()
    teacher.locator('[role="option"]', has_text=title).click()
    teacher.locator(LIVE).locator('[data-testid="stCaptionContainer"]', has_text=f"{title} ·").wait_for()
    teacher.locator(LIVE).get_by_role("button", name="Start a class").click()


FOCUSED = """() => {
    const e = document.activeElement;
    if (!e || e === document.body) return '';
    const name = e.getAttribute('aria-label') || (e.labels && e.labels[0] && e.labels[0].innerText) || e.innerText;
    const kind = e.getAttribute('role') || (e.tagName === 'INPUT' ? e.type : e.tagName.toLowerCase());
    return `${kind} ${(name || '').trim().split('\\n')[0]}`;
}"""
# How an element and its three nearest ancestors are drawn: a focus ring may be any of these on any of them.
DRAWN = """(e) => {
    const looks = [];
    for (let i = 0; e && i < 4; e = e.parentElement, i++) {
        const s = getComputedStyle(e);
        looks.push([s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow, s.borderColor].join(' '));
    }
    return looks.join(' / ');
}"""


def tab_to(page: object, wanted: str, unseen: set[str], most: int = 80) -> None:
    """Press Tab until the focused element's role and name start with ``wanted`` (``button Join``). The focus must
    be visible on every element it passes: each must look different focused than without the focus (blurred for a
    moment, then focused again as the Tab key left it); those that do not are added to ``unseen``."""
    passed = []
    for _ in range(most):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        passed.append(focused)
        if not focused:
            continue
        element = page.evaluate_handle("document.activeElement")
        looks_focused = element.evaluate(DRAWN)
        element.evaluate("(e) => e.blur()")
        looks_blurred = element.evaluate(DRAWN)
        element.evaluate("(e) => e.focus()")  # after a key press: :focus-visible, as the Tab key left it
        if not element.evaluate("(e) => e.isConnected"):
            continue  # redrawn meanwhile (a rerun of the page or of the lesson bar): the next Tab goes on from there
        if looks_blurred == looks_focused:
            unseen.add(focused)
        if focused.startswith(wanted) and page.evaluate(FOCUSED) == focused:
            return
    raise AssertionError(f"{most} presses of Tab never reached {wanted!r}, only {sorted(set(passed))}")


def test_a_student_joins_follows_breaks_away_comes_back_and_answers_with_the_keyboard_alone(
    server: str, browser: object
) -> None:
    teacher, student = (browser.new_context(viewport={"width": 1400, "height": 1500}).new_page() for _ in range(2))
    for page in (teacher, student):
        page.context.set_default_timeout(WAIT_MS)
    teacher.goto(f"{server}/Class")
    start_a_class(teacher, "Vanishing gradients in ten minutes")
    code = re.search(r"Class code ([A-Z0-9]{4}-[A-Z0-9]{4})", teacher.locator("h3", has_text="Class code").inner_text())
    unseen: set[str] = set()  # elements whose focus cannot be seen

    student.goto(f"{server}/Class")  # from here on the student uses the keyboard only
    # A focus ring drawn by a transition (the text box's border) is read at its end state, not part-way (a CI run
    # read the class code box's border before its 0.2 s transition had moved, and saw no focus)
    student.add_style_tag(content="*, *::before, *::after { transition: none !important; }")
    student.wait_for_function(RUN_OVER)
    tab_to(student, "text Class code", unseen)
    student.keyboard.type(code.group(1))
    student.keyboard.press("Enter")
    student.wait_for_function(RUN_OVER)
    tab_to(student, "button Join", unseen)
    student.keyboard.press("Enter")
    student.locator(".st-key-lesson-bar", has_text="Following the class").wait_for()

    teacher.locator(LIVE).get_by_role("button", name="Open step 1 (Gradient lab)").click()
    bar = student.locator(".st-key-lesson-bar", has_text="step 1 of")
    bar.get_by_text("Your answer").wait_for()
    student.wait_for_function(RUN_OVER)
    tab_to(student, "radio plain", unseen)
    student.keyboard.press("ArrowRight")  # the next choice: residual
    student.wait_for_function(RUN_OVER)
    tab_to(student, "button Send my answer", unseen)
    student.keyboard.press("Enter")
    bar.get_by_text("Your answer is in: residual").wait_for()

    tab_to(student, "button Explore on my own", unseen)
    student.keyboard.press("Enter")
    tab_to(student, "button Back to the class", unseen)
    student.keyboard.press(" ")
    student.locator(".st-key-lesson-bar", has_text="Following the class").wait_for()
    teacher.locator('[data-testid="stCaptionContainer"]', has_text="Answers (1)").wait_for()
    assert unseen == set(), f"focus not visible on {sorted(unseen)}"
    teacher.context.close()
    student.context.close()


def test_a_student_following_on_a_phone_sees_the_steps_figure_on_the_first_screen(server: str, browser: object) -> None:
    teacher = browser.new_context(viewport={"width": 1400, "height": 1500}).new_page()
    phone = browser.new_context(viewport=VIEWPORTS["phone"], is_mobile=True, has_touch=True).new_page()
    for page in (teacher, phone):
        page.context.set_default_timeout(WAIT_MS)
    teacher.goto(f"{server}/Class")
    start_a_class(teacher, "Table 1 and the shortcut")
    code = re.search(r"Class code ([A-Z0-9]{4}-[A-Z0-9]{4})", teacher.locator("h3", has_text="Class code").inner_text())
    phone.goto(f"{server}/Class?room={code.group(1)}")
    phone.locator(".st-key-lesson-bar", has_text="Following the class").wait_for()
    teacher.locator(LIVE).get_by_role("button", name="Open step 1 (Architecture)").click()
    phone.locator(".st-key-lesson-bar", has_text="step 1 of").wait_for()
    figure = phone.locator(".st-key-diagram .js-plotly-plot")  # the step's figure: the block diagram
    figure.wait_for()
    phone.wait_for_function(RUN_OVER)
    settings = phone.locator('[class*="st-key-widget-"]', has_text="Block details")  # a setting below the figure
    assert settings.count() == 1 and settings.is_hidden()  # on the page, folded away while the student follows
    top = figure.evaluate("(e) => e.getBoundingClientRect().top + window.scrollY")
    SHOTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(SHOTS / "phone_following_a_step.png"))
    bar = phone.locator(".st-key-lesson-bar").evaluate("(e) => e.getBoundingClientRect().top + window.scrollY")
    assert bar < top < VIEWPORTS["phone"]["height"], f"the lesson bar at {bar:.0f} px, the step's figure at {top:.0f}"
    phone.locator(LIVE).get_by_role("button", name="Explore on my own").tap()
    settings.wait_for(state="visible")  # exploring alone: the page's settings are back
    phone.locator(LIVE).get_by_role("button", name="Back to the class").tap()
    phone.locator(".st-key-lesson-bar", has_text="Following the class").wait_for()
    on_step_page(teacher, "Architecture")
    for step in (2, 3):  # to the step with a question: the phone shows it first, then the revealed answer
        bar = teacher.locator(".st-key-lesson-bar", has_text=f"step {step - 1} of")
        bar.locator(LIVE).get_by_role("button", name="Next →").click()
        phone.locator(".st-key-lesson-bar", has_text=f"step {step} of").wait_for()
    answer = phone.locator(".st-key-lesson-bar").locator(LIVE).get_by_label("Your answer")
    answer.fill("173824")
    answer.press("Enter")
    phone.locator(LIVE).get_by_role("button", name="Send my answer").tap()
    phone.locator(".st-key-lesson-bar", has_text="Your answer is in").wait_for()
    phone.wait_for_function(RUN_OVER)
    phone.screenshot(path=str(SHOTS / "phone_question.png"))
    teacher.locator(LIVE).get_by_role("button", name="Reveal the answer").click()
    phone.locator(".st-key-lesson-bar", has_text="Measured by the explorer").wait_for()
    phone.wait_for_function(RUN_OVER)
    phone.screenshot(path=str(SHOTS / "phone_revealed.png"))
    teacher.context.close()
    phone.context.close()


def test_a_student_who_reloads_is_one_member_with_one_answer(server: str, browser: object) -> None:
    pages = []
    for _ in range(2):  # the teacher's browser and a student's phone
        context = browser.new_context(viewport={"width": 1400, "height": 1500})
        context.set_default_timeout(WAIT_MS)
        pages.append(context.new_page())
    teacher, phone = pages
    teacher.goto(f"{server}/Class")
    start_a_class(teacher, "Table 1 and the shortcut")
    heading = teacher.locator("h3", has_text="Class code")
    code = re.search(r"Class code ([A-Z0-9]{4}-[A-Z0-9]{4})", heading.inner_text()).group(1)
    phone.goto(f"{server}/Class?room={code}")
    phone.locator(".st-key-lesson-bar", has_text="Following the class").wait_for()
    teacher.locator(LIVE).get_by_role("button", name="Open step 1 (Architecture)").click()
    on_step_page(teacher, "Architecture")  # not the Class page's bar, which says "step 1 of" too
    for step in (2, 3):  # to the step with a question
        bar = teacher.locator(".st-key-lesson-bar", has_text=f"step {step - 1} of")
        bar.locator(LIVE).get_by_role("button", name="Next →").click()
        teacher.locator(".st-key-lesson-bar", has_text=f"step {step} of").wait_for()
    for attempt in range(2):  # the answer, then the same phone reloaded answering again
        answer = phone.locator(".st-key-lesson-bar", has_text="step 3 of").locator(LIVE).get_by_label("Your answer")
        answer.fill("173824")
        answer.press("Enter")
        phone.locator(LIVE).get_by_role("button", name="Send my answer").click()
        if attempt == 0:
            phone.locator(".st-key-lesson-bar", has_text="Your answer is in").wait_for()
            assert [c["name"] for c in phone.context.cookies()].count("explorer_browser") == 1
            phone.reload()
    phone.locator(".st-key-lesson-bar", has_text="Your answer is in: sent earlier from this browser").wait_for()
    teacher.locator('[data-testid="stCaptionContainer"]', has_text="Answers (1): 173824: 1").wait_for()
    teacher.locator("h3", has_text="1 in the room").wait_for()  # not 2: the reloaded phone is the same member
    teacher.context.close()
    phone.context.close()
