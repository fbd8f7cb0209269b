"""How long does each fine-tuning choice take, and how well does it do, at the transfer page's defaults?

Fine-tunes the shipped Shapes ResNet-20 on each built-in target set (300 training images, 200 held out, 8 epochs,
SGD lr 0.01, batch 32), every choice plus head-only without the normalisation, and prints from one run: trainable
parameters, held-out and training accuracy, seconds per epoch (training only) and that time as a ratio to training
everything.
Usage: python benchmarks/bench_transfer.py [--threads 2] [--target digits] [--device cpu]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from explorer import describe_device, pick_device
from explorer.transfer import targets
from explorer.transfer.finetune import DEFAULT_RUNS, Recipe, fine_tune
from explorer.transfer.sources import SOURCES


def measure(device: torch.device, target_names: list[str], images: int = 300) -> dict[str, object]:
    """Per target set: every default run's trainable parameters, accuracies and training seconds per epoch."""
    source = SOURCES["shapes-resnet20"]
    model = source.load(device)
    figures: dict[str, object] = {"device": describe_device(device), "images": images, "targets": {}}
    for name in target_names:
        target = targets.built_in(name, source.side, images)
        began = time.perf_counter()
        results = fine_tune(source.spec, model, target, DEFAULT_RUNS, Recipe(), device)
        per_epoch = {r.run: sum(p.seconds for p in r.curve[1:]) / (len(r.curve) - 1) for r in results}
        everything = next(per_epoch[r.run] for r in results if r.run.choice == "all" and r.run.normalised)
        figures["targets"][name] = {
            "description": target.description, "seconds": time.perf_counter() - began,
            "runs": [{
                "run": r.run.label, "trainable": r.trainable, "held_out": r.curve[-1].test_accuracy,
                "training": r.curve[-1].train_accuracy, "seconds_per_epoch": per_epoch[r.run],
                "of_everything": per_epoch[r.run] / everything,
            } for r in results],
        }  # fmt: skip
    return figures


def main() -> None:
    """Fine-tune every default run on each target set and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--target", choices=list(targets.TARGETS), action="append")
    parser.add_argument("--device", default="cpu", choices=("auto", "cuda", "mps", "cpu"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    figures = measure(pick_device(args.device), args.target or list(targets.TARGETS))
    for target in figures["targets"].values():
        print(f"{target['description']} — {len(target['runs'])} runs in {target['seconds']:.1f} s "
              f"on {figures['device']} ({args.threads} threads)")  # fmt: skip
        for r in target["runs"]:
            print(f"  {r['run']:58s} {r['trainable']:>8,} params  held out {r['held_out']:6.1%}  "
                  f"training {r['training']:6.1%}  {r['seconds_per_epoch']:.2f} s/epoch "
                  f"(×{r['of_everything']:.2f} of everything)")  # fmt: skip


if __name__ == "__main__":
    main()
