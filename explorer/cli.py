"""Command line: ``python -m explorer stages MODEL``, ``compare``, ``models``, ``explain IMAGE``, ``train``, ``score``,
``gradlab``, ``lesion``, ``paths``, ``landscape``, ``receptive``, ``variants``, ``transfer``, ``lesson``, ``weights``,
``serve``, ``replicas``.

A bad input or setting (a :class:`~explorer.errors.UserError`) is one line on stderr and exit status 2; anything
else is a bug and ends with its traceback and exit status 1. Results go to stdout as text or JSON. Each command
lives with its feature (``explorer/<feature>/commands.py``).
"""

from __future__ import annotations

import argparse
import sys

from explorer import deploy, serve
from explorer.architecture import commands as architecture_commands
from explorer.commandline import OneLineParser
from explorer.errors import UserError
from explorer.gradlab import commands as gradlab_commands
from explorer.imagelab import commands as imagelab_commands
from explorer.landscape import commands as landscape_commands
from explorer.lesions import commands as lesion_commands
from explorer.lessons import commands as lessons_commands
from explorer.receptive_fields import commands as receptive_commands
from explorer.shapes import commands as shapes_commands
from explorer.transfer import commands as transfer_commands
from explorer.variants import commands as variants_commands
from explorer.weights import commands as weights_commands


def build_parser() -> argparse.ArgumentParser:
    """The ``explorer`` argument parser."""
    parser = OneLineParser(prog="python -m explorer", description="ResNet Explorer from the command line.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    for feature in (
        architecture_commands,
        imagelab_commands,
        shapes_commands,
        gradlab_commands,
        lesion_commands,
        landscape_commands,
        receptive_commands,
        variants_commands,
        transfer_commands,
        lessons_commands,
        weights_commands,
        serve,
        deploy,
    ):
        feature.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "passes_on", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra
    try:
        out = args.run(args)
    except UserError as error:  # the one place user errors are caught: everything else is a bug, with its traceback
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 2
    print(out)
    return 0
