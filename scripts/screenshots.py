"""Take the README's screenshots: every page, in normal and projector mode, at 1400 and 1920 pixels wide.

Starts the app as run_app.sh does, with an empty torchvision cache (as on a fresh machine), drives
Debian's headless Chromium and writes PNGs to docs/screenshots/ (or the folder given).
Usage: .venv/bin/python scripts/screenshots.py [folder] [viewport height, default 1200; a tall one shows whole pages]
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.test_browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

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
}
IDLE = "() => !document.querySelector('[data-testid=stStatusWidget]')"


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
    height = int(sys.argv[2]) if len(sys.argv) > 2 else 1200
    folder.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "TORCH_HOME": home, "EXPLORER_RECORDINGS": os.path.join(home, "recordings")}
        command = [sys.executable, "-m", "explorer", "serve", "--server.port", str(port), "--server.address",
                   "127.0.0.1", "--server.headless", "true"]  # fmt: skip
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(300):
                try:
                    if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok":
                        break
                except OSError:
                    time.sleep(0.5)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                for width in (1400, 1920):
                    for projector in (False, True):
                        page = browser.new_page(viewport={"width": width, "height": height})
                        for name, (path, ready) in PAGES.items():
                            joiner = "&" if "?" in path else "?"
                            url = f"http://127.0.0.1:{port}{path}" + (f"{joiner}projector=1" if projector else "")
                            page.goto(url)
                            page.wait_for_selector(ready, timeout=300_000)
                            page.wait_for_function(IDLE, timeout=300_000)
                            page.wait_for_timeout(800)  # let plotly finish its transitions
                            mode = "projector" if projector else "normal"
                            page.screenshot(path=str(folder / f"{name}_{mode}_{width}.png"), full_page=True)
                            print(f"{name} {mode} {width}", flush=True)
                        page.close()
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
