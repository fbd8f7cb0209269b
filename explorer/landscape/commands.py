"""The loss landscape's command: ``landscape``."""

from __future__ import annotations

import argparse

from explorer.commandline import add_device_option, render_text, to_json
from explorer.device import describe_device, pick_device
from explorer.landscape import reading, runs
from explorer.landscape.slices import RESOLUTIONS
from explorer.lesions import nets


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``landscape`` to the command parsers."""
    parser = commands.add_parser("landscape", help="training loss around trained weights, residual vs plain")
    parser.add_argument("--nets", choices=list(nets.PAIRS), default="shapes-20", help="which trained pair")
    parser.add_argument("--train-steps", type=int, default=nets.DIGITS_STEPS, help="training steps of a digits pair")
    parser.add_argument("--plane", action="store_true", help="the plane of two directions (default: one line)")
    parser.add_argument("--resolution", type=int, choices=list(RESOLUTIONS), default=runs.DEFAULT_RESOLUTION)
    parser.add_argument("--span", type=float, default=runs.DEFAULT_SPAN, help="from -span to +span (default 1)")
    parser.add_argument("--seed", type=int, default=0, help="the directions' seed")
    parser.add_argument("--images", type=int, default=runs.BATCH_IMAGES, help="training images the loss is on")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    add_device_option(parser)
    parser.set_defaults(run=_landscape)


def _landscape(args: argparse.Namespace) -> str:
    settings = runs.LandscapeSettings(
        args.nets, "plane" if args.plane else "line", args.resolution, args.span, args.seed, args.images
    )  # validated before any training
    device = pick_device(args.device)
    pair = nets.pair(args.nets, args.train_steps, device)
    train = nets.training_sample(args.nets, settings.images)
    slices = runs.landscape(pair, train, settings)
    if args.json:
        return to_json({"settings": settings.recording(), "device": describe_device(device),
                        "slices": runs.to_results(slices)})  # fmt: skip
    words = reading.plane_reading(slices) if args.plane else reading.line_reading(slices)
    lines = [f"{pair.description}; training loss on {train.description}", words.replace("**", "")]
    if not args.plane:
        rows = [{"α": f"{alpha:+.2f}", **{label: f"{s.losses[0][i]:.4g}" for label, s in slices.items()}}
                for i, alpha in enumerate(next(iter(slices.values())).alphas)]  # fmt: skip
        lines.append(render_text(rows))
    return "\n".join(lines)
