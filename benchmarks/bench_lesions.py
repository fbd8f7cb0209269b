"""How long do the lesion page's computations take, at the page's defaults?

On the digits pair (ResNet-D and plain-D, trained once and kept on disk: the first run trains them and
reports that time too) and on the shipped Shapes pair, prints from one run:
  the lesion curve (k random deletions, 5 draws per k, both nets) and its time per evaluation
  the gradient by path length (16 paths per length, 32 images), batched in one pass per length, against
  the same paths measured one at a time (ratio: one at a time / batched)
Usage: python benchmarks/bench_lesions.py [--depth 56] [--threads 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from explorer.lesions import nets, paths, study


def _seconds(job) -> tuple[float, object]:
    start = time.perf_counter()
    result = job()
    return time.perf_counter() - start, result


def _curve(pair: nets.TrainedPair) -> None:
    evaluations, total = 0, 0.0
    for label, model in pair.nets().items():
        lesions = study.random_lesions(model, "delete", study.curve_ks(model, "delete"), study.DEFAULT_DRAWS, 0)
        seconds, points = _seconds(lambda m=model, ls=lesions: list(study.curve_steps(m, pair.test.images,
                                                                               pair.test.labels, ls))[-1])  # fmt: skip
        evaluations, total = evaluations + len(lesions), total + seconds
        one = next(p for p in points if p.k > 0)
        print(f"  {label}: intact {points[0].mean:.1%}, k={one.k} {one.mean:.1%} ± {one.spread:.1%}, "
              f"k={points[-1].k} {points[-1].mean:.1%}  ({len(lesions)} evaluations, {seconds:.1f} s)")  # fmt: skip
    print(f"  lesion curve, both nets: {total:.1f} s, {1000 * total / evaluations:.0f} ms per evaluation "
          f"of {len(pair.test.labels)} images")  # fmt: skip


def _paths(pair: nets.TrainedPair) -> None:
    model = pair.residual
    x, y = pair.test.images[: paths.DEFAULT_IMAGES], pair.test.labels[: paths.DEFAULT_IMAGES]
    batched, measured = _seconds(lambda: paths.path_gradients(model, x, y, paths.DEFAULT_SAMPLES))
    n = measured.blocks
    half = measured.shortest_holding(0.5)
    some = [n // 2, n // 2 + 1]  # one at a time, for two lengths only (it is slow), scaled to all lengths
    single, _ = _seconds(lambda: [paths.path_gradient(model, x, y, [list(range(k))]) for k in some
                                  for _ in range(paths.DEFAULT_SAMPLES)])  # fmt: skip
    single_all = single / len(some) * (n + 1)
    print(f"  paths: {batched:.1f} s batched ({paths.DEFAULT_SAMPLES} per length, {n + 1} lengths); one at a time "
          f"≈ {single_all:.1f} s (×{single_all / batched:.2f}); half the gradient from length ≤ {half} "
          f"of {n}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=56, choices=list(nets.DIGITS_DEPTHS))
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    name = f"digits-{args.depth}"
    was_ready = nets.ready(name)
    seconds, pair = _seconds(lambda: nets.pair(name))
    print(f"{pair.description}: {'loaded from disk' if was_ready else 'trained'} in {seconds:.1f} s "
          f"({args.threads} threads)")  # fmt: skip
    _curve(pair)
    _paths(pair)
    shapes = nets.pair("shapes-20")
    print(shapes.description)
    _curve(shapes)
    _paths(shapes)


if __name__ == "__main__":
    main()
