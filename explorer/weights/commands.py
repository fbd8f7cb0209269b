"""The weights commands: ``weights list`` (what the local cache holds) and ``weights download`` (fill it).

For an offline classroom: run ``python -m explorer weights download`` once on a machine that is
online (or point ``--mirror`` at a folder of the files served on the local network), then copy
torchvision's cache folder (``weights list`` prints it) to the classroom's server.
"""

from __future__ import annotations

import argparse
import sys

from explorer.commandline import render_text, to_json
from explorer.spec import IMAGENET_MODELS, ModelSpec
from explorer.weights import imagenet


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``weights list`` and ``weights download`` to the command parsers."""
    weights = commands.add_parser("weights", help="the ImageNet weights in torchvision's local cache: list, download")
    actions = weights.add_subparsers(dest="action", required=True, parser_class=type(weights))
    listing = actions.add_parser("list", help="every ImageNet model's weights file, and whether it is cached")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(run=_list)
    download = actions.add_parser("download", help="download weights into the cache, with progress")
    download.add_argument("models", nargs="*", default=list(IMAGENET_MODELS), help="default: every ImageNet model")
    download.add_argument("--mirror", metavar="URL", help="a folder URL serving the files under torchvision's names")
    download.set_defaults(run=_download)


def _rows() -> list[dict[str, object]]:
    rows = []
    for name in IMAGENET_MODELS:
        spec = ModelSpec(name)
        member = imagenet.imagenet_weights(spec)
        path = imagenet.cache_path(member)
        rows.append(
            {"model": name, "weights": str(member), "file": path.name, "MB": round(member.meta["_file_size"]),
             "cached": path.is_file(), "path": str(path)}
        )  # fmt: skip
    return rows


def _list(args: argparse.Namespace) -> str:
    rows = _rows()
    if args.json:
        return to_json(rows)
    folder = imagenet.cache_path(imagenet.imagenet_weights(ModelSpec(IMAGENET_MODELS[0]))).parent
    shown = [{k: v for k, v in r.items() if k != "path"} | {"cached": "yes" if r["cached"] else "no"} for r in rows]
    cached = sum(r["cached"] for r in rows)
    return f"torchvision's cache: {folder} ({cached} of {len(rows)} cached)\n{render_text(shown)}"


def _download(args: argparse.Namespace) -> str:
    specs = [ModelSpec(name) for name in args.models]
    lines = []
    for spec in specs:
        member = imagenet.imagenet_weights(spec)
        if member is None:
            lines.append(f"{spec.name}: {imagenet.imagenet_unavailable_reason(spec)}")
            continue
        path = imagenet.cache_path(member)
        if path.is_file():
            lines.append(f"{spec.name}: already cached at {path}")
            continue
        url = f"{args.mirror.rstrip('/')}/{path.name}" if args.mirror else None

        def report(done: int, total: int | None, name: str = path.name) -> None:
            if total:
                bar = "#" * int(30 * done / total)
                print(f"\r{name:<34} [{bar:<30}] {done / 2**20:6.1f} / {total / 2**20:.1f} MB", end="", file=sys.stderr)
            else:
                print(f"\r{name:<34} {done / 2**20:6.1f} MB", end="", file=sys.stderr)

        saved = imagenet.download_imagenet(spec, report, url)
        print(file=sys.stderr)
        lines.append(f"{spec.name}: downloaded to {saved}")
    return "\n".join(lines)
