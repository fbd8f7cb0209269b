"""What one server shares among its sessions: settings, the device, the job queue, and bounded caches.

Every heavy computation of every page goes through the one :func:`jobs` queue, and a session that
waits sees its place in it (:func:`wait`). Models live in :func:`models`, bounded by bytes and
shared by all sessions; what a session computed for its current view lives in :func:`results`,
under its own budget (:func:`keep` and :func:`kept`).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Hashable, Iterator
from typing import TypeVar

import streamlit as st
import torch
from streamlit.runtime.scriptrunner import get_script_run_ctx

from explorer.device import describe_device, pick_device
from explorer.jobs import JobQueue, Ticket
from explorer.memory import ByteLRU
from explorer.settings import MB, Settings

T = TypeVar("T")


@st.cache_resource
def settings() -> Settings:
    """This server's settings (``EXPLORER_*`` variables), read once."""
    return Settings.from_environment()


@st.cache_resource
def device() -> torch.device:
    """The device this server runs models on: ``EXPLORER_DEVICE``, else the best present."""
    return pick_device(settings().device)


def device_label() -> str:
    """The device models run on, in words."""
    return describe_device(device())


@st.cache_resource
def jobs() -> JobQueue:
    """The server's one admission queue for heavy work."""
    chosen = settings()
    return JobQueue(chosen.jobs, chosen.batch_size(device().type), chosen.batch_wait_ms / 1000)


@st.cache_resource
def models() -> ByteLRU:
    """Models with their weights, shared by every session, within ``EXPLORER_MODELS_MB``."""
    return ByteLRU(settings().models_mb * MB)


@st.cache_resource
def results() -> ByteLRU:
    """What sessions computed for their current views, within ``EXPLORER_RESULTS_MB`` (each within its own
    ``EXPLORER_SESSION_MB``)."""
    chosen = settings()
    return ByteLRU(chosen.results_mb * MB, chosen.session_mb * MB)


def session_id() -> str:
    """The id of the browser session this script run serves."""
    context = get_script_run_ctx()
    return context.session_id if context is not None else "no-session"


def kept(name: str) -> object | None:
    """What this session kept under ``name`` (None when it never did, or it was dropped to make room)."""
    return results().get((session_id(), name))


def keep(name: str, value: object) -> None:
    """Keep ``value`` for this session under ``name``, replacing what was there (within the budgets)."""
    results().put((session_id(), name), value, owner=session_id())


def wait(ticket: Ticket[T], what: str) -> T:
    """The job's result; meanwhile the page says how many jobs are ahead of it (and then that it runs)."""
    if ticket.wait(0.05):
        return ticket.result()
    note = st.empty()
    try:
        while not ticket.wait(0.2):
            ahead = ticket.ahead()
            note.caption(f"{what}: {ahead} job{'s' if ahead != 1 else ''} ahead in the queue" if ahead else f"{what}…")
    finally:
        ticket.cancel()  # a rerun that leaves early takes a job that has not started out of the queue
        note.empty()
    return ticket.result()


def run(job: Callable[[], T], what: str) -> T:
    """Run ``job()`` through the queue, waiting for its result."""
    return wait(jobs().submit(job), what)


def queued(steps: Iterator[T], what: str) -> Iterator[T]:
    """Each item of ``steps`` computed as one job of the queue, so a long run takes turns with other sessions.

    When the page stops early (a rerun, the stop button), a step already running finishes first,
    then ``steps`` is closed.
    """
    end = object()
    ticket: Ticket | None = None
    try:
        while True:
            ticket = jobs().submit(lambda: next(steps, end))
            item = wait(ticket, what)
            if item is end:
                return
            yield item
    finally:
        if ticket is not None:
            ticket.wait()
        close = getattr(steps, "close", None)
        if close is not None:
            close()


def with_progress(steps: Iterator[T], total: int, what: str, stop_key: str) -> Iterator[T]:
    """``steps`` through the queue, one job each, under a progress bar with the time left and a stop button.

    The stop button reruns the page, which ends the run within one step.
    """
    bar = st.progress(0.0, text=f"{what}…")
    stop = st.empty()
    stop.button("Stop", key=stop_key, help="Stops after the current step.")
    began = time.perf_counter()
    try:
        for done, item in enumerate(queued(steps, what), start=1):
            elapsed = time.perf_counter() - began
            left = elapsed / done * (total - done)
            bar.progress(min(done / total, 1.0), text=f"{what}: {done} of {total} · about {left:.0f} s left")
            yield item
    finally:
        bar.empty()
        stop.empty()


def shared_model(key: Hashable, make: Callable[[], T]) -> T:
    """The model under ``key``, made once for all sessions (made through the queue, as heavy work)."""
    return models().get_or_create(key, lambda: run(make, "Loading the model"))


def shared_result(key: Hashable, make: Callable[[], T], what: str) -> T:
    """A result every session shows alike (a score table, a profile), computed once through the queue."""
    return results().get_or_create(("shared", key), lambda: run(make, what))


def shared_on_request(key: Hashable, compute: Callable[[], T], asked: Callable[[], bool] = lambda: True) -> T | None:
    """The result every session shares under ``key``; else, once ``asked()`` (the page's button) says so,
    ``compute()`` — which may show progress and a stop button: a stop reruns the page before anything is kept —
    kept for every session. None until asked."""
    shared = ("shared", key)
    if (done := results().get(shared)) is not None:
        return done
    if not asked():
        return None
    result = compute()
    results().put(shared, result)
    return result


def kept_while(name: str, key: Hashable, make: Callable[[], T]) -> T:
    """What this session kept under ``name`` while ``key`` (what it depends on) stays the same; made anew, and
    kept, when ``key`` changes (an upload decoded once, not on every rerun)."""
    found = kept(name)
    if isinstance(found, tuple) and len(found) == 2 and found[0] == key:
        return found[1]
    value = make()
    keep(name, (key, value))
    return value


def settle() -> None:
    """After the heavy imports: move every object alive now out of the garbage collector's sight.

    Streamlit collects garbage after every script run; with torch, torchvision and plotly loaded a full
    collection scans some 400,000 objects (0.2 s here, holding the GIL for every session). Frozen,
    those are skipped: a collection then takes under a millisecond.
    """
    gc.collect()
    gc.freeze()
