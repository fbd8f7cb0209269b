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
PAGE_MODULES: tuple[str, ...] = (  # what the pages import, but for explorer.ui (it needs Streamlit's runtime)
    "captum.attr",
    "explorer.architecture.diagram",
    "explorer.gradlab",
    "explorer.gradlab.figures",
    "explorer.imagelab.attribution",
    "explorer.imagelab.explain",
    "explorer.imagelab.figures",
    "explorer.shapes.figures",
    "explorer.shapes.scoring",
    "explorer.weights",
    "streamlit",
)


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``serve`` to the command parsers."""
    serving = commands.add_parser(
        "serve", help="run the app (streamlit run Home.py) with its modules imported first; options go to Streamlit"
    )
    serving.set_defaults(run=_serve, passes_on=True)  # unknown options go to Streamlit (see cli.main)


def _option(options: list[str], name: str, default: str) -> str:
    """The value of ``name`` among Streamlit options (``--name value`` or ``--name=value``), else ``default``."""
    for i, option in enumerate(options):
        if option == name and i + 1 < len(options):
            return options[i + 1]
        if option.startswith(f"{name}="):
            return option.split("=", 1)[1]
    return default


def _serve(args: argparse.Namespace) -> str:
    for name in PAGE_MODULES:
        importlib.import_module(name)
    from streamlit.web import cli

    # Streamlit's own welcome message looks up this machine's external address on the internet: ours does not.
    quiet = ["--logger.hideWelcomeMessage", "true"]
    sys.argv = ["streamlit", "run", str(ROOT / "Home.py"), *quiet, *args.extra]
    port = _option(args.extra, "--server.port", "8501")
    print(f"ResNet Explorer on http://{_option(args.extra, '--server.address', 'localhost')}:{port}", flush=True)
    cli.main()  # runs until the server stops; click exits through SystemExit
    return ""
