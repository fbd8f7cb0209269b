"""The GPU check in one go: the device tests, a device audit and the benchmarks that matter on a GPU.

On the device asked for (``--device cuda`` by default; ``--device cpu`` runs the same check on the CPU):
  tests      the tests parametrised over devices, run by pytest on this device only
  audit      the image lab's explanation, a gradient-lab training step and a fine-tuning epoch, each counted
             operator by operator: it fails if any multiply-add ran on another device (a tensor left behind)
  trace      the all-block trace of ResNet-18/50/152 at 224² against one forward+backward, and against captum's
             and pytorch-grad-cam's per-block loops where they are installed
  sessions   benchmarks/bench_sessions.py at 1/4/8/16 sessions, with and without batching
  browser    upload -> Grad-CAM strip in headless Chromium as a ratio of the trace (needs Streamlit and Chromium)
  gradlab    the gradient lab's live training steps per second (plain-56 and ResNet-56 side by side)
  transfer   seconds per fine-tuning epoch of the transfer page's default runs
Writes every figure to one JSON file and prints a short table with the targets. Exits 1 when a test fails, the
audit finds work on another device, the device asked for is absent, or a step breaks; a missed target is
reported, not failed (the CPU meets none of the GPU's). A step that needs what is not installed says so.
Usage: python benchmarks/gpu_check.py [--device cuda] [--out artifacts/gpu-check] [--only STEP ...]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import subprocess
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from explorer import ModelSpec, RandomWeights, describe_device, load_model, pick_device  # noqa: E402
from explorer.architecture.stages import MacCounter  # noqa: E402

DEVICE_TESTS = (  # the test files whose tests are parametrised over the devices present
    "tests/test_gradlab.py", "tests/test_landscape.py", "tests/test_lesions.py", "tests/test_receptive_fields.py",
    "tests/test_trace.py", "tests/test_transfer.py", "tests/test_variants.py", "tests/test_weights.py",
)  # fmt: skip
TARGETS = {  # figure: (what it must be, the bound), from the classroom server's issue; checked on a GPU only
    "trace_ms resnet152": ("<", 30.0),
    "sessions batch_over_queue_8": (">=", 1.5),
    "browser upload_to_strip_over_trace": ("<=", 3.0),
}


class DeviceAudit(MacCounter):
    """Counts this thread's multiply-adds by the device of the tensors they ran on."""

    def __init__(self) -> None:
        super().__init__()
        self.by_device: Counter[str] = Counter()

    def __torch_dispatch__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        before = self.macs
        out = super().__torch_dispatch__(func, types, args, kwargs)
        if self.macs > before:
            tensor = next((a for a in args if isinstance(a, torch.Tensor)), out)
            self.by_device[tensor.device.type] += self.macs - before
        return out


def run_tests(device: torch.device) -> dict[str, object]:
    """Run the tests parametrised over devices on ``device`` alone; their counts (failures fail the check).

    A test file that cannot be imported here (a package missing on a GPU machine) is listed as not collected.
    """
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "--continue-on-collection-errors", *DEVICE_TESTS],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    ids = [line for line in collected.stdout.splitlines() if line.endswith(f"[{device.type}]")]
    not_collected = [line for line in collected.stdout.splitlines() if line.startswith("ERROR ")]
    if not ids:
        raise RuntimeError(f"no test parametrised for {device.type} was collected:\n{collected.stdout[-2000:]}")
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *ids],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    print(ran.stdout[-3000:])
    summary = ran.stdout.strip().splitlines()[-1] if ran.stdout.strip() else ran.stderr[-500:]
    if ran.returncode != 0:
        raise RuntimeError(f"device tests failed on {device.type}: {summary}")
    return {"tests": len(ids), "summary": summary, "not_collected": not_collected}


def _audited(work: Callable[[], object], device: torch.device) -> dict[str, int]:
    """The multiply-adds ``work`` ran, by device; RuntimeError if any ran elsewhere than on ``device``."""
    with DeviceAudit() as audit:
        work()
    elsewhere = {kind: macs for kind, macs in audit.by_device.items() if kind != device.type}
    if not audit.by_device[device.type] or elsewhere:
        raise RuntimeError(f"asked for {device.type}, but multiply-adds ran on {dict(audit.by_device)}")
    return dict(audit.by_device)


def audit(device: torch.device) -> dict[str, object]:
    """Every multiply-add of an image-lab explanation, a gradient-lab step and a fine-tuning epoch ran on ``device``."""
    from PIL import Image

    from explorer.gradlab import GradLabConfig, train
    from explorer.imagelab.explain import explain_batch
    from explorer.transfer import targets
    from explorer.transfer.finetune import DEFAULT_RUNS, Recipe, fine_tune
    from explorer.transfer.sources import SOURCES

    loaded = load_model(ModelSpec("resnet18"), RandomWeights(), device)
    image = Image.new("RGB", (224, 224), (30, 90, 160))

    def explanation() -> None:
        x = torch.randn(1, 3, 224, 224).to(device)
        explain_batch(loaded.model, x, [image], loaded.class_names, [None])[0].overlays()

    steps = train(GradLabConfig(depth=20, steps=2), device=device)
    source = SOURCES["shapes-resnet20"]
    model = source.load(device)
    target = targets.built_in("digits", source.side, 64)
    return {
        "image lab explanation": _audited(explanation, device),
        "gradient lab step": _audited(lambda: next(steps), device),
        "fine-tuning epoch": _audited(
            lambda: fine_tune(source.spec, model, target, DEFAULT_RUNS[:1], Recipe(epochs=1), device), device
        ),
    }


def trace_figures(device: torch.device) -> dict[str, object]:
    """bench_gradcam for ResNet-18/50/152 (the per-block loops of ResNet-152 on a GPU only: minutes on a CPU)."""
    import bench_gradcam

    on_gpu = device.type == "cuda"
    return {
        name: bench_gradcam.measure(name, device, repeats=10 if on_gpu else 3, loops=on_gpu or name != "resnet152")
        for name in ("resnet18", "resnet50", "resnet152")
    }


def session_figures(device: torch.device) -> dict[str, object]:
    """bench_sessions at 1/4/8/16 sessions (two rounds on a GPU, one on a CPU)."""
    import bench_sessions

    return bench_sessions.measure("resnet50", device, [1, 4, 8, 16], rounds=2 if device.type == "cuda" else 1)


def browser_figures(device: torch.device) -> dict[str, object]:
    """bench_imagelab_latency: upload -> strip in headless Chromium, as a ratio of the trace."""
    missing = [
        name for name in ("streamlit", "playwright", "plotly", "captum") if importlib.util.find_spec(name) is None
    ]
    if missing or not Path("/usr/bin/chromium").exists():
        return {"skipped": f"needs {', '.join(missing) or 'Debian chromium at /usr/bin/chromium'}"}
    import bench_imagelab_latency

    return bench_imagelab_latency.measure(device, uploads=3)


def gradlab_figures(device: torch.device) -> dict[str, object]:
    """bench_gradlab: the live training's steps per second, plain-56 and ResNet-56 side by side."""
    import bench_gradlab

    return bench_gradlab.measure(device, steps=30)


def transfer_figures(device: torch.device) -> dict[str, object]:
    """bench_transfer on the digits target: seconds per epoch of every default run."""
    import bench_transfer

    return bench_transfer.measure(device, ["digits"])


STEPS: dict[str, Callable[[torch.device], dict[str, object]]] = {
    "tests": run_tests, "audit": audit, "trace": trace_figures, "sessions": session_figures,
    "browser": browser_figures, "gradlab": gradlab_figures, "transfer": transfer_figures,
}  # fmt: skip


def table(figures: dict[str, Any], on_gpu: bool) -> list[str]:
    """The short table: one line per headline figure, with its target where it has one."""
    lines = []

    def line(label: str, value: object, unit: str = "", key: str | None = None) -> None:
        if value is None:
            return
        shown = f"{value:.2f}{unit}" if isinstance(value, float) else f"{value}{unit}"
        if key in TARGETS:
            sign, bound = TARGETS[key]
            met = {"<": value < bound, "<=": value <= bound, ">=": value >= bound}[sign]
            shown += f"   target {sign} {bound:g}: {('met' if met else 'MISSED') if on_gpu else 'a GPU target'}"
        lines.append(f"  {label:<56} {shown}")

    for name, outcome in figures["steps"].items():
        if "error" in outcome:
            lines.append(f"  {name:<56} FAILED: {outcome['error'].strip().splitlines()[-1]}")
        elif "skipped" in outcome:
            lines.append(f"  {name:<56} skipped: {outcome['skipped']}")
    tests = figures["steps"].get("tests", {})
    line("device tests", tests.get("summary"))
    for missing in tests.get("not_collected", []):
        lines.append(f"  {'device tests not collected':<56} {missing}")
    audited = {k: v for k, v in figures["steps"].get("audit", {}).items() if isinstance(v, dict)}
    if audited:
        line("device audit", f"{len(audited)} jobs, every multiply-add on {figures['asked']}")
    for model, f in figures["steps"].get("trace", {}).items():
        if isinstance(f, dict):
            line(f"{model} trace (all {f['blocks']} blocks), 224²", f["trace_ms"], " ms", f"trace_ms {model}")
            line(f"{model} trace / forward+backward", f["trace_over_forward_backward"], "x")
            line(f"{model} captum loop / trace", f["captum_loop_over_trace"], "x")
            line(f"{model} pytorch-grad-cam loop / trace", f["grad_cam_loop_over_trace"], "x")
    sessions = figures["steps"].get("sessions", {})
    for row in sessions.get("rows", []):
        if row["sessions"] in (8, 16):
            line(f"{row['sessions']} sessions, {row['way']}", row["per_second"], " /s")
    line("8 sessions: queue+batch / queue", sessions.get("batch_over_queue_8"), "x", "sessions batch_over_queue_8")
    browser = figures["steps"].get("browser", {})
    line("upload -> strip in the browser", browser.get("upload_to_strip_ms"), " ms")
    line(
        "upload -> strip / trace", browser.get("upload_to_strip_over_trace"), "x", "browser upload_to_strip_over_trace"
    )
    gradlab = figures["steps"].get("gradlab", {})
    line("gradient lab live training (56, both nets)", gradlab.get("steps_per_second"), " steps/s")
    for target in figures["steps"].get("transfer", {}).get("targets", {}).values():
        for run in target["runs"]:
            line(f"fine-tuning epoch: {run['run'][:37]}", run["seconds_per_epoch"], " s")
    return lines


def main() -> int:
    """Run the steps asked for, write the JSON and the table, and say whether the check passed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", choices=("cuda", "mps", "cpu"))
    parser.add_argument("--out", type=Path, default=ROOT / "artifacts" / "gpu-check")
    parser.add_argument("--only", nargs="+", choices=list(STEPS), help="run only these steps")
    args = parser.parse_args()
    device = pick_device(args.device)  # DeviceError (exit 1) when the device asked for is not here
    figures: dict[str, Any] = {
        "device": describe_device(device), "asked": args.device, "torch": torch.__version__,
        "python": platform.python_version(), "machine": platform.node(), "cpu_threads": torch.get_num_threads(),
        "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
        "when": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "steps": {},
    }  # fmt: skip
    began = time.perf_counter()
    for name in args.only or list(STEPS):
        started = time.perf_counter()
        print(f"==> {name} on {figures['device']}", flush=True)
        try:
            figures["steps"][name] = STEPS[name](device)
        except Exception:  # every step is tried; the check fails at the end, with each failure's traceback
            figures["steps"][name] = {"error": traceback.format_exc()}
            print(figures["steps"][name]["error"], file=sys.stderr, flush=True)
        figures["steps"][name]["seconds"] = time.perf_counter() - started
    figures["seconds"] = time.perf_counter() - began
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{device.type}.json").write_text(json.dumps(figures, indent=1, default=str))
    lines = [f"GPU check on {figures['gpu'] or figures['device']} (torch {figures['torch']}), "
             f"{figures['seconds']:.0f} s", *table(figures, device.type == "cuda")]  # fmt: skip
    (args.out / f"{device.type}.txt").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"figures: {args.out / f'{device.type}.json'}")
    failed = [name for name, outcome in figures["steps"].items() if "error" in outcome]
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
