"""How long does a loss landscape take at the page's defaults, and is the cost the page announces right?

For the digits pair (trained once and kept on disk; the first run trains it) and the shipped Shapes pair,
prints from one run: the page's estimate (one timed loss × the number of losses), the measured time of
the 1-D line and of the 2-D plane (11 × 11, ±1, 512 training images, both nets), and measured ÷ estimate.
Usage: python benchmarks/bench_landscape.py [--depth 56] [--resolution 11] [--threads 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from explorer.landscape import runs
from explorer.landscape.slices import BATCH_IMAGES, RESOLUTIONS, loss_at
from explorer.lesions import nets


def _bench(name: str, resolution: int) -> None:
    pair = nets.pair(name)
    train = nets.training_sample(name, BATCH_IMAGES)
    tries = []
    for _ in range(2):
        began = time.perf_counter()
        loss_at(pair.residual, train.images, train.labels)
        tries.append(time.perf_counter() - began)
    one = min(tries)
    print(f"{pair.description}; one loss on {train.description}: {1000 * one:.0f} ms")
    for kind in ("line", "plane"):
        settings = runs.LandscapeSettings(name, kind, resolution)
        estimate = 2 * settings.points * one
        began = time.perf_counter()
        runs.landscape(pair, train, settings)
        took = time.perf_counter() - began
        print(f"  {kind} {resolution}{'' if kind == 'line' else f' × {resolution}'}, both nets: {took:.1f} s "
              f"(the page announced {estimate:.1f} s; measured ÷ announced {took / estimate:.2f})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=56, choices=list(nets.DIGITS_DEPTHS))
    parser.add_argument("--resolution", type=int, default=runs.DEFAULT_RESOLUTION, choices=list(RESOLUTIONS))
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    _bench(f"digits-{args.depth}", args.resolution)
    _bench("shapes-20", args.resolution)


if __name__ == "__main__":
    main()
