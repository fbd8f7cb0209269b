"""The lesion study's commands: ``lesion`` (delete or swap blocks) and ``paths`` (gradient by path length)."""

from __future__ import annotations

import argparse

from explorer.commandline import add_device_option, render_text, to_json
from explorer.device import describe_device, pick_device
from explorer.errors import check_range
from explorer.lesions import nets, paths, study
from explorer.lesions.lesion import Lesion, error
from explorer.spec import SpecError
from models import ResNet

MAX_PATH_IMAGES = 400  # the smaller test set (digits)


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``lesion`` and ``paths`` to the command parsers."""
    lesion = commands.add_parser("lesion", help="delete or swap blocks of a trained residual and plain net")
    _add_nets_options(lesion)
    lesion.add_argument(
        "--delete", metavar="BLOCKS", help="comma-separated blocks to delete (paper names: conv2_1,conv3_2); "
        "without it, the curve of error against k random deletions",
    )  # fmt: skip
    lesion.add_argument("--swap", action="store_true", help="the curve for k random swaps of neighbouring blocks")
    lesion.add_argument("--draws", type=int, default=study.DEFAULT_DRAWS, help="random draws per k (default 5)")
    lesion.add_argument("--images", type=int, default=None, help="test images the errors are measured on (default all)")
    lesion.add_argument("--seed", type=int, default=0)
    lesion.set_defaults(run=_lesion)
    path = commands.add_parser("paths", help="how much gradient paths of each length carry (Veit et al. 2016)")
    _add_nets_options(path)
    path.add_argument("--samples", type=int, default=paths.DEFAULT_SAMPLES, help="paths measured per length")
    path.add_argument("--images", type=int, default=paths.DEFAULT_IMAGES, help="test images per measurement")
    path.add_argument("--seed", type=int, default=0)
    path.set_defaults(run=_paths)


def _add_nets_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--nets", choices=list(nets.PAIRS), default="shapes-20", help="which trained pair")
    parser.add_argument(
        "--train-steps", type=int, default=nets.DIGITS_STEPS, help="training steps of a digits pair (default 800)"
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    add_device_option(parser)


def parse_blocks(model: ResNet, text: str) -> list[int]:
    """Block indices from comma-separated paper names (``conv2_1,conv3_2``); SpecError names the valid ones."""
    names = model.paper_block_names()
    chosen = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [name for name in chosen if name not in names]
    if unknown:
        raise SpecError(f"no block {', '.join(unknown)}: this net has {names[0]} … {names[-1]}")
    return sorted({names.index(name) for name in chosen})


def _lesion(args: argparse.Namespace) -> str:
    check_range("draws", args.draws, 1, study.MAX_DRAWS)  # before any training
    if args.images is not None:
        check_range("images", args.images, 1, MAX_PATH_IMAGES)
    device = pick_device(args.device)
    found = nets.pair(args.nets, args.train_steps, device)
    test = found.test if args.images is None else found.test.first(args.images)
    if args.delete is not None:
        deleted = parse_blocks(found.residual, args.delete)
        lesion = Lesion.delete(deleted)
        rows = [
            {"net": label, "intact error": error(model, test.images, test.labels),
             "error with the blocks deleted": error(model, test.images, test.labels, lesion)}
            for label, model in found.nets().items()
        ]  # fmt: skip
        names = [found.residual.paper_block_names()[b] for b in deleted]
        if args.json:
            return to_json({"nets": args.nets, "device": describe_device(device), "test": str(test.description),
                            "deleted": names, "errors": rows})  # fmt: skip
        text_rows = [{k: v if isinstance(v, str) else f"{v:.1%}" for k, v in row.items()} for row in rows]
        head = f"{found.description}; deleted: {', '.join(names) or 'none'}; test error on {test.description}"
        return "\n".join([head, render_text(text_rows)])
    kind = "swap" if args.swap else "delete"
    curves = {
        label: study.lesion_curve(model, test.images, test.labels, kind, draws=args.draws, seed=args.seed)
        for label, model in found.nets().items()
    }
    if args.json:
        return to_json(
            {"nets": args.nets, "device": describe_device(device), "kind": kind, "test": str(test.description),
             "chance_error": test.chance_error,
             "curves": {label: [{"k": p.k, "mean": p.mean, "spread": p.spread, "errors": list(p.errors)}
                                for p in points] for label, points in curves.items()}}
        )  # fmt: skip
    column = "blocks deleted" if kind == "delete" else "swaps"
    rows = [
        {column: str(points[0].k), **{f"{label} error": f"{p.mean:.1%} ± {p.spread:.1%}"
                                      for label, p in zip(curves, points, strict=True)}}
        for points in zip(*curves.values(), strict=True)
    ]  # fmt: skip
    head = f"{found.description}; test error on {test.description} (chance {test.chance_error:.0%}), {args.draws} draws"
    return "\n".join([head, render_text(rows)])


def _paths(args: argparse.Namespace) -> str:
    check_range("samples", args.samples, 1, paths.MAX_SAMPLES)
    check_range("images", args.images, 1, MAX_PATH_IMAGES)
    device = pick_device(args.device)
    found = nets.pair(args.nets, args.train_steps, device)
    images, labels = found.test.images[: args.images], found.test.labels[: args.images]
    measured = paths.path_gradients(found.residual, images, labels, args.samples, seed=args.seed)
    n = measured.blocks
    share = paths.path_share(n)
    rows = [
        {"length": k, "share of paths": share[k], "gradient of one path": g, "share of the gradient": t}
        for k, g, t in zip(measured.lengths, measured.per_path(), measured.total(), strict=True)
    ]
    half, most = measured.shortest_holding(0.5), measured.shortest_holding(0.9)
    if args.json:
        return to_json(
            {"nets": args.nets, "net": f"ResNet-{found.depth}", "blocks": n, "device": describe_device(device),
             "lengths": rows, "half_of_gradient_up_to_length": half, "ninety_percent_up_to_length": most}
        )  # fmt: skip
    text_rows = [
        {"length": str(k), "share of paths": f"{share[k]:.2%}", "gradient of one path": f"{g:.3g}",
         "share of the gradient": f"{t:.2%}"}
        for k, g, t in zip(measured.lengths, measured.per_path(), measured.total(), strict=True)
    ]  # fmt: skip
    return "\n".join(
        [
            f"ResNet-{found.depth} ({n} blocks, 2^{n} paths; path lengths average {n / 2:g}), {found.test.description}",
            render_text(text_rows),
            f"half of the gradient comes from paths of length ≤ {half}, 90 % from length ≤ {most}",
        ]
    )
