"""What a server shares among its sessions: the admission queue, batched traces, byte-bounded caches, settings."""

import threading
import time

import numpy as np
import plotly.graph_objects as go
import pytest
import torch
from PIL import Image

from explorer import ModelSpec, RandomWeights, load_model
from explorer.errors import UserError
from explorer.figstyle import SharedFigure
from explorer.imagelab.explain import explain, explain_batch
from explorer.jobs import JobQueue
from explorer.memory import ByteLRU, SharedResults, drop_ended, nbytes
from explorer.settings import Settings
from explorer.ui import server

# --- the admission queue ------------------------------------------------------------------------


def test_jobs_run_in_order_at_most_workers_at_a_time() -> None:
    queue = JobQueue(workers=2, batch_wait_s=0)
    running, most, order = 0, 0, []
    lock = threading.Lock()
    pairs = threading.Barrier(2, timeout=10)  # each job waits until another runs beside it

    def job(i: int) -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
            order.append(i)
        pairs.wait()
        with lock:
            running -= 1
        return i * i

    tickets = [queue.submit(lambda i=i: job(i)) for i in range(8)]
    assert [t.result(timeout=10) for t in tickets] == [i * i for i in range(8)]
    assert most == 2 and order[:2] in ([0, 1], [1, 0]) and sorted(order) == list(range(8))
    queue.close()


def test_a_waiting_job_knows_its_place_and_can_be_cancelled() -> None:
    queue = JobQueue(workers=1, batch_wait_s=0)
    running, release = threading.Event(), threading.Event()
    first = queue.submit(lambda: (running.set(), release.wait()))
    assert running.wait(10)
    second, third = queue.submit(lambda: 2), queue.submit(lambda: 3)
    assert (first.ahead(), second.ahead(), third.ahead()) == (0, 0, 1)
    assert second.cancel() and third.ahead() == 0 and not first.cancel()
    with pytest.raises(RuntimeError, match="cancelled"):
        second.result(timeout=1)
    release.set()
    assert third.result(timeout=10) == 3
    queue.close()


def test_an_error_reaches_its_own_session_and_the_queue_carries_on() -> None:
    queue = JobQueue(workers=1, batch_wait_s=0)
    failing = queue.submit(lambda: 1 / 0)
    after = queue.submit(lambda: "still serving")
    with pytest.raises(ZeroDivisionError):
        failing.result(timeout=10)
    assert after.result(timeout=10) == "still serving"
    queue.close()


def test_waiting_batched_jobs_of_one_key_run_as_one_batch() -> None:
    queue = JobQueue(workers=1, max_batch=4, batch_wait_s=0)
    release = threading.Event()
    blocker = queue.submit(release.wait)
    batches: list[list[int]] = []

    def run_batch(items: list[int]) -> list[int]:
        batches.append(list(items))
        return [10 * i for i in items]

    tickets = [queue.submit_batched("a" if i % 3 else "b", i, run_batch) for i in range(7)]
    release.set()
    assert blocker.result(timeout=10)
    assert [t.result(timeout=10) for t in tickets] == [10 * i for i in range(7)]
    assert batches == [[0, 3, 6], [1, 2, 4, 5]]  # the first "a" waits behind "b", 4 at most per batch
    queue.close()


def test_a_lone_trace_waits_for_company_until_its_batch_is_full() -> None:
    queue = JobQueue(workers=1, max_batch=2, batch_wait_s=600)  # a window no test could wait out
    sizes: list[int] = []

    def run_batch(items: list[int]) -> list[int]:
        sizes.append(len(items))
        return list(items)

    first = queue.submit_batched("m", 1, run_batch)
    assert not first.wait(0.1)  # alone, it waits for company
    second = queue.submit_batched("m", 2, run_batch)  # a full batch: both run at once
    assert (first.result(timeout=30), second.result(timeout=30)) == (1, 2) and sizes == [2]
    queue.close()


def test_sessions_get_exactly_their_own_explanations_from_a_shared_batch() -> None:
    loaded = load_model(ModelSpec("cifar_resnet20"), RandomWeights())
    torch.manual_seed(3)
    requests = [(torch.randn(1, 3, 32, 32), Image.new("RGB", (32, 32), (i * 30, 0, 0)), t) for i, t in
                enumerate([None, 4, None, 7, 2, None, 9, 1])]  # fmt: skip
    serial = [explain(loaded.model, x, image, loaded.class_names, t) for x, image, t in requests]
    queue = JobQueue(workers=1, max_batch=8, batch_wait_s=0.3)
    batches: list[int] = []

    def run_batch(items: list) -> list:
        batches.append(len(items))
        x = torch.cat([item[0] for item in items])
        return explain_batch(loaded.model, x, [i[1] for i in items], loaded.class_names, [i[2] for i in items])

    barrier = threading.Barrier(len(requests))
    results: list = [None] * len(requests)

    def session(i: int) -> None:
        barrier.wait()
        results[i] = queue.submit_batched("cifar20", requests[i], run_batch).result(timeout=60)

    threads = [threading.Thread(target=session, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(batches) == 8 and max(batches) > 1
    for mine, alone, (_, image, _) in zip(results, serial, requests, strict=True):
        assert mine.image is image and mine.target == alone.target
        assert np.allclose(mine.probabilities, alone.probabilities, atol=1e-6)
        for a, b in zip(mine.cams, alone.cams, strict=True):
            assert np.allclose(a, b, atol=1e-5 * max(1.0, float(b.max())))
    queue.close()


# --- byte-bounded caches --------------------------------------------------------------------------


def test_nbytes_counts_tensors_arrays_images_and_bytes_once() -> None:
    t = torch.zeros(1000)
    assert nbytes(t) == 4000 and nbytes([t, t]) == 4000
    assert nbytes({"a": np.zeros((10, 10)), "b": b"x" * 50}) >= 800 + 50
    assert nbytes(Image.new("RGB", (10, 20))) == 600
    figure = go.Figure(go.Scatter(x=np.arange(1000.0), y=np.zeros(1000)))  # a shared figure counts what it holds
    assert nbytes(figure) >= 2 * 8000 and nbytes(SharedFigure(figure)) >= 2 * 8000
    assert nbytes(torch.nn.Linear(10, 10)) == 4 * 110


def test_the_cache_stays_within_its_budget_dropping_the_least_recently_used() -> None:
    cache: ByteLRU[str] = ByteLRU(budget=100)
    for key in "abc":
        assert cache.put(key, key, size=40)
    assert cache.get("a") is None and cache.used == 80  # "a" made room for "c"
    cache.get("b")
    cache.put("d", "d", size=40)
    assert cache.get("c") is None and cache.get("b") == "b"
    assert not cache.put("huge", "huge", size=101) and cache.get("huge") is None and cache.used <= 100


def test_each_owner_keeps_only_its_own_budget_and_cannot_crowd_out_others() -> None:
    cache: ByteLRU[str] = ByteLRU(budget=100, owner_budget=30)
    cache.put(("alice", 1), "a1", size=20, owner="alice")
    cache.put(("bob", 1), "b1", size=20, owner="bob")
    cache.put(("alice", 2), "a2", size=20, owner="alice")  # alice's first entry goes, bob's stays
    assert cache.get(("alice", 1)) is None and cache.get(("bob", 1)) == "b1"
    assert cache.used_by("alice") == 20 and cache.used == 40
    assert not cache.put(("alice", 3), "big", size=31, owner="alice")
    cache.drop_owner("bob")
    assert cache.used_by("bob") == 0


def test_a_value_asked_for_by_many_threads_is_made_once() -> None:
    cache: ByteLRU[int] = ByteLRU(budget=10**6)
    made = []

    def make() -> int:
        made.append(1)
        time.sleep(0.05)
        return 42

    threads = [threading.Thread(target=lambda: cache.get_or_create("k", make, size_of=lambda _: 8)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert made == [1] and cache.get("k") == 42


def test_a_shared_result_asked_for_at_once_is_computed_once_and_given_to_every_asker() -> None:
    store = SharedResults(budget=10**6)
    computed, started, release = [], threading.Event(), threading.Event()
    got: list[object] = []

    def ask() -> None:
        pending, mine = store.claim("curve")
        if mine:
            computed.append(1)
            started.set()
            release.wait(10)
            store.finish("curve", pending, "the curve")
        else:
            assert pending.finished.wait(10)
        got.append(store.get("curve") if mine else pending.value)

    first = threading.Thread(target=ask)
    first.start()
    assert started.wait(10)
    others = [threading.Thread(target=ask) for _ in range(3)]
    for thread in others:
        thread.start()
    release.set()
    for thread in [first, *others]:
        thread.join()
    assert computed == [1] and got == ["the curve"] * 4 and store.get("curve") == "the curve"


def test_an_abandoned_shared_result_is_computed_by_the_next_asker_and_a_huge_one_is_not_kept() -> None:
    store = SharedResults(budget=100)
    pending, mine = store.claim("k")
    assert mine and store.claim("k") == (pending, False)
    store.abandon("k", pending)  # a stop
    assert pending.finished.is_set() and pending.value is None and store.get("k") is None
    again, mine = store.claim("k")
    assert mine and again is not pending
    assert not store.finish("k", again, b"x" * 1000)  # over the budget: not kept...
    assert again.value == b"x" * 1000 and store.get("k") is None  # ...but handed to whoever waited


def test_server_shared_computes_once_for_concurrent_sessions() -> None:
    calls, gate = [], threading.Event()

    def compute() -> str:
        calls.append(1)
        gate.wait(10)
        return "profiles"

    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(server.shared(("test", "once"), compute)))
               for _ in range(3)]  # fmt: skip
    for thread in threads:
        thread.start()
    while server.shared_results().pending(("test", "once")) is None:
        threading.Event().wait(0.01)
    gate.set()
    for thread in threads:
        thread.join()
    assert calls == [1] and results == ["profiles"] * 3


def test_what_ended_sessions_kept_is_dropped_after_a_grace_time() -> None:
    cache: ByteLRU[str] = ByteLRU(budget=1000, owner_budget=100)
    cache.put(("alive", 1), "a", size=10, owner="alive")
    cache.put(("gone", 1), "g", size=10, owner="gone")
    seen: dict = {}
    alive = {"alive"}
    assert drop_ended(cache, alive.__contains__, seen, now=0.0, grace_s=60) == []
    assert drop_ended(cache, alive.__contains__, seen, now=59.0, grace_s=60) == []  # gone a moment: kept
    assert drop_ended(cache, alive.__contains__, seen, now=61.0, grace_s=60) == ["gone"]
    assert cache.get(("gone", 1)) is None and cache.get(("alive", 1)) == "a" and "gone" not in seen


# --- settings -------------------------------------------------------------------------------------


def test_settings_come_from_the_environment() -> None:
    assert Settings.from_environment({}) == Settings()
    chosen = Settings.from_environment({"EXPLORER_JOBS": "2", "EXPLORER_SESSION_MB": "32", "EXPLORER_DEVICE": "cpu"})
    assert (chosen.jobs, chosen.session_mb, chosen.device) == (2, 32, "cpu")


def test_traces_are_batched_on_a_gpu_and_not_on_the_cpu_unless_asked() -> None:
    assert (Settings().batch_size("cpu"), Settings().batch_size("cuda")) == (1, 16)
    assert Settings.from_environment({"EXPLORER_MAX_BATCH": "4"}).batch_size("cpu") == 4


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"EXPLORER_JOBS": "many"}, "EXPLORER_JOBS must be a whole number; got 'many'"),
        ({"EXPLORER_JOBS": "0"}, "EXPLORER_JOBS must be a whole number from 1 to 64; got 0"),
        ({"EXPLORER_DEVICE": "tpu"}, "EXPLORER_DEVICE must be one of auto, cuda, mps, cpu"),
        ({"EXPLORER_SESSION_MB": "2000", "EXPLORER_RESULTS_MB": "1000"}, "cannot exceed EXPLORER_RESULTS_MB"),
    ],
)
def test_bad_settings_get_one_line(environment: dict[str, str], message: str) -> None:
    with pytest.raises(UserError, match=message):
        Settings.from_environment(environment)
