"""``python -m explorer serve``: the app, with its heavy modules imported before the first student arrives.

``streamlit run Home.py`` imports torch, torchvision, plotly and captum when the first page is first
opened, which makes that first view take seconds. This command imports them first, then runs
Streamlit in the same process with any options given (``--server.port 8600`` ...).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE_MODULES: tuple[str, ...] = (
    "captum.attr",
    "explorer.architecture.diagram",
    "explorer.gradlab.figures",
    "explorer.imagelab.attribution",
    "explorer.imagelab.figures",
    "explorer.shapes.figures",
    "explorer.ui.architecture",
    "explorer.ui.gradlab",
    "explorer.ui.imagelab",
    "explorer.ui.shapes",
)


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``serve`` to the command parsers."""
    serving = commands.add_parser(
        "serve", help="run the app (streamlit run Home.py) with its modules imported first; options go to Streamlit"
    )
    serving.set_defaults(run=_serve, passes_on=True)  # unknown options go to Streamlit (see cli.main)


def _serve(args: argparse.Namespace) -> str:
    for name in PAGE_MODULES:
        importlib.import_module(name)
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", str(ROOT / "Home.py"), *args.extra]
    cli.main()  # runs until the server stops; click exits through SystemExit
    return ""
