"""The gradient lab's command: ``gradlab``."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

from explorer import gradlab
from explorer.commandline import render_text
from explorer.gradlab import GradLabConfig
from explorer.spec import SpecError


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``gradlab`` to the command parsers."""
    flow = commands.add_parser("gradlab", help="per-layer gradient norms of a CIFAR-style net (the gradient lab)")
    flow.add_argument("--depth", type=int, default=20, help="6n+2 from 8 to 110 (default 20)")
    flow.add_argument("--plain", action="store_true", help="the plain net (default: residual)")
    flow.add_argument("--no-bn", action="store_true", help="without batch norm")
    flow.add_argument("--activation", choices=["relu", "tanh", "sigmoid"], default="relu")
    flow.add_argument("--init", choices=["he", "xavier", "default"], default="he")
    flow.add_argument("--data", choices=["digits", "random"], default="digits")
    flow.add_argument("--image-size", type=int, choices=[8, 16, 32], default=gradlab.PROFILE_IMAGE_SIZE)
    flow.add_argument("--steps", type=int, default=0, help="train this many steps and print per-step norms")
    flow.add_argument("--seed", type=int, default=0)
    flow.add_argument("--json", action="store_true", help="machine-readable output")
    flow.set_defaults(run=_gradlab)


def _gradlab(args: argparse.Namespace) -> str:
    config = GradLabConfig(
        depth=args.depth, skip=not args.plain, batch_norm=not args.no_bn, activation=args.activation, init=args.init,
        data=args.data, image_size=args.image_size, steps=max(args.steps, 1), seed=args.seed,
    )  # fmt: skip
    if args.steps < 0:
        raise SpecError(f"steps must be 0 or more; got {args.steps}")
    model = gradlab.build(config)
    profile = gradlab.layer_gradients(model, *gradlab.probe_batch(config))
    net = "residual" if config.skip else "plain"
    records = list(gradlab.train(config, {net: model})) if args.steps else []
    ratio = gradlab.first_to_last_ratio(profile)
    if args.json:
        return json.dumps(
            {
                "config": asdict(config) | {"steps": args.steps},
                "at_initialisation": asdict(profile) | {"first_to_last_signal_ratio": ratio},
                "steps": [asdict(r[0]) for r in records],
            },
            indent=2,
        )
    label = gradlab.net_label(config.skip, config.depth)
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
