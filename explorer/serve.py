"""``python -m explorer serve``: the app, with its heavy modules imported before the first student arrives, one
replica per core behind the built-in balancer.

``streamlit run Home.py`` imports torch, torchvision, plotly and captum when the first page is first
opened, which makes that first view take seconds. This command imports them first, then runs
Streamlit in the same process with any options given (``--server.port 8600`` ...).

A process runs its sessions' pages on one interpreter lock: when a class of sixty follows the teacher to a new step,
sixty page runs take turns on one core while the others idle. So on a machine of several cores ``serve`` runs
``--replicas`` processes (default ``auto``: one per core, at most :data:`MOST_REPLICAS`, and one in a server that is
already a replica of a deployment; ``EXPLORER_REPLICAS`` sets the default) behind :mod:`explorer.balancer` on the
address and port asked for, each browser kept on one replica.
"""

from __future__ import annotations

import argparse
import importlib
import os
import socket
import sys
from pathlib import Path
from typing import NoReturn

from explorer import deploy
from explorer.errors import UserError

ROOT = Path(__file__).resolve().parent.parent
MOST_REPLICAS = 4  # what "auto" runs at most: each replica keeps its own models (about 1 GB on the CPU)
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
    serving.add_argument(
        "--replicas",
        default=os.environ.get("EXPLORER_REPLICAS", "auto"),
        help=f"processes behind the built-in balancer: a number, or auto (one per core, at most {MOST_REPLICAS}; "
        "the default, or EXPLORER_REPLICAS)",
    )
    serving.set_defaults(run=_serve, passes_on=True)  # unknown options go to Streamlit (see cli.main)


def replica_count(asked: str, cores: int | None, replica: str = "") -> int:
    """How many replicas ``--replicas`` asks for on a machine of ``cores`` cores, in a server that is the replica
    ``replica`` of a deployment (``EXPLORER_REPLICA``; that deployment balances, so ``auto`` is one)."""
    if asked == "auto":
        return 1 if replica else max(1, min(cores or 1, MOST_REPLICAS))
    if not asked.isdigit() or not 1 <= int(asked) <= 64:
        raise UserError(f"--replicas must be auto or a whole number from 1 to 64; got {asked!r}")
    return int(asked)


def _option(options: list[str], name: str, default: str) -> str:
    """The value of ``name`` among Streamlit options (``--name value`` or ``--name=value``), else ``default``."""
    for i, option in enumerate(options):
        if option == name and i + 1 < len(options):
            return options[i + 1]
        if option.startswith(f"{name}="):
            return option.split("=", 1)[1]
    return default


def _serve(args: argparse.Namespace) -> str:
    count = replica_count(args.replicas, os.cpu_count(), os.environ.get("EXPLORER_REPLICA", ""))
    if count > 1:
        _balanced(count, args.extra)
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


def _balanced(count: int, options: list[str]) -> NoReturn:
    """``count`` replicas, then this process becomes the built-in balancer (:mod:`explorer.balancer`, run as a script
    that imports nothing of the explorer's) on the address and port ``options`` ask for."""
    address, port = _option(options, "--server.address", "localhost"), _option(options, "--server.port", "8501")
    ports = _free_ports(count)
    processes = deploy.start_replicas(ports, _without(options, ("--server.address", "--server.port")))
    print(f"ResNet Explorer on http://{address}:{port} ({count} replicas)", flush=True)
    replicas = [f"--replica={p}" for p in ports] + [f"--stop={p.pid}" for p in processes]
    balancer = str(ROOT / "explorer" / "balancer.py")
    os.execv(sys.executable, [sys.executable, "-P", balancer, f"--listen={address}:{port}", *replicas])


def _without(options: list[str], names: tuple[str, ...]) -> list[str]:
    """Streamlit ``options`` without those named (``--name value`` or ``--name=value``)."""
    kept: list[str] = []
    skip = False
    for option in options:
        if skip:
            skip = False
        elif option in names:
            skip = True
        elif not option.startswith(tuple(f"{name}=" for name in names)):
            kept.append(option)
    return kept


def _free_ports(count: int) -> list[int]:
    """``count`` ports of 127.0.0.1 that nothing listens on now."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()
