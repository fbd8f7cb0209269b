"""Write explorer/lessons/page_settings.json: every setting each page offers, as the page declares it when it runs.

Run after changing a page's controls (``tests/test_settings.py`` fails until the file matches the pages):

    .venv/bin/python scripts/page_settings.py

Each page runs in Streamlit's AppTest with no weights and an empty recordings folder, once as it opens and once
with the CIFAR family picked (the sidebar then offers the CIFAR depth and input size instead of the ImageNet ones).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

from explorer.lessons.pages import SETTINGS_FILE, page_files  # noqa: E402
from explorer.ui.common import SETTINGS  # noqa: E402

NOT_IN_LESSONS = {"projector"}


def offered(file: str, address: dict[str, str]) -> dict[str, dict]:
    """The settings the page in ``file`` offered in one run opened on ``address``."""
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=600)
    at.query_params.update(address)
    at.run()
    if file != "Home.py":
        at.switch_page(file).run()
    if at.exception:
        raise SystemExit(f"{file} failed: {at.exception}")
    return {k: v for k, v in at.session_state[SETTINGS].items() if k not in NOT_IN_LESSONS}


def main() -> None:
    """Run every page and write what it offered."""
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["EXPLORER_RECORDINGS"] = str(Path(scratch) / "recordings")
        os.environ["TORCH_HOME"] = str(Path(scratch) / "torch-home")
        schema = {}
        for title, file in page_files().items():
            settings = offered(file, {})
            if "family" in settings:
                settings = {**offered(file, {"family": "cifar"}), **settings}
            schema[title] = dict(sorted(settings.items()))
            print(f"{title}: {len(settings)} settings")
    SETTINGS_FILE.write_text(json.dumps(schema, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {SETTINGS_FILE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
