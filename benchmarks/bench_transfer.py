"""How long does each fine-tuning choice take, and how well does it do, at the transfer page's defaults?

Fine-tunes the shipped Shapes ResNet-20 on each built-in target set (300 training images, 200 held out, 8 epochs,
SGD lr 0.01, batch 32), every choice plus head-only without the normalisation, and prints from one run: trainable
parameters, held-out and training accuracy, seconds per epoch (training only) and that time as a ratio to training
everything.
Usage: python benchmarks/bench_transfer.py [--threads 2] [--target digits]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from explorer.transfer import targets
from explorer.transfer.finetune import DEFAULT_RUNS, Recipe, fine_tune
from explorer.transfer.sources import SOURCES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--target", choices=list(targets.TARGETS), action="append")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    source = SOURCES["shapes-resnet20"]
    model = source.load()
    for name in args.target or list(targets.TARGETS):
        target = targets.built_in(name, source.side, 300)
        began = time.perf_counter()
        results = fine_tune(source.spec, model, target, DEFAULT_RUNS, Recipe())
        print(f"{target.description} — {len(results)} runs in {time.perf_counter() - began:.1f} s "
              f"({args.threads} threads)")  # fmt: skip
        per_epoch = {r.run: sum(p.seconds for p in r.curve[1:]) / (len(r.curve) - 1) for r in results}
        everything = next(per_epoch[r.run] for r in results if r.run.choice == "all" and r.run.normalised)
        for r in results:
            print(f"  {r.run.label:58s} {r.trainable:>8,} params  held out {r.curve[-1].test_accuracy:6.1%}  "
                  f"training {r.curve[-1].train_accuracy:6.1%}  {per_epoch[r.run]:.2f} s/epoch "
                  f"(×{per_epoch[r.run] / everything:.2f} of everything)")  # fmt: skip


if __name__ == "__main__":
    main()
