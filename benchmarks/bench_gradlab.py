"""How much does the gradient lab's per-step recording cost, and how fast does the live view update?

Depth 56 (plain-56 and ResNet-56 trained side by side), digits at 8×8, batch 32, SGD, on the
CPU. Two training iterators run at once, one recording the per-layer gradient norms (w.r.t.
block outputs and w.r.t. parameters) and one not; their steps are timed alternately, so both
see the same machine load. Prints, from one run:
  step with recording / step without   (target <= 1.10x)
  live updates per second: one step of both nets plus one redraw of the page's two live figures
  (target >= 4 per second)
Usage: python benchmarks/bench_gradlab.py [--depth 56] [--batch 32] [--image-size 8] [--steps 60] [--threads 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from explorer.gradlab import NETS, GradLabConfig, StepRecord, train
from explorer.gradlab.figures import curves_figure, heatmap_figure


def _timed_step(steps: Iterator[tuple[StepRecord, ...]], history: list[StepRecord]) -> float:
    """Wall time of one step of both nets, in milliseconds; its records are added to ``history``."""
    start = time.perf_counter()
    history.extend(next(steps))
    return (time.perf_counter() - start) * 1000


def _timed_redraw(history: list[StepRecord]) -> float:
    """Wall time of what the page does to redraw: build both live figures and serialise them, in milliseconds."""
    start = time.perf_counter()
    heatmap_figure(history, NETS).to_json()
    curves_figure(history, NETS).to_json()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    """Time recorded and unrecorded steps alternately and print the medians and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=56)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--image-size", type=int, default=8, choices=(8, 16, 32))
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    warmup = 5
    config = GradLabConfig(
        depth=args.depth, batch_size=args.batch, steps=args.steps + warmup, image_size=args.image_size
    )
    recorded, unrecorded = train(config, record=True), train(config, record=False)
    history: list[StepRecord] = []
    for _ in range(warmup):
        history.extend(next(recorded))
        next(unrecorded)
    with_norms, without, redraws = [], [], []
    for _ in range(args.steps):
        with_norms.append(_timed_step(recorded, history))
        without.append(_timed_step(unrecorded, []))
        redraws.append(_timed_redraw(history))
    on, off, redraw = statistics.median(with_norms), statistics.median(without), statistics.median(redraws)
    print(
        f"plain-{args.depth} + ResNet-{args.depth}, digits {args.image_size}×{args.image_size}, batch {args.batch}, "
        f"{torch.get_num_threads()} CPU threads; median of {args.steps} steps"
    )
    print(f"  step of both nets, recording norms  {on:8.1f} ms")
    print(f"  step of both nets, no recording     {off:8.1f} ms")
    print(f"  recording / no recording            {on / off:8.3f}x   (target <= 1.10x)")
    print(f"  training rate, both nets, recording {1000 / on:8.1f} steps/s")
    print(f"  redraw (both live figures, to JSON) {redraw:8.1f} ms at step {args.steps + warmup}")
    print(f"  live updates, one step + one redraw {1000 / (on + redraw):8.1f} per second (target >= 4)")


if __name__ == "__main__":
    main()
