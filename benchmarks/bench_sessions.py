"""Many sessions at once: N students ask for an explanation at the same moment.

Each of N threads plays a session of the image lab: it asks for the Grad-CAM explanation of its
own image (random weights, the model's own input size: 224² for ResNet-50) and renders its
overlays, as the page does. Three
ways to serve them are measured in one run, for N = 1, 4, 8, 16:

  free for all   every session computes at once in its own thread (the app before the queue)
  queue          one admission queue, one job at a time, no batching
  queue+batch    one admission queue, the traces waiting together run as one batch (the app now)

and prints throughput (explanations per second) and p50 / p95 latency (request to overlays), and
the 8-session throughput of queue+batch over queue and over free for all (target >= 1.5x).
Usage: python benchmarks/bench_sessions.py [--model resnet50] [--sessions 1 4 8 16] [--rounds 2] [--device auto]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from explorer import ModelSpec, RandomWeights, describe_device, load_model, pick_device
from explorer.imagelab.explain import Explanation, explain_batch
from explorer.jobs import JobQueue
from explorer.render import jpeg_bytes


def serve_round(sessions: int, ask: Callable[[int], Explanation]) -> tuple[float, list[float]]:
    """Start ``sessions`` threads at once; the wall time and each session's latency."""
    barrier = threading.Barrier(sessions + 1)
    latencies = [0.0] * sessions

    def session(i: int) -> None:
        barrier.wait()
        start = time.perf_counter()
        result = ask(i)
        for picture in result.overlays().values():
            jpeg_bytes(picture)
        latencies[i] = time.perf_counter() - start

    threads = [threading.Thread(target=session, args=(i,)) for i in range(sessions)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start, latencies


def percentile(values: list[float], share: float) -> float:
    """The ``share`` quantile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


WAYS = ("free for all", "queue", "queue+batch")


def measure(model_name: str, device: torch.device, sessions: list[int], rounds: int = 2) -> dict[str, object]:
    """Throughput (explanations per second) and p50 / p95 latency (ms) of each way of serving, per session count."""
    spec = ModelSpec(model_name)
    side = spec.default_input_size
    loaded = load_model(spec, RandomWeights(), device)
    torch.manual_seed(0)
    inputs = [torch.randn(1, 3, side, side) for _ in range(max(sessions))]
    images = [Image.new("RGB", (side, side), (10 * i, 80, 160)) for i in range(len(inputs))]

    def run_batch(items: list[int]) -> list[Explanation]:
        x = torch.cat([inputs[i] for i in items]).to(device)
        return explain_batch(loaded.model, x, [images[i] for i in items], loaded.class_names, [None] * len(items))

    def alone(i: int) -> Explanation:
        return run_batch([i])[0]

    def queued() -> Callable[[int], Explanation]:
        queue = JobQueue(1, 1, 0.0)
        return lambda i: queue.submit(lambda: alone(i)).result()

    def batched() -> Callable[[int], Explanation]:
        queue = JobQueue(1, 16, 0.02)
        return lambda i: queue.submit_batched("m", i, run_batch).result()

    makers: dict[str, Callable[[], Callable[[int], Explanation]]] = dict(
        zip(WAYS, (lambda: alone, queued, batched), strict=True)
    )
    serve_round(2, alone)  # warm-up
    rows = []
    for count in sessions:
        for way, make in makers.items():
            ask = make()
            walls, latencies = [], []
            for _ in range(rounds):
                wall, waited = serve_round(count, ask)
                walls.append(wall)
                latencies += waited
            rows.append({
                "sessions": count, "way": way, "per_second": count * rounds / sum(walls),
                "p50_ms": 1000 * statistics.median(latencies), "p95_ms": 1000 * percentile(latencies, 0.95),
            })  # fmt: skip
    figures: dict[str, object] = {
        "model": spec.label, "side": side, "device": describe_device(device), "rounds": rounds, "rows": rows,
    }  # fmt: skip
    rate = {(row["sessions"], row["way"]): row["per_second"] for row in rows}
    if 8 in sessions:
        figures["batch_over_queue_8"] = rate[8, "queue+batch"] / rate[8, "queue"]
        figures["batch_over_free_8"] = rate[8, "queue+batch"] / rate[8, "free for all"]
    return figures


def main() -> None:
    """Measure every way at every session count and print the table and the 8-session gains."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="resnet50")
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 4, 8, 16])
    parser.add_argument("--rounds", type=int, default=2, help="rounds per setting (latencies pooled)")
    parser.add_argument("--device", default="auto", choices=("auto", "cuda", "mps", "cpu"))
    args = parser.parse_args()
    figures = measure(args.model, pick_device(args.device), args.sessions, args.rounds)
    print(f"{figures['model']} at {figures['side']}², random weights, on {figures['device']}; "
          f"{args.rounds} rounds per setting")  # fmt: skip
    print(f"{'sessions':>8}  {'way':<13} {'per second':>10} {'p50 ms':>8} {'p95 ms':>8}")
    for row in figures["rows"]:
        print(f"{row['sessions']:>8}  {row['way']:<13} {row['per_second']:>10.2f} {row['p50_ms']:>8.0f} "
              f"{row['p95_ms']:>8.0f}")  # fmt: skip
    if "batch_over_queue_8" in figures:
        print(f"8 sessions: queue+batch / queue {figures['batch_over_queue_8']:.2f}x, "
              f"/ free for all {figures['batch_over_free_8']:.2f}x (target >= 1.5x)")  # fmt: skip


if __name__ == "__main__":
    main()
