"""The transfer-learning page's command: ``transfer``."""

from __future__ import annotations

import argparse
from pathlib import Path

from explorer import storage
from explorer.commandline import add_device_option, render_text, to_json
from explorer.device import describe_device, pick_device
from explorer.transfer import reading, targets
from explorer.transfer.finetune import CHOICES, Recipe, Run, TransferError, exported, fine_tune
from explorer.transfer.sources import SOURCES, source


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``transfer`` to the command parsers."""
    parser = commands.add_parser("transfer", help="fine-tune trained weights with stages frozen, vs from scratch")
    parser.add_argument("--source", choices=list(SOURCES), default="shapes-resnet20", help="the weights to start from")
    parser.add_argument("--target", default="digits",
                        help=f"{', '.join(targets.TARGETS)}, or a folder (or .zip) with one folder of images per "
                             "class (default digits)")  # fmt: skip
    parser.add_argument("--train-images", type=int, default=300, help="training images of a built-in target set")
    parser.add_argument("--runs", default=",".join(CHOICES),
                        help=f"comma-separated choices from {', '.join(CHOICES)} (default all)")  # fmt: skip
    parser.add_argument("--without-normalisation", action="store_true",
                        help="add a head-only run fed raw pixels (without the source's normalisation)")  # fmt: skip
    parser.add_argument("--epochs", type=int, default=Recipe.epochs)
    parser.add_argument("--batch-size", type=int, default=Recipe.batch_size)
    parser.add_argument("--lr", type=float, default=Recipe.lr, help="SGD learning rate (momentum 0.9)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--export", metavar="DIR", help="write each run's fine-tuned state dict and the curves here")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    add_device_option(parser)
    parser.set_defaults(run=_transfer)


def target_set(argument: str, side: int, train_images: int, seed: int) -> targets.TargetSet:
    """A built-in target set by name, or the user's folder or zip of class folders."""
    if argument in targets.TARGETS:
        return targets.built_in(argument, side, train_images, seed)
    path = Path(argument)
    if path.suffix.lower() == ".zip" and path.is_file():
        return targets.own_images(targets.read_archive(path.read_bytes(), path.name), side, path.name, seed)
    if path.is_dir():
        return targets.own_images(targets.read_folder(path), side, str(path), seed)
    raise TransferError(f"target must be one of {', '.join(targets.TARGETS)}, a folder or a .zip; got {argument!r}")


def _transfer(args: argparse.Namespace) -> str:
    recipe = Recipe(args.epochs, args.batch_size, args.lr, args.seed)
    runs = [Run(choice.strip()) for choice in args.runs.split(",") if choice.strip()]
    runs += [Run("head", normalised=False)] if args.without_normalisation else []
    if not runs:
        raise TransferError(f"give at least one run: {', '.join(CHOICES)}")
    chosen = source(args.source)
    target = target_set(args.target, chosen.side, args.train_images, args.seed)  # all checked before any training
    device = pick_device(args.device)
    results = fine_tune(chosen.spec, chosen.load(device), target, runs, recipe, device)
    if args.export:
        folder = Path(args.export)
        folder.mkdir(parents=True, exist_ok=True)
        for result in results:
            name = result.run.choice + ("" if result.run.normalised else "_raw")
            storage.write(folder / f"{args.source}_{name}.pth", exported(result))
        details = {"command": "transfer", "source": str(chosen.label), "target": str(target.description),
                   "recipe": recipe, "device": describe_device(device)}  # fmt: skip
        storage.write(folder / "curves.csv", reading.curves_csv(results, details))
    if args.json:
        return to_json({
            "source": args.source, "target": str(target.description), "device": describe_device(device),
            "runs": [{"choice": r.run.choice, "normalised": r.run.normalised, "trainable": r.trainable,
                      "curve": [vars(p) for p in r.curve], "moved": r.moved} for r in results],
        })  # fmt: skip
    words = reading.runs_reading(results, target.chance).replace("**", "")
    return f"{chosen.label} → {target.description}\n{render_text(reading.results_rows(results))}\n{words}"
