"""What a student waits for in the image lab, measured in a real browser against the trace itself.

Starts the app as ``scripts/run_app.sh`` does (``python -m explorer serve``) with an empty torchvision
cache (so ResNet-50 runs with
its random weights, as on a fresh machine), drives headless Chromium with Playwright, and measures
in one run:

  first view       opening /Image_lab until the Grad-CAM strip of the bundled sample is in the page: for the
                   first session after the server started, and for a second session
  upload -> strip  choosing a photo (a new one each time) until its 16 overlays are shown, and until the
                   rest of the page (feature maps, branch sizes) is done too
  retarget         choosing another class to explain until its strip is in the page
  trace            explorer.trace.trace of ResNet-50 at 224², batch 1, in this process (after the browser
                   closed), and the explanation time the page itself reports for each upload (its trace
                   inside the server, queue included, sharing the cores with the browser)

and prints upload -> strip and first view as multiples of the trace time (target: upload -> strip
<= 3x). Usage: python benchmarks/bench_imagelab_latency.py [--uploads 5] [--side 3000] [--device auto]
"""

from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
import torch
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_gradcam import timed_ms  # noqa: E402
from explorer import ModelSpec, RandomWeights, describe_device, load_model, pick_device  # noqa: E402
from explorer.trace import trace  # noqa: E402
from tests.chromium import CHROMIUM, CHROMIUM_ARGS, free_port  # noqa: E402

STRIP = ".st-key-gradcam-strip img"
STRIP_SHOWN = """(old) => {
    const images = [...document.querySelectorAll('.st-key-gradcam-strip img')];
    return images.length === 16 && images.every(i => i.complete && i.naturalWidth > 0 && !old.includes(i.src));
}"""
PAGE_DONE = "() => !document.querySelector('[data-testid=stStatusWidget]')"


def photo(side: int, seed: int) -> bytes:
    """A smooth random colour photo of ``side``² pixels as JPEG."""
    coarse = np.random.default_rng(seed).integers(0, 255, (8, 8, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(coarse).resize((side, side), Image.Resampling.BICUBIC).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def start_server(port: int, torch_home: str, device: str) -> subprocess.Popen:
    """``python -m explorer serve`` on ``port`` with an empty torchvision cache, on ``device``, once it is healthy."""
    command = [
        sys.executable, "-m", "explorer", "serve", "--replicas", "1", "--server.headless", "true",
        "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    env = {**os.environ, "TORCH_HOME": torch_home, "EXPLORER_DEVICE": device}
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit("streamlit did not start")


def strip_sources(page: object) -> list[str]:
    """The addresses of the strip's pictures now (a new strip has new ones)."""
    return page.eval_on_selector_all(STRIP, "images => images.map(i => i.src)")


def reported_ms(page: object) -> float:
    """The explanation time the image lab states ("… recorded all 16 blocks in N ms …")."""
    caption = page.locator('[data-testid="stCaptionContainer"]', has_text="recorded all").first.inner_text()
    return float(re.search(r"in (\d+) ms", caption).group(1))


def trace_ms(device: torch.device, repeats: int = 10) -> float:
    """Median milliseconds of the all-block trace of ResNet-50 at 224² with random weights, in this process."""
    loaded = load_model(ModelSpec("resnet50"), RandomWeights(), device)
    x = torch.randn(1, 3, 224, 224, device=device)
    return timed_ms(lambda: trace(loaded.model, x), device, repeats)


def measure(device: torch.device, uploads: int = 5, side: int = 3000) -> dict[str, object]:
    """Milliseconds a student waits in the browser (first views, upload -> strip, retarget), and the trace's own."""
    from playwright.sync_api import sync_playwright

    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        server = start_server(port, os.path.join(folder, "torch-home"), device.type)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1400, "height": 1800})
                start = time.perf_counter()
                page.goto(f"http://127.0.0.1:{port}/Image_lab")
                page.wait_for_function(STRIP_SHOWN, arg=[], timeout=300_000)
                first_view = time.perf_counter() - start
                page.wait_for_function(PAGE_DONE, timeout=300_000)
                second = browser.new_page(viewport={"width": 1400, "height": 1800})
                start = time.perf_counter()
                second.goto(f"http://127.0.0.1:{port}/Image_lab")
                second.wait_for_function(STRIP_SHOWN, arg=[], timeout=300_000)
                second_view = time.perf_counter() - start
                second.close()
                page.locator('[data-testid="stButtonGroup"] button', has_text="Upload").click()
                page.wait_for_selector('[data-testid="stFileUploader"]')
                waits, completes, retargets, in_page = [], [], [], []
                for i in range(uploads):
                    path = Path(folder) / f"photo{i}.jpg"
                    path.write_bytes(photo(side, i))
                    old = strip_sources(page)
                    start = time.perf_counter()
                    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))
                    page.wait_for_function(STRIP_SHOWN, arg=old, timeout=300_000)
                    waits.append(time.perf_counter() - start)
                    in_page.append(reported_ms(page))
                    page.wait_for_function(PAGE_DONE, timeout=300_000)
                    completes.append(time.perf_counter() - start)
                    old = strip_sources(page)
                    start = time.perf_counter()
                    box = page.locator('[data-testid="stSelectbox"]', has_text="Explain class")
                    box.click()
                    page.keyboard.type(f"({100 + i})")
                    page.locator('[role="option"]').first.click()
                    page.wait_for_function(STRIP_SHOWN, arg=old, timeout=300_000)
                    retargets.append(time.perf_counter() - start)
                    page.wait_for_function(PAGE_DONE, timeout=300_000)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
    traced = trace_ms(device)
    return {
        "device": describe_device(device), "side": side, "uploads": uploads, "trace_ms": traced,
        "first_view_ms": 1000 * first_view, "next_session_view_ms": 1000 * second_view,
        "upload_to_strip_ms": 1000 * statistics.median(waits), "each_upload_ms": [1000 * t for t in waits],
        "upload_to_page_complete_ms": 1000 * statistics.median(completes),
        "retarget_to_strip_ms": 1000 * statistics.median(retargets),
        "explanation_in_page_ms": statistics.median(in_page),
        "upload_to_strip_over_trace": 1000 * statistics.median(waits) / traced,
    }  # fmt: skip


def main() -> None:
    """Measure in the browser and print the waits as multiples of the trace."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=5)
    parser.add_argument("--side", type=int, default=3000, help="side of the uploaded photos (pixels)")
    parser.add_argument("--device", default="auto", choices=("auto", "cuda", "mps", "cpu"))
    args = parser.parse_args()
    f = measure(pick_device(args.device), args.uploads, args.side)
    traced, upload = f["trace_ms"], f["upload_to_strip_ms"]
    print(f"image lab, ResNet-50 (random weights) at 224², {args.side}² JPEG uploads, on {f['device']}")
    print(f"  first view, first session {f['first_view_ms']:8.0f} ms  ({f['first_view_ms'] / traced:5.1f}x the trace)")
    print(f"  first view, next session  {f['next_session_view_ms']:8.0f} ms  "
          f"({f['next_session_view_ms'] / traced:5.1f}x the trace)")  # fmt: skip
    print(f"  upload -> strip, median   {upload:8.0f} ms  ({upload / traced:5.1f}x the trace; target <= 3x)")
    print(f"  upload -> strip, each     {' '.join(f'{t:.0f}' for t in f['each_upload_ms'])} ms")
    print(f"  upload -> page complete   {f['upload_to_page_complete_ms']:8.0f} ms")
    print(f"  retarget -> strip, median {f['retarget_to_strip_ms']:8.0f} ms")
    served = f["explanation_in_page_ms"]
    print(f"  trace (all blocks)        {traced:8.0f} ms  (alone, in this process)")
    print(f"  explanation in the page   {served:8.0f} ms  (as the page reports it: in the server, queue included)")
    print(f"  upload -> strip / explanation in the page: {upload / served:.1f}x")


if __name__ == "__main__":
    main()
