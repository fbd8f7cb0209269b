"""The Architecture page's commands: ``stages``, ``compare`` and ``models``."""

from __future__ import annotations

import argparse

from explorer.architecture.stages import compare, comparison_rows, stage_table, stride_placement, table_rows
from explorer.commandline import add_model_options, render_text, spec_from_args, to_json
from explorer.spec import CIFAR_MODELS, IMAGENET_MODELS, TABLE1_MODELS


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``stages``, ``compare`` and ``models`` to the command parsers."""
    stages = commands.add_parser("stages", help="the stage table (paper Table 1) of one model")
    stages.add_argument("model", help="e.g. resnet50, resnext50_32x4d, cifar_resnet56")
    stages.set_defaults(run=_stages)
    add_model_options(stages)
    comparison = commands.add_parser("compare", help="several models side by side, like Table 1")
    comparison.add_argument("models", nargs="*", default=list(TABLE1_MODELS), help="default: the five Table 1 models")
    add_model_options(comparison)
    comparison.set_defaults(run=_compare)
    commands.add_parser("models", help="list the model names").set_defaults(run=_models)


def _stages(args: argparse.Namespace) -> str:
    table = stage_table(spec_from_args(args.model, args), args.input_size)
    if args.json:
        return to_json(table.to_dict())
    header = f"{table.spec.label} at {table.input_size}×{table.input_size}"
    if placement := stride_placement(table.spec):
        header += f"; bottleneck stride on the {placement}"
    if table.spec.skip:
        header += f"; shortcut option {table.spec.shortcut_option}"
    return f"{header}\n{render_text(table_rows(table))}"


def _compare(args: argparse.Namespace) -> str:
    tables = compare([spec_from_args(name, args) for name in args.models], args.input_size)
    if args.json:
        return to_json([t.to_dict() for t in tables])
    return render_text(comparison_rows(tables))


def _models(args: argparse.Namespace) -> str:
    return "\n".join([*IMAGENET_MODELS, *CIFAR_MODELS, "cifar_resnetD  (any D = 6n+2 from 8 to 1202)"])
