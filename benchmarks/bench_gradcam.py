"""How fast is the one-pass Grad-CAM trace? ResNet-50 at 224², batch 1, on the current device.

Measures, in one run and one process:
  forward            one forward pass (no graph)
  forward+backward   one forward and one backward pass of the target score (weight gradients included)
  trace              explorer.trace.trace: every block's input, F(x), shortcut, output and gradient
  captum loop        captum LayerGradCam(relu_attributions=True) called once per residual block
  grad-cam loop      pytorch-grad-cam's GradCAM called once per residual block, where it is installed

and prints the ratios the image lab is held to: trace <= 1.3x forward+backward, >= 8x faster than
the captum loop. Usage: python benchmarks/bench_gradcam.py [--model resnet50] [--repeats 10] [--device auto]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from explorer import ModelSpec, describe_device, pick_device
from explorer.trace import block_cams, trace

TARGET = 207  # the class explained (any class does: the weights are random)


def timed_ms(fn: Callable[[], object], device: torch.device, repeats: int) -> float:
    """Median wall time of ``fn`` in milliseconds, after one warm-up call (the device synchronised around each)."""
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


def measure(
    model_name: str, device: torch.device, repeats: int = 10, side: int = 224, loops: bool = True
) -> dict[str, object]:
    """Median milliseconds of a forward, a forward+backward, the all-block trace and the per-block loops.

    The loops (captum's LayerGradCam; pytorch-grad-cam's GradCAM) are None where the package is not installed, or
    with ``loops=False``.
    """
    torch.manual_seed(0)
    model = ModelSpec(model_name).build(device)
    x = torch.randn(1, 3, side, side, device=device)
    blocks = dict(model.blocks())

    def forward() -> None:
        with torch.no_grad():
            model(x)

    def forward_backward() -> None:
        model.zero_grad(set_to_none=True)
        model(x)[0, TARGET].backward()

    def one_pass() -> None:
        block_cams(trace(model, x, TARGET))

    def captum_loop() -> None:
        from captum.attr import LayerGradCam

        for block in blocks.values():  # a private model here: captum's hooks reach no one else's passes
            LayerGradCam(model, block).attribute(x, target=TARGET, relu_attributions=True)

    def grad_cam_loop() -> None:
        from pytorch_grad_cam import GradCAM
        from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

        for block in blocks.values():
            with GradCAM(model=model, target_layers=[block]) as cam:
                cam(input_tensor=x, targets=[ClassifierOutputTarget(TARGET)])

    loop_repeats = max(3, repeats // 3)

    def installed(name: str) -> bool:
        return loops and importlib.util.find_spec(name) is not None

    figures: dict[str, object] = {
        "model": model_name, "side": side, "blocks": len(blocks), "device": describe_device(device),
        "forward_ms": timed_ms(forward, device, repeats),
        "forward_backward_ms": timed_ms(forward_backward, device, repeats),
        "trace_ms": timed_ms(one_pass, device, repeats),
        "captum_loop_ms": timed_ms(captum_loop, device, loop_repeats) if installed("captum") else None,
        "grad_cam_loop_ms": timed_ms(grad_cam_loop, device, loop_repeats) if installed("pytorch_grad_cam") else None,
    }  # fmt: skip
    figures["trace_over_forward_backward"] = figures["trace_ms"] / figures["forward_backward_ms"]
    for loop in ("captum_loop", "grad_cam_loop"):
        took = figures[f"{loop}_ms"]
        figures[f"{loop}_over_trace"] = None if took is None else took / figures["trace_ms"]
    return figures


def main() -> None:
    """Run the measurements and print a small table of times and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="resnet50")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--device", default="auto", choices=("auto", "cuda", "mps", "cpu"))
    args = parser.parse_args()
    figures = measure(args.model, pick_device(args.device), args.repeats)
    print(f"{args.model} at 224×224, batch 1, on {figures['device']}; median of {args.repeats} runs")
    blocks = figures["blocks"]
    rows = (
        ("forward", "forward_ms"), ("forward+backward", "forward_backward_ms"), ("trace (all blocks)", "trace_ms"),
        (f"captum loop ({blocks} blocks)", "captum_loop_ms"), (f"grad-cam loop ({blocks} blocks)", "grad_cam_loop_ms"),
    )  # fmt: skip
    for label, key in rows:
        ms = figures[key]
        print(f"  {label:<26} {'not installed' if ms is None else f'{ms:9.1f} ms'}")
    print(f"  trace / forward+backward   {figures['trace_over_forward_backward']:9.2f}x   (target <= 1.30x)")
    if figures["captum_loop_over_trace"] is not None:
        print(f"  captum loop / trace        {figures['captum_loop_over_trace']:9.2f}x   (target >= 8x)")


if __name__ == "__main__":
    main()
