"""Run in its own process by ``test_memory.py``: sessions of the image lab upload large photos while the
process's resident memory is read after each. Prints one JSON line: the resident megabytes after
the baseline (one small upload) and after every later upload.

Usage: python -m tests.rss_probe SESSIONS UPLOADS SIDE   (EXPLORER_* settings come from the environment)
"""

import io
import json
import sys

import numpy as np
from PIL import Image
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT


def resident_mb() -> float:
    """This process's resident set size, from /proc."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def photo(side: int, seed: int, kind: str) -> bytes:
    """A smooth photo-like image of ``side``² pixels, as ``kind`` (PNG or JPEG)."""
    coarse = np.random.default_rng(seed).integers(0, 255, (6, 6, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(coarse).resize((side, side), Image.Resampling.BILINEAR).save(buffer, kind)
    return buffer.getvalue()


def open_lab() -> AppTest:
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=600)
    at.run()
    at.radio(key="widget.family").set_value("cifar").run()
    at.switch_page("pages/2_Image_lab.py").run()
    at.segmented_control(key="widget.source").set_value("Upload").run()
    return at


def upload(at: AppTest, name: str, data: bytes) -> None:
    at.file_uploader(key="lab.upload").set_value((name, data, "image/png")).run()
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])


def main() -> None:
    sessions, uploads, side = (int(a) for a in sys.argv[1:4])
    labs = [open_lab() for _ in range(sessions)]
    for i, at in enumerate(labs):
        upload(at, f"small{i}.png", photo(64, 1000 + i, "PNG"))
    readings = [resident_mb()]
    for step in range(uploads):
        for i, at in enumerate(labs):
            upload(at, f"big{step}-{i}.png", photo(side, step * 100 + i, "PNG" if step % 2 else "JPEG"))
        readings.append(resident_mb())
    print(json.dumps(readings))


if __name__ == "__main__":
    main()
