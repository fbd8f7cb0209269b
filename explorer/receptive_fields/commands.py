"""The receptive-field page's command: ``receptive``."""

from __future__ import annotations

import argparse

from explorer import catalogue
from explorer.commandline import add_device_option, add_model_options, render_text, spec_from_args, to_json
from explorer.device import describe_device, pick_device
from explorer.errors import check_range
from explorer.receptive_fields import reading, subjects, theory
from explorer.receptive_fields.effective import HOLDING, effective_fields


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``receptive`` to the command parsers."""
    parser = commands.add_parser("receptive", help="theoretical receptive field of every block, or effective fields")
    parser.add_argument("model", nargs="?", default="resnet50", help="e.g. resnet18, cifar_resnet56 (theoretical)")
    pairs = ", ".join(subjects.SUBJECTS)
    parser.add_argument("--effective", choices=list(subjects.SUBJECTS), metavar="NETS",
                        help=f"measure the effective fields of a pair instead: {pairs}")  # fmt: skip
    parser.add_argument("--side", type=int, default=None, help="image side for --effective (default 64, ImageNet 224)")
    parser.add_argument("--images", type=int, default=8, help="images averaged over for --effective (default 8)")
    add_model_options(parser)
    add_device_option(parser)
    parser.set_defaults(run=_receptive)


def _receptive(args: argparse.Namespace) -> str:
    if args.effective:
        return _effective(args)
    spec = spec_from_args(args.model, args)
    size = spec.default_input_size if args.input_size is None else args.input_size
    check_range("input size", size, 1, 4096)
    fields = theory.stem_and_block_fields(spec.build("meta"), size)
    if args.json:
        return to_json({"model": str(spec.label), "input_size": size, "fields": theory.to_dicts(fields)})
    text = reading.theory_reading(fields, size).replace("**", "")
    return f"{spec.label} at {size}×{size}\n{render_text(theory.field_rows(fields))}\n{text}"


def _effective(args: argparse.Namespace) -> str:
    side = args.side or subjects.sides(args.effective)[min(1, len(subjects.sides(args.effective)) - 1)]
    images, _ = subjects.subject_images(args.effective, args.images, side)  # validated before any model is built
    device = pick_device(args.device)
    found = {net.label: effective_fields(net.model, images) for net in subjects.subject_nets(args.effective, device)}
    if args.json:
        return to_json({
            "nets": args.effective, "side": side, "images": args.images, "device": describe_device(device),
            "fields": {label: [{"block": f.paper_name, "theoretical": f.field.size, "holding": f.side_holding(),
                                "gradient_sum": f.total} for f in fields] for label, fields in found.items()},
        })  # fmt: skip
    rows = [
        {"block": a.paper_name, "theoretical": a.field.size,
         **{f"{label}: {HOLDING:.0%} within": f"{fields[i].side_holding()}" for label, fields in found.items()}}
        for i, a in enumerate(next(iter(found.values())))
    ]  # fmt: skip
    words = reading.effective_reading(found, side).replace("**", "")
    title = catalogue.pair(args.effective).name
    return f"{title}, {args.images} images at {side}×{side}\n{render_text(rows)}\n{words}"
