"""The gradient lab's command: ``gradlab``."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from explorer import gradlab
from explorer.commandline import add_device_option, render_text, to_json
from explorer.device import describe_device, pick_device
from explorer.gradlab import GradLabConfig
from explorer.gradlab.data import DATA_KINDS, IMAGE_SIZES
from explorer.spec import SpecError
from models import ACTIVATIONS, INIT_SCHEMES

DEFAULTS = GradLabConfig()


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``gradlab`` to the command parsers."""
    lab = commands.add_parser("gradlab", help="per-layer gradient norms of a CIFAR-style net (the gradient lab)")
    lab.add_argument("--depth", type=int, default=20, help="6n+2 from 8 to 110 (default 20)")
    lab.add_argument("--plain", action="store_true", help="the plain net (default: residual)")
    lab.add_argument("--no-bn", action="store_true", help="without batch norm")
    lab.add_argument("--preact", action="store_true", help="pre-activation blocks (He et al. 2016)")
    lab.add_argument("--activation", choices=list(ACTIVATIONS), default=DEFAULTS.activation)
    lab.add_argument("--init", choices=list(INIT_SCHEMES), default=DEFAULTS.init)
    lab.add_argument("--optimiser", choices=list(gradlab.OPTIMISERS), default=DEFAULTS.optimiser)
    lab.add_argument("--lr", type=float, default=DEFAULTS.lr, help=f"learning rate (default {DEFAULTS.lr})")
    lab.add_argument("--batch-size", type=int, default=DEFAULTS.batch_size)
    lab.add_argument("--data", choices=list(DATA_KINDS), default=DEFAULTS.data)
    lab.add_argument("--image-size", type=int, choices=list(IMAGE_SIZES), default=gradlab.PROFILE_IMAGE_SIZE)
    lab.add_argument("--steps", type=int, default=0, help="train this many steps and print per-step norms")
    lab.add_argument("--seed", type=int, default=DEFAULTS.seed)
    lab.add_argument("--json", action="store_true", help="machine-readable output")
    add_device_option(lab)
    lab.set_defaults(run=_gradlab)


def _gradlab(args: argparse.Namespace) -> str:
    if args.steps < 0:
        raise SpecError(f"steps must be 0 or more; got {args.steps}")
    config = GradLabConfig(
        depth=args.depth, skip=not args.plain, batch_norm=not args.no_bn, preact=args.preact,
        activation=args.activation, init=args.init, optimiser=args.optimiser, lr=args.lr, batch_size=args.batch_size,
        data=args.data, image_size=args.image_size, steps=max(args.steps, 1), seed=args.seed,
    )  # fmt: skip
    device = pick_device(args.device)
    model = gradlab.build(config, device)
    profile = gradlab.layer_gradients(model, *(t.to(device) for t in gradlab.probe_batch(config)))
    net = "residual" if config.skip else "plain"
    records = list(gradlab.train(config, {net: model})) if args.steps else []
    ratio = gradlab.first_to_last_ratio(profile)
    relative = gradlab.first_to_last_ratio(profile, "relative")
    if args.json:
        ratios = {"first_to_last_signal_ratio": ratio, "first_to_last_relative_ratio": relative}
        return to_json(
            {
                "config": asdict(config) | {"steps": args.steps},
                "device": describe_device(device),
                "at_initialisation": asdict(profile) | ratios,
                "steps": [asdict(r[0]) for r in records],
            }
        )
    label = gradlab.net_label(config.skip, config.depth)
    rows = [
        {"layer": g.name, "‖∂L/∂a‖": f"{g.signal:.3g}", "‖∂L/∂W‖/‖W‖": f"{g.relative:.3g}",
         "activation std": f"{g.activation_std:.3g}"}
        for g in profile.layers
    ]  # fmt: skip
    lines = [
        f"{label}, {args.activation}, {args.init} init, {'BN' if config.batch_norm else 'no BN'}"
        f"{', pre-activation' if config.preact else ''} on {describe_device(device)}: at initialisation"
    ]
    lines += [
        render_text(rows),
        f"backward signal ‖∂L/∂a‖, first block ÷ last block: {ratio:.3g} (it {gradlab.trend(ratio)})",
        f"what moves a layer ‖∂L/∂W‖/‖W‖, first block ÷ last block: {relative:.3g}",
    ]
    if records:
        steps = [
            {"step": r.step, "loss": f"{r.loss:.4f}", "batch accuracy": f"{r.accuracy:.1%}",
             "signal first ÷ last": f"{r.signal[0] / r.signal[-1]:.3g}"}
            for (r,) in records
        ]  # fmt: skip
        lines += ["", f"training, {args.steps} steps", render_text(steps)]
    return "\n".join(lines)
