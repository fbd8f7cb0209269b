"""The pages a lesson step can open, and the settings each one offers, as the pages themselves declare them.

``page_settings.json`` is what every page offered when it last ran (its :func:`explorer.ui.common.choice` calls:
each setting's default and the values its widget allows), written by ``scripts/page_settings.py`` and checked
against the pages by ``tests/test_settings.py``, so a lesson file is checked without starting Streamlit.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
SETTINGS_FILE = Path(__file__).resolve().parent / "page_settings.json"
HOME = "Home"
CLASS_PAGE = "Class"  # where a class is started and joined: not a step of a lesson


@cache
def page_files() -> dict[str, str]:
    """Every page a step can open, by the title its sidebar link shows: ``Home`` and ``pages/*.py``."""
    files = {HOME: "Home.py"}
    for path in sorted((ROOT / "pages").glob("*.py"), key=lambda p: int(p.stem.split("_", 1)[0])):
        title = path.stem.split("_", 1)[1].replace("_", " ")
        if title != CLASS_PAGE:
            files[title] = f"pages/{path.name}"
    return files


def page_titles() -> tuple[str, ...]:
    """The titles of the pages a step can open, in the sidebar's order."""
    return tuple(page_files())


def title_of(file: str) -> str | None:
    """The title of the page in ``file`` (``pages/2_Image_lab.py`` → ``Image lab``); None for the class page."""
    return next((title for title, f in page_files().items() if f == file), None)


@cache
def _offered() -> dict[str, dict[str, dict[str, Any]]]:
    return json.loads(SETTINGS_FILE.read_text())


def page_settings(title: str) -> dict[str, dict[str, Any]]:
    """The settings page ``title`` offers: each one's default and what its widget allows."""
    return _offered().get(title, {})
