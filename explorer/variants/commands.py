"""The variants page's command: ``variants``."""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image

from explorer.architecture.stages import format_count
from explorer.commandline import add_device_option, render_text, to_json
from explorer.device import describe_device, pick_device
from explorer.images import SAMPLES, ImageError, load_image, load_sample
from explorer.variants import reading
from explorer.variants.catalogue import VARIANTS, check_keys
from explorer.variants.compare import compare_variant, shapes_test_image


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``variants`` to the command parsers."""
    parser = commands.add_parser("variants", help="two to four variants on one image: predictions, cost, latency")
    parser.add_argument("variants", nargs="+", metavar="VARIANT", help=f"two to four of {', '.join(VARIANTS)}")
    parser.add_argument("--image", default="shapes:0",
                        help="an image file, sample:NAME (a bundled photo) or shapes:N (a Shapes test image); "
                             "default shapes:0")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    add_device_option(parser)
    parser.set_defaults(run=_variants)


def _image(argument: str) -> Image.Image:
    kind, _, rest = argument.partition(":")
    if kind == "shapes" and rest:
        if not rest.isdigit() or int(rest) > 99_999:
            raise ImageError(f"a Shapes test image is shapes:N with N from 0 to 99999; got {argument!r}")
        return shapes_test_image(int(rest))
    if kind == "sample" and rest:
        if rest not in SAMPLES:
            raise ImageError(f"no sample photo {rest!r}: choose one of {', '.join(SAMPLES)}")
        return load_sample(rest)
    path = Path(argument)
    if not path.is_file():
        raise ImageError(f"no image file at {argument!r} (or give sample:NAME or shapes:N)")
    return load_image(path.read_bytes(), path.name)


def _variants(args: argparse.Namespace) -> str:
    chosen = check_keys(args.variants)
    image = _image(args.image)  # both checked before any model is built
    device = pick_device(args.device)
    views = [compare_variant(net, net.load(device), image) for net in chosen]
    if args.json:
        return to_json(
            {"image": args.image, "device": describe_device(device), "variants": [v.summary() for v in views]}
        )
    rows = [
        {"variant": v.name, "top class": f"{v.predictions[0].name} ({v.predictions[0].probability:.0%})",
         "params": format_count(v.params), "MACs": format_count(v.macs), "latency": f"{v.latency_ms:.1f} ms"}
        for v in views
    ]  # fmt: skip
    return f"{render_text(rows)}\n{reading.comparison_reading(views).replace('**', '')}"
