"""How fast is the one-pass Grad-CAM trace? ResNet-50 at 224², batch 1, on the current device.

Measures, in one run and one process:
  forward            one forward pass (no graph)
  forward+backward   one forward and one backward pass of the target score (weight gradients included)
  trace              explorer.trace.trace: every block's input, F(x), shortcut, output and gradient
  captum loop        captum LayerGradCam(relu_attributions=True) called once per residual block

and prints the ratios the image lab is held to: trace <= 1.3x forward+backward, >= 8x faster than
the captum loop. Usage: python benchmarks/bench_gradcam.py [--model resnet50] [--repeats 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from explorer import ModelSpec, describe_device, pick_device
from explorer.trace import block_cams, trace


def _timed(fn: Callable[[], object], device: torch.device, repeats: int) -> float:
    """Median wall time of ``fn`` in milliseconds, after one warm-up call."""
    fn()
    samples = []
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    """Run the measurements and print a small table of times and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="resnet50")
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    device = pick_device()
    torch.manual_seed(0)
    model = ModelSpec(args.model).build(device)
    x = torch.randn(1, 3, 224, 224, device=device)
    target = 207
    names = [name for name, _ in model.blocks()]

    def forward() -> None:
        with torch.no_grad():
            model(x)

    def forward_backward() -> None:
        model.zero_grad(set_to_none=True)
        model(x)[0, target].backward()

    def one_pass() -> None:
        block_cams(trace(model, x, target))

    def captum_loop() -> None:
        from captum.attr import LayerGradCam

        blocks = dict(model.blocks())
        for name in names:  # a private model here: captum's hooks reach no one else's passes
            LayerGradCam(model, blocks[name]).attribute(x, target=target, relu_attributions=True)

    times = {
        "forward": _timed(forward, device, args.repeats),
        "forward+backward": _timed(forward_backward, device, args.repeats),
        "trace (all blocks)": _timed(one_pass, device, args.repeats),
        f"captum loop ({len(names)} blocks)": _timed(captum_loop, device, max(3, args.repeats // 3)),
    }
    print(f"{args.model} at 224×224, batch 1, on {describe_device(device)}; median of {args.repeats} runs")
    for label, ms in times.items():
        print(f"  {label:<26} {ms:9.1f} ms")
    fb, tr, cl = times["forward+backward"], times["trace (all blocks)"], times[f"captum loop ({len(names)} blocks)"]
    print(f"  trace / forward+backward   {tr / fb:9.2f}x   (target <= 1.30x)")
    print(f"  captum loop / trace        {cl / tr:9.2f}x   (target >= 8x)")


if __name__ == "__main__":
    main()
