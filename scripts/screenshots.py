"""Take the README's screenshots, or every page in both modes at both widths for a look before a release.

Starts the app as run_app.sh does, with an empty torchvision cache (as on a fresh machine), and drives
Debian's headless Chromium. By default it writes the README's shots (1400 px wide) to docs/screenshots/.
Usage: .venv/bin/python scripts/screenshots.py [--all] [--phone] [--folder F] [--height H] [--only PAGE ...]
                                              [--recordings DIR]
  --all      every page, normal and projector mode, at 1400 and 1920 px
  --phone    the README's pages as a phone sees them (390x844 CSS px, touch), each page's first screen
  --height   viewport height (default 1200); a tall one (4000) shows whole pages
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.chromium import CHROMIUM, CHROMIUM_ARGS, free_port  # noqa: E402

PAGES = {  # name: (path with its settings in the address, what to wait for)
    "architecture": ("/Architecture?imagenet_model=resnet18", ".js-plotly-plot"),
    "architecture_plain": ("/Architecture?imagenet_model=resnet18&skip=0", ".js-plotly-plot"),
    "architecture_preact": ("/Architecture?imagenet_model=resnet18&preact=1", ".js-plotly-plot"),
    "image_lab": ("/Image_lab", ".st-key-gradcam-strip img"),
    "image_lab_shapes": ("/Image_lab?family=cifar&source=Shapes&weights=shapes", ".st-key-gradcam-strip img"),
    "shapes_dataset": ("/Shapes_dataset", ".js-plotly-plot"),
    "gradient_lab": ("/Gradient_lab", ".js-plotly-plot"),
    "gradient_lab_paper": (
        "/Gradient_lab?g.batch_norm=1&g.preact=0&g.activation=relu&g.init=he&"
        "g.preset=the+paper%3A+plain+vs+ResNet+with+BN",
        ".js-plotly-plot",
    ),
    "lesions": ("/Lesions_and_paths?lesion_nets=digits-56", '[data-testid="stMetric"]'),
    "landscape": ("/Loss_landscape?landscape_nets=digits-56", ".js-plotly-plot"),
    "receptive_fields": ("/Receptive_fields?receptive_nets=shapes-20", ".js-plotly-plot"),
    "variants": ("/Variants_side_by_side", ".js-plotly-plot"),
    "transfer": ("/Transfer_learning", '[data-testid="stImage"]'),
}
PRESS = {  # name: (button's name begins, text that shows when it is done), pressed in turn where present
    "lesions": (("Train ResNet-56", "Test set:"), ("Compute the curve", "on average with"),
                ("Measure 16 random paths", "carry half of the gradient")),
    "landscape": (("Train ResNet-56", "One loss of one net"), ("Compute the line", "at the ends"),
                  ("Compute the plane", "over the plane.")),
    "receptive_fields": (("Measure the effective fields", "though their theoretical"),),
    "transfer": (("Fine-tune 6 runs", "Fine-tuned weights of"),),
}  # fmt: skip
README_SHOTS = (  # (page, projector mode, heading scrolled to the top or None) as README.md shows them
    ("architecture", False, None), ("architecture", True, None), ("architecture_plain", False, "Block diagram"),
    ("architecture_preact", True, None), ("image_lab", False, None),
    ("image_lab_shapes", True, "3 · Grad-CAM of every residual block"), ("shapes_dataset", False, None),
    ("gradient_lab", True, "At initialisation"), ("gradient_lab_paper", False, None),
    ("lesions", False, "Error against the number of blocks deleted"), ("lesions", False, "Paths: a residual net"),
    ("landscape", False, "Over a plane of two directions"), ("receptive_fields", False, "Effective receptive field"),
    ("variants", False, None), ("transfer", False, "Fine-tuning"),
)  # fmt: skip
IDLE = "() => !document.querySelector('[data-testid=stStatusWidget]')"


PHONE = 390


def shots(every: bool, phone: bool = False) -> list[tuple[int, str, bool, str | None]]:
    """(width, page, projector, heading) to take: the README's at 1400 px (or as a phone, from the top), or every
    combination from the top."""
    if phone:
        names = dict.fromkeys(name for name, projector, _ in README_SHOTS if not projector)
        return [(PHONE, name, False, None) for name in names]
    if not every:
        return [(1400, name, projector, heading) for name, projector, heading in README_SHOTS]
    return [(w, name, projector, None) for w in (1400, 1920) for projector in (False, True) for name in PAGES]


def serve(home: str, kept: str | None) -> tuple[subprocess.Popen, int]:
    """The app on a free local port, with an empty torchvision cache in ``home`` and the recordings (and trained
    digits nets) of ``kept``, or an empty folder in ``home``."""
    port = free_port()
    env = {**os.environ, "TORCH_HOME": home, "EXPLORER_RECORDINGS": kept or os.path.join(home, "recordings")}
    command = [sys.executable, "-m", "explorer", "serve", "--replicas", "1", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true"]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok":
                return server, port
        except OSError:
            time.sleep(0.5)
    server.terminate()
    raise SystemExit("the app did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="every page, both modes, 1400 and 1920 px")
    parser.add_argument("--folder", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--phone", action="store_true", help="the README's pages as a phone, first screen")
    parser.add_argument("--height", type=int, default=1200, help="viewport height in pixels")
    parser.add_argument("--only", nargs="*", choices=list(PAGES), help="only these pages")
    parser.add_argument("--recordings", help="a recordings folder to use (its trained nets save minutes)")
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as home:
        server, port = serve(home, args.recordings)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                for width, name, projector, heading in shots(args.all, args.phone):
                    if args.only and name not in args.only:
                        continue
                    phone = {"is_mobile": True, "has_touch": True} if width == PHONE else {}
                    height = 844 if width == PHONE else args.height
                    page = browser.new_page(viewport={"width": width, "height": height}, **phone)
                    path, ready = PAGES[name]
                    joiner = "&" if "?" in path else "?"
                    page.goto(f"http://127.0.0.1:{port}{path}" + (f"{joiner}projector=1" if projector else ""))
                    page.wait_for_selector("h1", timeout=300_000)  # the script has started
                    page.wait_for_function(IDLE, timeout=300_000)
                    for button, done in PRESS.get(name, ()):
                        found = page.get_by_role("button", name=re.compile("^" + re.escape(button)))
                        finished = page.get_by_text(done)
                        found.or_(finished).first.wait_for(timeout=300_000)  # the page has got this far
                        if not finished.count():
                            found.first.click()
                            finished.first.wait_for(timeout=900_000)
                        page.wait_for_function(IDLE, timeout=300_000)
                    page.wait_for_selector(ready, timeout=300_000)
                    page.wait_for_function(IDLE, timeout=300_000)
                    if heading:  # (never as a phone: its first screen is shown)
                        page.get_by_role("heading", name=heading).first.evaluate("h => h.scrollIntoView()")
                    page.wait_for_timeout(800)  # let plotly finish its transitions
                    mode = "projector" if projector else "normal"
                    part = f"_{heading.split()[0].lower().strip(':')}" if heading and name in PRESS else ""
                    target = args.folder / f"{name}{part}_{mode}_{width}.png"
                    page.screenshot(path=str(target))
                    page.close()
                    print(target, flush=True)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
