"""The shared model is read-only by construction.

Every kind of job a session can run — the trace, each attribution method, lesions, paths, the loss landscape,
effective fields, variants, fine-tuning and seeded builds — runs against one shared model from several threads at
once, through a job queue of ``EXPLORER_JOBS`` = 4 workers, while other threads run plain forward passes of the
same model. Every result must equal the one computed alone, bit for bit, every forward pass must see the trained
weights, and the model must come out exactly as it went in: weights, buffers, hooks, flags, modes.
"""

import dataclasses
import random
import threading
from collections.abc import Callable

import numpy as np
import pytest
import torch

from explorer import catalogue
from explorer.architecture.stages import stage_table
from explorer.imagelab.attribution import METHODS, input_attribution
from explorer.images import normalise
from explorer.jobs import JobQueue
from explorer.landscape.slices import Probe, axis, direction, line_steps
from explorer.lesions import paths, study
from explorer.receptive_fields.effective import effective_fields
from explorer.settings import Settings
from explorer.shapes import dataset
from explorer.trace import block_cams, trace
from explorer.transfer import targets
from explorer.transfer.finetune import Recipe, Run, run_steps
from explorer.variants.compare import compare_variant, shapes_test_image
from explorer.weights import RandomWeights, load_model, random_model
from models import ResNet

NET = catalogue.NETS["shapes-resnet20"]
TIMINGS = {"latency_ms", "seconds"}  # measured times differ from run to run by nature; everything else may not


@pytest.fixture(scope="module")
def shared() -> ResNet:
    """The shipped Shapes ResNet-20 as every session shares it (frozen, eval mode)."""
    return load_model(NET.spec, NET.source).model


@pytest.fixture(scope="module")
def data() -> dict:
    images, labels = dataset.arrays(dataset.ShapesConfig(seed=1, size=32), 0, 16)
    return {"x": normalise(images), "y": torch.from_numpy(labels), "digits": targets.built_in("digits", 32, 48)}


def fingerprint(model: ResNet) -> dict:
    """Everything a job could change about a model: tensors (values and storage), hooks, flags and modes."""
    hooks = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks", "_state_dict_hooks",
             "_load_state_dict_pre_hooks")  # fmt: skip
    return {
        "tensors": {k: (v.clone(), v.data_ptr()) for k, v in model.state_dict(keep_vars=True).items()},
        "grads": [p.grad for p in model.parameters()],
        "requires_grad": [p.requires_grad for p in model.parameters()],
        "training": [m.training for m in model.modules()],
        "hooks": [len(getattr(m, h)) for m in model.modules() for h in hooks],
        "modules": [(name, type(m)) for name, m in model.named_modules()],
        "dicts": [sorted(vars(m)) for m in model.modules()],
    }


def assert_unchanged(model: ResNet, before: dict) -> None:
    after = fingerprint(model)
    assert after.keys() == before.keys()
    for key, (value, pointer) in before["tensors"].items():
        now, now_pointer = after["tensors"][key]
        assert torch.equal(now, value) and now_pointer == pointer, key
    for part in ("grads", "requires_grad", "training", "hooks", "modules", "dicts"):
        assert after[part] == before[part], part


def same(a: object, b: object, where: str = "") -> None:
    """``a`` and ``b`` equal bit for bit (tensors, arrays, numbers, and these inside dataclasses and containers),
    measured times aside."""
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and torch.equal(a, b), where
    elif isinstance(a, np.ndarray):
        assert np.array_equal(a, b), where
    elif dataclasses.is_dataclass(a) and not isinstance(a, type):
        for f in dataclasses.fields(a):
            if f.name not in TIMINGS:
                same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{where}[{i}]")
    elif hasattr(a, "size") and hasattr(a, "tobytes"):  # a picture
        assert a.tobytes() == b.tobytes(), where
    else:
        assert a == b, where


def jobs(model: ResNet, data: dict) -> dict[str, Callable[[], object]]:
    """One job of every kind a session runs on a shared model."""
    x, y = data["x"], data["y"]
    last_block = model.blocks()[-1][0]
    lesions = study.random_lesions(model, "delete", [0, 1, 3], 2, seed=0)
    as_loaded = dataclasses.replace(load_model(NET.spec, NET.source), model=model)  # as the variants page holds it

    def landscape() -> object:
        *_, line = line_steps(Probe(model), x, y, direction(model, 0), axis(11, 1.0))
        return line

    def fine_tuning() -> object:
        *_, result = run_steps(NET.spec, model, data["digits"], Run("last"), Recipe(epochs=1, batch_size=16))
        return result

    found = {
        "trace": lambda: block_cams(trace(model, x[:4], [None, 1, 2, None])),
        **{method: (lambda m=method: input_attribution(m, model, x[:1], 2, last_block)) for method in METHODS},
        "lesions": lambda: list(study.curve_steps(model, x, y, lesions))[-1],
        "paths": lambda: paths.path_gradients(model, x[:4], y[:4], samples=2, lengths=[0, 1, 2, 9]),
        "landscape": landscape,
        "effective fields": lambda: effective_fields(model, x[:2]),
        "variants": lambda: compare_variant(NET, as_loaded, shapes_test_image(0)),
        "fine-tuning": fine_tuning,
        "seeded build": lambda: random_model(NET.spec, seed=3).state_dict(),
        "stage table": lambda: stage_table(NET.spec, 32),
        "plain forward": lambda: forward(model, x),
    }
    return found


def forward(model: ResNet, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model(x)


def test_every_kind_of_job_at_once_gives_the_serial_result_and_leaves_the_model_untouched(shared, data) -> None:
    before = fingerprint(shared)
    work = jobs(shared, data)
    serial = {name: job() for name, job in work.items()}
    assert_unchanged(shared, before)
    reference = serial["plain forward"]

    workers = Settings.from_environment({"EXPLORER_JOBS": "4"}).jobs
    queue = JobQueue(workers=workers, max_batch=1, batch_wait_s=0)
    order = [name for name in work for _ in range(2)]
    random.Random(0).shuffle(order)
    stop, wrong, seen = threading.Event(), [], []

    def plain_forwards() -> None:  # a session that only runs the model, all the while
        while not stop.is_set():
            logits = forward(shared, data["x"])
            seen.append(1)
            if not torch.equal(logits, reference):
                wrong.append(1)

    runners = [threading.Thread(target=plain_forwards) for _ in range(2)]
    for thread in runners:
        thread.start()
    try:
        tickets = [(name, queue.submit(work[name])) for name in order]
        results = [(name, ticket.result(timeout=600)) for name, ticket in tickets]
    finally:
        stop.set()
        for thread in runners:
            thread.join()
        queue.close()
    assert workers == 4 and len(seen) > 10
    assert not wrong, f"{len(wrong)} of {len(seen)} forward passes saw other weights"
    for name, result in results:
        same(result, serial[name], name)
    assert_unchanged(shared, before)


@pytest.mark.parametrize("kind", ["landscape", "Guided Grad-CAM"])
def test_a_forward_pass_beside_a_landscape_or_guided_grad_cam_sees_the_trained_weights(shared, data, kind) -> None:
    """The pattern of the race scripts: plain forwards in one thread while the other job runs in another."""
    x, y = data["x"], data["y"]
    reference = forward(shared, x)
    block = shared.blocks()[-2][0]
    done = threading.Event()

    def other() -> None:
        try:
            for _ in range(3):
                if kind == "landscape":
                    for _ in line_steps(Probe(shared), x, y, direction(shared, 1), axis(11, 3.0)):
                        pass
                else:
                    input_attribution("Guided Grad-CAM", shared, x[:4], 3, block)
        finally:
            done.set()

    thread = threading.Thread(target=other)
    thread.start()
    passes = differing = 0
    while not done.is_set() or passes < 20:
        passes += 1
        differing += not torch.equal(forward(shared, x), reference)
    thread.join()
    assert differing == 0, f"{differing} of {passes} forward passes saw moved weights or guided ReLUs"


def test_counting_multiply_adds_beside_a_trace_leaves_the_trace_alone(shared, data) -> None:
    """Counting a stage table's MACs must not reach other threads (``FlopCounterMode``'s module tracker hooks every
    module of the process, and broke the backward passes of sessions running meanwhile)."""
    x = data["x"][:2]
    reference = block_cams(trace(shared, x))
    done, errors = threading.Event(), []

    def count() -> None:
        try:
            while not done.is_set():
                stage_table(catalogue.NETS["untrained-resnet56"].spec, 32)
        except BaseException as error:
            errors.append(error)

    counter = threading.Thread(target=count)
    counter.start()
    try:
        for _ in range(30):
            same(block_cams(trace(shared, x)), reference, "trace")
    finally:
        done.set()
        counter.join()
    assert not errors, errors[:1]


def test_the_catalogue_builds_one_untrained_model_per_seed_in_any_thread() -> None:
    spec = catalogue.NETS["untrained-resnet20"].spec
    alone = RandomWeights(0).load(spec).model.state_dict()
    built: list[dict] = []
    barrier = threading.Barrier(6)

    def build() -> None:
        barrier.wait()
        for _ in range(5):
            built.append(RandomWeights(0).load(spec).model.state_dict())
            torch.rand(1000)  # another session drawing from the global generator meanwhile

    threads = [threading.Thread(target=build) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(built) == 30
    for state in built:
        same(state, alone)
