"""The Shapes dataset page's commands: ``train`` and ``score``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from explorer.commandline import add_device_option, render_text, to_json
from explorer.device import pick_device
from explorer.errors import check_range
from explorer.shapes.dataset import ShapesConfig
from explorer.shapes.scoring import score_model, scores_json, scores_table
from explorer.shapes.shipped import SHIPPED_DIR, shipped_models
from explorer.shapes.training import Recipe, save, shapes_spec, train
from explorer.spec import SpecError
from explorer.weights import ShippedWeights, load_model


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``train`` and ``score`` to the command parsers."""
    training = commands.add_parser("train", help="train ResNet-20 and plain-20 on Shapes (the shipped models)")
    training.add_argument("--depth", type=int, default=20, help="CIFAR-style depth 6n+2 (default 20)")
    training.add_argument("--steps", type=int, default=Recipe.steps)
    training.add_argument("--batch-size", type=int, default=Recipe.batch_size)
    training.add_argument("--train-images", type=int, default=Recipe.train_images)
    training.add_argument("--test-images", type=int, default=Recipe.test_images, help="fresh images to score on")
    training.add_argument("--seed", type=int, default=0, help="dataset and training seed")
    training.add_argument("--only", choices=["residual", "plain"], help="train just one of the two")
    training.add_argument("--out", default=str(SHIPPED_DIR), metavar="DIR", help="where to write (default: shipped)")
    add_device_option(training)
    training.set_defaults(run=_train)
    scoring = commands.add_parser("score", help="pointing game and energy-in-mask of every block, residual vs plain")
    scoring.add_argument("--images", type=int, default=200, help="test images per model (default 200)")
    scoring.add_argument("--json", action="store_true", help="machine-readable output")
    add_device_option(scoring)
    scoring.set_defaults(run=_score)


def _train(args: argparse.Namespace) -> str:
    recipe = Recipe(
        steps=args.steps, batch_size=args.batch_size, train_images=args.train_images, test_images=args.test_images,
        seed=args.seed,
    )  # fmt: skip
    data = ShapesConfig(seed=args.seed)
    kinds = [args.only] if args.only else ["residual", "plain"]
    device = pick_device(args.device)
    lines = []
    for kind in kinds:
        spec = shapes_spec(args.depth, skip=kind == "residual")

        def report(step: int, steps: int, loss: float, label: str = str(spec.label)) -> None:
            done = int(30 * step / steps)
            print(
                f"\r{label:<22} [{'#' * done}{'.' * (30 - done)}] {step}/{steps} loss {loss:.3f}",
                end="",
                file=sys.stderr,
                flush=True,
            )

        model, metadata = train(spec, data, recipe, report, device)
        print(file=sys.stderr)
        checkpoint, _ = save(
            model, metadata, Path(args.out) / f"shapes_{'resnet' if spec.skip else 'plain'}{args.depth}"
        )
        lines.append(
            f"{spec.label}: test accuracy {metadata['test_accuracy']:.2%} on {metadata['test_images']} fresh images, "
            f"trained in {metadata['train_seconds']:.0f} s -> {checkpoint}"
        )
    return "\n".join(lines)


def _score(args: argparse.Namespace) -> str:
    check_range("images", args.images, 1, 10_000)
    shipped = shipped_models()
    if not shipped:
        raise SpecError(f"no trained models in {SHIPPED_DIR}: run `python -m explorer train` first")
    device = pick_device(args.device)
    named = {
        str(m.spec.label): score_model(load_model(m.spec, ShippedWeights(), device).model, m.test_config, args.images)
        for m in shipped.values()
    }
    if args.json:
        return to_json(scores_json(named))
    return f"Grad-CAM of the true class, {args.images} test images per model\n" + render_text(scores_table(named))
