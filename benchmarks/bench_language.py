"""What a page costs in Chinese beside English: open → the page's run is over, in a real browser.

One ``python -m explorer serve`` and Debian's headless Chromium. Every page is opened once in each language to
warm up (the shared models and results are computed then, once for both languages), then ``--rounds`` times in
English and in Chinese, alternating, each a fresh session (a new page load): the time from asking for the address to
the app saying its script run is over (``stApp``'s script state ``notRunning``), the page drawn in the browser. The
page's computation is shared, so what differs between the two languages is the page's own run: the translation
layer, the Chinese texts and their drawing. Prints per page the median of each language and their ratio, and the
ratio of the sums.
Usage: python benchmarks/bench_language.py [--rounds 5] [--pages Architecture Gradient_lab ...]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.chromium import CHROMIUM, CHROMIUM_ARGS, RUN_OVER, free_port  # noqa: E402

PAGES = ("", "Architecture", "Image_lab", "Shapes_dataset", "Gradient_lab", "Lesions_and_paths", "Loss_landscape",
         "Receptive_fields", "Variants_side_by_side", "Transfer_learning", "Class")  # fmt: skip
WAIT_MS = 300_000


def start_server() -> tuple[subprocess.Popen, str]:
    """A fresh ``serve`` on a free port, and its address once healthy."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "explorer", "serve", "--replicas", "1", "--server.headless", "true",
         "--server.address", "127.0.0.1",
         "--server.port", str(port), "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return process, url
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise SystemExit("the app did not start")


def opened(page: object, url: str) -> float:
    """Seconds from asking for ``url`` to the app's run being over, with the page's title drawn."""
    began = time.perf_counter()
    page.goto(url)
    page.wait_for_selector("h1", timeout=WAIT_MS)
    page.wait_for_function(RUN_OVER, timeout=WAIT_MS)
    return time.perf_counter() - began


def main() -> None:
    """Measure, then print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pages", nargs="+", default=list(PAGES), help="page paths ('' is Home)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    process, server = start_server()
    times: dict[tuple[str, str], list[float]] = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            for path in args.pages:  # warm: shared results computed, once for both languages
                for lang in ("en", "zh"):
                    opened(page, f"{server}/{path}?lang={lang}")
            for _ in range(args.rounds):
                for path in args.pages:
                    for lang in ("en", "zh"):
                        times.setdefault((path, lang), []).append(opened(page, f"{server}/{path}?lang={lang}"))
            browser.close()
    finally:
        process.terminate()
    print(f"{'page':24} {'English s':>10} {'中文 s':>9} {'zh/en':>7}   (median of {args.rounds} fresh sessions each)")
    sums = {"en": 0.0, "zh": 0.0}
    for path in args.pages:
        median = {lang: statistics.median(times[(path, lang)]) for lang in ("en", "zh")}
        for lang in sums:
            sums[lang] += median[lang]
        print(f"{path or 'Home':24} {median['en']:10.3f} {median['zh']:9.3f} {median['zh'] / median['en']:7.3f}")
    print(f"{'all pages':24} {sums['en']:10.3f} {sums['zh']:9.3f} {sums['zh'] / sums['en']:7.3f}")


if __name__ == "__main__":
    main()
