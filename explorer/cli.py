"""Command line: ``python -m explorer stages MODEL``, ``compare``, ``models``, ``explain IMAGE``, ``train``, ``score``,
``gradflow``.

Every error is one line on stderr and exit status 2; results go to stdout as text or JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import NoReturn

from explorer import gradflow
from explorer.dataset import ShapesConfig
from explorer.device import describe_device, pick_device
from explorer.explain import explain, parse_target
from explorer.gradflow import GradflowConfig
from explorer.images import ImageError, load_image, prepare
from explorer.lab import load_model_from_argument
from explorer.scoring import score_model, scores_json, scores_table
from explorer.spec import CIFAR_MODELS, IMAGENET_MODELS, TABLE1_MODELS, ModelSpec, SpecError, check_input_size
from explorer.stages import compare, comparison_rows, render_text, stage_table, stride_placement, table_rows
from explorer.training import SHIPPED_DIR, Recipe, load_shipped, save, shapes_spec, shipped_models, train


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are a single line."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--input-size", type=int, default=None, metavar="N", help="square input side (default 224, CIFAR 32)"
    )
    parser.add_argument("--plain", action="store_true", help="remove the shortcuts (the plain counterpart)")
    parser.add_argument(
        "--shortcut", choices=["A", "B", "C"], help="A zero-pad, B projection where needed, C projection everywhere"
    )
    parser.add_argument(
        "--paper-stride", action="store_true", help="bottleneck stride on the first 1x1 conv (paper, v1)"
    )
    parser.add_argument("--preact", action="store_true", help="pre-activation blocks (He et al. 2016)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def _spec(name: str, args: argparse.Namespace) -> ModelSpec:
    return ModelSpec(
        name, skip=not args.plain, shortcut=args.shortcut, stride_in_1x1=args.paper_stride, preact=args.preact
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``explorer`` argument parser."""
    parser = _Parser(prog="python -m explorer", description="ResNet Explorer from the command line.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    stages = commands.add_parser("stages", help="the stage table (paper Table 1) of one model")
    stages.add_argument("model", help="e.g. resnet50, resnext50_32x4d, cifar_resnet56")
    stages.set_defaults(run=_stages)
    _add_model_options(stages)
    comparison = commands.add_parser("compare", help="several models side by side, like Table 1")
    comparison.add_argument("models", nargs="*", default=list(TABLE1_MODELS), help="default: the five Table 1 models")
    _add_model_options(comparison)
    comparison.set_defaults(run=_compare)
    commands.add_parser("models", help="list the model names").set_defaults(run=_models)
    explaining = commands.add_parser("explain", help="predictions and Grad-CAM of every residual block for an image")
    explaining.add_argument("image", help="a JPEG, PNG, WebP, BMP, GIF or TIFF file")
    explaining.add_argument("--model", default="resnet50", help="model name (default resnet50)")
    explaining.add_argument("--weights", default="imagenet", help="imagenet (default), shapes, random, or a checkpoint")
    explaining.add_argument("--target", help="class to explain, by index or name (default: the top prediction)")
    explaining.add_argument("--out", required=True, metavar="DIR", help="folder for the overlays and the summary")
    explaining.add_argument("--shared-scale", action="store_true", help="one colour scale for all blocks")
    _add_model_options(explaining)
    explaining.set_defaults(run=_explain)
    training = commands.add_parser("train", help="train ResNet-20 and plain-20 on Shapes (the shipped models)")
    training.add_argument("--depth", type=int, default=20, help="CIFAR-style depth 6n+2 (default 20)")
    training.add_argument("--steps", type=int, default=Recipe.steps)
    training.add_argument("--batch-size", type=int, default=Recipe.batch_size)
    training.add_argument("--train-images", type=int, default=Recipe.train_images)
    training.add_argument("--seed", type=int, default=0, help="dataset and training seed")
    training.add_argument("--only", choices=["residual", "plain"], help="train just one of the two")
    training.add_argument("--out", default=str(SHIPPED_DIR), metavar="DIR", help="where to write (default: shipped)")
    training.set_defaults(run=_train)
    scoring = commands.add_parser("score", help="pointing game and energy-in-mask of every block, residual vs plain")
    scoring.add_argument("--images", type=int, default=200, help="test images per model (default 200)")
    scoring.add_argument("--json", action="store_true", help="machine-readable output")
    scoring.set_defaults(run=_score)
    flow = commands.add_parser("gradflow", help="per-layer gradient norms of a CIFAR-style net (the gradient lab)")
    flow.add_argument("--depth", type=int, default=20, help="6n+2 from 8 to 110 (default 20)")
    flow.add_argument("--plain", action="store_true", help="the plain net (default: residual)")
    flow.add_argument("--no-bn", action="store_true", help="without batch norm")
    flow.add_argument("--activation", choices=["relu", "tanh", "sigmoid"], default="relu")
    flow.add_argument("--init", choices=["he", "xavier", "default"], default="he")
    flow.add_argument("--data", choices=["digits", "random"], default="digits")
    flow.add_argument("--image-size", type=int, choices=[8, 16, 32], default=gradflow.PROFILE_IMAGE_SIZE)
    flow.add_argument("--steps", type=int, default=0, help="train this many steps and print per-step norms")
    flow.add_argument("--seed", type=int, default=0)
    flow.add_argument("--json", action="store_true", help="machine-readable output")
    flow.set_defaults(run=_gradflow)
    return parser


def _gradflow(args: argparse.Namespace) -> str:
    config = GradflowConfig(
        depth=args.depth, skip=not args.plain, batch_norm=not args.no_bn, activation=args.activation, init=args.init,
        data=args.data, image_size=args.image_size, steps=max(args.steps, 1), seed=args.seed,
    )  # fmt: skip
    if args.steps < 0:
        raise SpecError(f"steps must be 0 or more; got {args.steps}")
    model = gradflow.build(config)
    profile = gradflow.layer_gradients(model, *gradflow.probe_batch(config))
    net = "residual" if config.skip else "plain"
    records = list(gradflow.train(config, {net: model})) if args.steps else []
    ratio = gradflow.first_to_last_ratio(profile)
    if args.json:
        return json.dumps(
            {
                "config": asdict(config) | {"steps": args.steps},
                "at_initialisation": asdict(profile) | {"first_to_last_signal_ratio": ratio},
                "steps": [asdict(r[0]) for r in records],
            },
            indent=2,
        )
    label = gradflow.net_label(config.skip, config.depth)
    rows = [
        {"layer": g.name, "‖∂L/∂activation‖": f"{g.signal:.3g}", "RMS ∂L/∂weight": f"{g.weight_rms:.3g}",
         "activation std": f"{g.activation_std:.3g}"}
        for g in profile.layers
    ]  # fmt: skip
    lines = [
        f"{label}, {args.activation}, {args.init} init, {'BN' if config.batch_norm else 'no BN'}: at initialisation"
    ]
    lines += [render_text(rows), f"backward signal, first block ÷ last block: {ratio:.3g}"]
    if records:
        steps = [
            {"step": r.step, "loss": f"{r.loss:.4f}", "batch accuracy": f"{r.accuracy:.1%}",
             "signal first ÷ last": f"{r.signal[0] / r.signal[-1]:.3g}"}
            for (r,) in records
        ]  # fmt: skip
        lines += ["", f"training, {args.steps} steps", render_text(steps)]
    return "\n".join(lines)


def _stages(args: argparse.Namespace) -> str:
    table = stage_table(_spec(args.model, args), args.input_size)
    if args.json:
        return json.dumps(table.to_dict(), indent=2)
    header = f"{table.spec.label} at {table.input_size}×{table.input_size}"
    if placement := stride_placement(table.spec):
        header += f"; bottleneck stride on the {placement}"
    if table.spec.skip:
        header += f"; shortcut option {table.spec.shortcut_option}"
    return f"{header}\n{render_text(table_rows(table))}"


def _compare(args: argparse.Namespace) -> str:
    tables = compare([_spec(name, args) for name in args.models], args.input_size)
    if args.json:
        return json.dumps([t.to_dict() for t in tables], indent=2)
    return render_text(comparison_rows(tables))


def _explain(args: argparse.Namespace) -> str:
    spec = _spec(args.model, args)
    size = check_input_size(spec.family, args.input_size or spec.default_input_size)
    path = Path(args.image)
    if not path.is_file():
        raise ImageError(f"no image file at {args.image!r}")
    image = load_image(path.read_bytes(), path.name)
    device = pick_device()
    loaded = load_model_from_argument(spec, args.weights, device)
    target = None if args.target is None else parse_target(args.target, loaded.class_names)
    x, seen = prepare(image, size)
    result = explain(loaded.model, x.to(device), seen, loaded.class_names, target)
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        seen.save(out / "input.png")
        for i, (name, picture) in enumerate(result.overlays(args.shared_scale).items(), start=1):
            picture.save(out / f"gradcam_{i:02d}_{name}.png")
        (out / "blocks.csv").write_text(result.stats_csv())
        summary = {
            "image": str(path),
            "model": spec.label,
            "weights": loaded.label,
            "trained": loaded.trained,
            "device": describe_device(device),
            "input_size": size,
            **result.summary(),
        }
        (out / "summary.json").write_text(json.dumps(summary, indent=2))
    except OSError as error:
        raise ImageError(f"cannot write to {out}: {error.strerror or error}") from error
    if args.json:
        return json.dumps(summary, indent=2)
    lines = [f"{spec.label} with {loaded.label}", f"explaining: {result.target_name} ({result.target})", "top 5:"]
    lines += [f"  {p.probability:7.2%}  {p.name} ({p.index})" for p in result.predictions()]
    lines.append(f"{len(result.stats)} Grad-CAM overlays, blocks.csv and summary.json written to {out}")
    return "\n".join(lines)


def _train(args: argparse.Namespace) -> str:
    recipe = Recipe(steps=args.steps, batch_size=args.batch_size, train_images=args.train_images, seed=args.seed)
    data = ShapesConfig(seed=args.seed)
    kinds = [args.only] if args.only else ["residual", "plain"]
    lines = []
    for kind in kinds:
        spec = shapes_spec(args.depth, skip=kind == "residual")

        def report(step: int, steps: int, loss: float, label: str = spec.label) -> None:
            done = int(30 * step / steps)
            print(
                f"\r{label:<22} [{'#' * done}{'.' * (30 - done)}] {step}/{steps} loss {loss:.3f}",
                end="",
                file=sys.stderr,
                flush=True,
            )

        model, metadata = train(spec, data, recipe, report, pick_device())
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
    if not 1 <= args.images <= 10_000:
        raise SpecError(f"images must be from 1 to 10000; got {args.images}")
    shipped = shipped_models()
    if not shipped:
        raise SpecError(f"no trained models in {SHIPPED_DIR}: run `python -m explorer train` first")
    device = pick_device()
    named = {m.spec.label: score_model(load_shipped(m, device), m.test_config, args.images) for m in shipped.values()}
    if args.json:
        return json.dumps(scores_json(named), indent=2)
    return f"Grad-CAM of the true class, {args.images} test images per model\n" + render_text(scores_table(named))


def _models(args: argparse.Namespace) -> str:
    return "\n".join([*IMAGENET_MODELS, *CIFAR_MODELS, "cifar_resnetD  (any D = 6n+2 from 8 to 1202)"])


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        out = args.run(args)
    except ValueError as error:  # UserError, and parse_target's ValueError: one line each
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 2
    print(out)
    return 0
