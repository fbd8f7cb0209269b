"""What every command of ``python -m explorer`` shares: one-line errors, the model options, text tables."""

from __future__ import annotations

import argparse
import json
import math
from typing import NoReturn

from explorer.device import DEVICE_CHOICES
from explorer.spec import ModelSpec
from models import SHORTCUT_OPTIONS


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are a single line."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """The options that choose a model variant (and ``--json``), shared by every command that builds one."""
    parser.add_argument(
        "--input-size", type=int, default=None, metavar="N", help="square input side (default 224, CIFAR 32)"
    )
    parser.add_argument("--plain", action="store_true", help="remove the shortcuts (the plain counterpart)")
    parser.add_argument(
        "--shortcut",
        choices=list(SHORTCUT_OPTIONS),
        help=", ".join(f"{option} {words}" for option, words in SHORTCUT_OPTIONS.items()),
    )
    parser.add_argument(
        "--paper-stride", action="store_true", help="bottleneck stride on the first 1x1 conv (paper, v1)"
    )
    parser.add_argument("--preact", action="store_true", help="pre-activation blocks (He et al. 2016)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def add_device_option(parser: argparse.ArgumentParser) -> None:
    """``--device``: where models run (``auto`` picks CUDA, then MPS, then the CPU)."""
    parser.add_argument(
        "--device", choices=list(DEVICE_CHOICES), default="auto", help="where models run (default auto: CUDA, MPS, CPU)"
    )


def spec_from_args(name: str, args: argparse.Namespace) -> ModelSpec:
    """The spec that ``name`` and the model options describe."""
    return ModelSpec(
        name, skip=not args.plain, shortcut=args.shortcut, stride_in_1x1=args.paper_stride, preact=args.preact
    )


def to_json(value: object) -> str:
    """``value`` as indented, strictly valid JSON: a NaN or infinite number becomes ``null``."""
    return json.dumps(_finite(value), indent=2, allow_nan=False)


def _finite(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def render_text(rows: list[dict[str, object]]) -> str:
    """Rows of strings as an aligned plain-text table (for the terminal)."""
    headers = list(rows[0])
    cells = [[str(r.get(h, "")) for h in headers] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    return "\n".join(lines)
