"""How much does the gradient lab's per-step recording cost, and how fast does the live view update?

Depth 56 (plain-56 and ResNet-56 trained side by side), digits at 8×8, batch 32, SGD, on the
CPU (or --device). Two training iterators run at once, one recording the per-layer gradient norms (w.r.t.
block outputs and w.r.t. parameters) and one not; their steps are timed alternately, so both
see the same machine load. Prints, from one run:
  step with recording / step without   (target <= 1.10x)
  live updates per second: one step of both nets plus one redraw of the page's two live figures
  (target >= 4 per second)
Usage: python benchmarks/bench_gradlab.py [--depth 56] [--batch 32] [--image-size 8] [--steps 60] [--threads 2]
       [--device cpu]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from explorer import describe_device, pick_device
from explorer.gradlab import NETS, GradLabConfig, StepRecord, train


def _timed_step(steps: Iterator[tuple[StepRecord, ...]], history: list[StepRecord], device: torch.device) -> float:
    """Wall time of one step of both nets, in milliseconds; its records are added to ``history``."""
    start = time.perf_counter()
    history.extend(next(steps))
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) * 1000


def _timed_redraw(history: list[StepRecord]) -> float:
    """Wall time of what the page does to redraw: build both live figures and serialise them, in milliseconds."""
    from explorer.gradlab.figures import curves_figure, heatmap_figure

    start = time.perf_counter()
    heatmap_figure(history, NETS).to_json()
    curves_figure(history, NETS).to_json()
    return (time.perf_counter() - start) * 1000


def measure(
    device: torch.device, depth: int = 56, batch: int = 32, steps: int = 60, image_size: int = 8
) -> dict[str, object]:
    """Median step times of both nets with and without recording, and the live view's redraw (None without plotly).

    The two training iterators run at once and their steps are timed alternately, so both see the same load.
    """
    warmup = 5
    config = GradLabConfig(depth=depth, batch_size=batch, steps=steps + warmup, image_size=image_size)
    recorded, unrecorded = train(config, record=True, device=device), train(config, record=False, device=device)
    history: list[StepRecord] = []
    for _ in range(warmup):
        history.extend(next(recorded))
        next(unrecorded)
    with_norms, without, redraws = [], [], []
    plotly = importlib.util.find_spec("plotly") is not None
    for _ in range(steps):
        with_norms.append(_timed_step(recorded, history, device))
        without.append(_timed_step(unrecorded, [], device))
        if plotly:
            redraws.append(_timed_redraw(history))
    on, off = statistics.median(with_norms), statistics.median(without)
    redraw = statistics.median(redraws) if redraws else None
    return {
        "depth": depth, "batch": batch, "image_size": image_size, "steps": steps, "device": describe_device(device),
        "threads": torch.get_num_threads(), "step_recording_ms": on, "step_plain_ms": off,
        "recording_over_plain": on / off, "steps_per_second": 1000 / on, "redraw_ms": redraw,
        "live_updates_per_second": None if redraw is None else 1000 / (on + redraw),
    }  # fmt: skip


def main() -> None:
    """Time recorded and unrecorded steps alternately and print the medians and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=56)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--image-size", type=int, default=8, choices=(8, 16, 32))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu", choices=("auto", "cuda", "mps", "cpu"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    f = measure(pick_device(args.device), args.depth, args.batch, args.steps, args.image_size)
    print(
        f"plain-{args.depth} + ResNet-{args.depth}, digits {args.image_size}×{args.image_size}, batch {args.batch}, "
        f"on {f['device']} ({f['threads']} CPU threads); median of {args.steps} steps"
    )
    print(f"  step of both nets, recording norms  {f['step_recording_ms']:8.1f} ms")
    print(f"  step of both nets, no recording     {f['step_plain_ms']:8.1f} ms")
    print(f"  recording / no recording            {f['recording_over_plain']:8.3f}x   (target <= 1.10x)")
    print(f"  training rate, both nets, recording {f['steps_per_second']:8.1f} steps/s")
    if f["redraw_ms"] is not None:
        print(f"  redraw (both live figures, to JSON) {f['redraw_ms']:8.1f} ms at step {args.steps + 5}")
        print(f"  live updates, one step + one redraw {f['live_updates_per_second']:8.1f} per second (target >= 4)")


if __name__ == "__main__":
    main()
