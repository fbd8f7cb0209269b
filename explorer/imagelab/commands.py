"""The image lab's command: ``explain``."""

from __future__ import annotations

import argparse
from pathlib import Path

from explorer import storage
from explorer.commandline import add_device_option, add_model_options, spec_from_args, to_json
from explorer.device import describe_device, pick_device
from explorer.imagelab.explain import explain, parse_target
from explorer.images import ImageError, load_image, prepare
from explorer.provenance import png_bytes
from explorer.spec import check_input_size
from explorer.weights import SOURCES, load_model, source_from_argument


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``explain`` to the command parsers."""
    explaining = commands.add_parser("explain", help="predictions and Grad-CAM of every residual block for an image")
    explaining.add_argument("image", help="a JPEG, PNG, WebP, BMP, GIF or TIFF file")
    explaining.add_argument("--model", default="resnet50", help="model name (default resnet50)")
    explaining.add_argument(
        "--weights",
        default="imagenet",
        help=f"{', '.join(SOURCES)} or the path of a checkpoint file (default imagenet)",
    )
    explaining.add_argument("--target", help="class to explain, by index or name (default: the top prediction)")
    explaining.add_argument("--out", required=True, metavar="DIR", help="folder for the overlays and the summary")
    explaining.add_argument("--shared-scale", action="store_true", help="one colour scale for all blocks")
    add_model_options(explaining)
    add_device_option(explaining)
    explaining.set_defaults(run=_explain)


def _explain(args: argparse.Namespace) -> str:
    spec = spec_from_args(args.model, args)
    size = check_input_size(spec.family, spec.default_input_size if args.input_size is None else args.input_size)
    path = Path(args.image)
    if not path.is_file():
        raise ImageError(f"no image file at {args.image!r}")
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ImageError(f"cannot write to {out}: {error.strerror or error}") from error
    image = load_image(path.read_bytes(), path.name)
    device = pick_device(args.device)
    loaded = load_model(spec, source_from_argument(args.weights), device)
    target = None if args.target is None else parse_target(args.target, loaded.class_names)
    x, seen = prepare(image, size)
    result = explain(loaded.model, x.to(device), seen, loaded.class_names, target)
    try:
        storage.write(out / "input.png", png_bytes(seen, {"image": str(path), "input_size": size}))
        details = {
            "image": str(path),
            "model": str(loaded.spec.label),
            "weights": str(loaded.label),
            "trained": loaded.trained,
            "device": describe_device(device),
            "input_size": size,
            "colour_scale": "one for all blocks" if args.shared_scale else "each block its own",
        }
        explained = details | {"explained class": f"{result.target_name} ({result.target})"}
        for i, (name, picture) in enumerate(result.overlays(args.shared_scale).items(), start=1):
            storage.write(out / f"gradcam_{i:02d}_{name}.png", png_bytes(picture, explained))
        storage.write(out / "blocks.csv", result.stats_csv(explained))
        summary = {**details, **result.summary()}
        storage.write(out / "summary.json", to_json(summary))
    except OSError as error:
        raise ImageError(f"cannot write to {out}: {error.strerror or error}") from error
    if args.json:
        return to_json(summary)
    lines = [
        f"{loaded.spec.label} with {loaded.label}",
        f"explaining: {result.target_name} ({result.target})",
        "top 5:",
    ]
    lines += [f"  {p.probability:7.2%}  {p.name} ({p.index})" for p in result.predictions()]
    lines.append(f"{len(result.stats)} Grad-CAM overlays, blocks.csv and summary.json written to {out}")
    return "\n".join(lines)
