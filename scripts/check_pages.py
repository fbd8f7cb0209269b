"""Open pages of a running explorer in Debian's headless Chromium and check that each draws its picture.

Used by scripts/check_image.sh against the app inside the built image; works against any running app.
Usage: .venv/bin/python scripts/check_pages.py URL [--shots FOLDER]
Prints one line per page (its time to the picture) and exits 1 if a page shows an error or no picture.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

PAGES = (  # (path with its settings in the address, what shows when the page has drawn)
    ("/Architecture?imagenet_model=resnet18", ".js-plotly-plot"),
    ("/Image_lab", ".st-key-gradcam-strip img"),
)


def check(url: str, shots: Path) -> bool:
    """Load every page of PAGES from ``url``; print what each showed; True when all drew without an error."""
    from playwright.sync_api import Error, sync_playwright

    shots.mkdir(parents=True, exist_ok=True)
    passed = True
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1200})
        for path, drawn in PAGES:
            started = time.monotonic()
            try:
                page.goto(url + path)
                page.wait_for_selector(drawn, timeout=180_000)
                errors = page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').count()
            except Error as failure:
                print(f"FAIL {path}: {str(failure).splitlines()[0]}")
                passed = False
                continue
            name = path.strip("/").split("?")[0].lower()
            page.screenshot(path=str(shots / f"{name}.png"))
            title = page.title()
            status = "ok  " if errors == 0 else "FAIL"
            passed &= errors == 0
            print(f"{status} {path}: '{title}' drawn in {time.monotonic() - started:.1f} s, {errors} errors shown")
        browser.close()
    return passed


def main() -> int:
    """Parse the command line and check the pages."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--shots", type=Path, default=ROOT / "artifacts" / "image-check")
    args = parser.parse_args()
    return 0 if check(args.url.rstrip("/"), args.shots) else 1


if __name__ == "__main__":
    sys.exit(main())
