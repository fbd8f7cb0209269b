"""What one server shares among its sessions: settings, the device, the job queue, models and results.

Every heavy computation of every page goes through the one :func:`jobs` queue, and a session that
waits sees its place in it (:func:`wait`); anything slow shows its progress and a stop button
(:func:`with_progress`). Models live in :func:`models`, bounded by bytes and shared by all sessions
(:func:`shared_model`, keyed by what determines the model). What is computed once for every session
lives in :func:`shared_results`, under its own budget (:func:`shared`); what a session computed for its
current view lives in :func:`results`, under that session's budget (:func:`keep` and :func:`kept`), and
is dropped when the session ends.
"""

from __future__ import annotations

import contextvars
import gc
import logging
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from typing import TypeVar, overload

import streamlit as st
import torch
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from explorer.device import describe_device, pick_device
from explorer.jobs import JobQueue, Ticket
from explorer.language import ENGLISH, N_, _, in_current_language, ngettext, speaking
from explorer.memory import ByteLRU, Pending, SharedResults, drop_ended, nbytes
from explorer.settings import MB, Settings
from explorer.spec import ModelSpec
from explorer.weights import LoadedModel, WeightSource, load_model

T = TypeVar("T")
SWEEP_S = 30.0  # how often the results of ended sessions are looked for
ENDED_AFTER_S = 180.0  # a session gone this long has ended (Streamlit keeps a disconnected one for 120 s)
LOG = logging.getLogger("explorer.server")
_computing: contextvars.ContextVar[Pending | None] = contextvars.ContextVar("explorer_computing", default=None)


@st.cache_resource
def settings() -> Settings:
    """This server's settings (``EXPLORER_*`` variables), read once."""
    return Settings.from_environment()


@st.cache_resource
def device() -> torch.device:
    """The device this server runs models on: ``EXPLORER_DEVICE``, else the best present."""
    return pick_device(settings().device)


def device_label() -> str:
    """The device models run on, in words of the session's language."""
    return describe_device(device())


def recorded_device() -> str:
    """The device models run on, in English words: what a recording keeps (sessions of every language read it)."""
    with speaking(ENGLISH):
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


@st.cache_resource
def shared_results() -> SharedResults:
    """What is computed once and shown to every session, within ``EXPLORER_SHARED_MB``."""
    return SharedResults(settings().shared_mb * MB)


def session_id() -> str:
    """The id of the browser session this script run serves."""
    context = get_script_run_ctx()
    return context.session_id if context is not None else "no-session"


def kept(name: str) -> object | None:
    """What this session kept under ``name`` (None when it never did, or it was dropped to make room)."""
    return results().get((session_id(), name))


def keep(name: str, value: object) -> None:
    """Keep ``value`` for this session under ``name``, replacing what was there (within the budgets)."""
    _drop_ended_sessions()
    results().put((session_id(), name), value, owner=session_id())


@st.cache_resource
def _sessions_seen() -> tuple[threading.Lock, dict[Hashable, float], list[float]]:
    return threading.Lock(), {}, [0.0]


def _drop_ended_sessions() -> None:
    """At most every :data:`SWEEP_S`: forget what sessions that ended kept (Streamlit tells which are alive)."""
    lock, seen, last = _sessions_seen()
    now = time.monotonic()
    if not Runtime.exists() or now - last[0] < SWEEP_S or not lock.acquire(blocking=False):
        return
    try:
        last[0] = now
        dropped = drop_ended(results(), Runtime.instance().is_active_session, seen, now, ENDED_AFTER_S)
        if dropped:
            LOG.info("dropped what %d ended session(s) kept", len(dropped))
    finally:
        lock.release()


def wait(ticket: Ticket[T], what: str) -> T:
    """The job's result; meanwhile the page says how many jobs are ahead of it (and then that it runs). ``what`` is
    an English text marked with ``N_``: each page says it in its reader's language."""
    if ticket.wait(0.05):
        return ticket.result()
    note = st.empty()
    try:
        while not ticket.wait(0.2):
            ahead = ticket.ahead()
            waiting = ngettext(
                "{what}: {count} job ahead in the queue", "{what}: {count} jobs ahead in the queue", ahead
            )
            note.caption(waiting.format(what=_(what), count=ahead) if ahead else _("{what}…").format(what=_(what)))
    finally:
        ticket.cancel()  # a rerun that leaves early takes a job that has not started out of the queue
        note.empty()
    return ticket.result()


def run(job: Callable[[], T], what: str) -> T:
    """Run ``job()`` through the queue, waiting for its result."""
    return wait(jobs().submit(in_current_language(job)), what)


def queued(steps: Iterator[T], what: str) -> Iterator[T]:
    """Each item of ``steps`` computed as one job of the queue, so a long run takes turns with other sessions.

    When the page stops early (a rerun, the stop button), a step already running finishes first,
    then ``steps`` is closed.
    """
    end = object()
    ticket: Ticket | None = None
    try:
        while True:
            ticket = jobs().submit(in_current_language(lambda: next(steps, end)))
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
    """``steps`` through the queue, one job each, under a progress bar with the time left and a stop button: the one
    way the pages run anything slow.

    The stop button reruns the page, which ends the run within one step. Inside :func:`shared`, the sessions
    waiting for the same result see the same progress. ``what`` is an English text marked with ``N_``: each page
    says it in its reader's language.
    """
    bar = st.progress(0.0, text=_("{what}…").format(what=_(what)))
    stop = st.empty()
    stop.button(_("Stop"), key=stop_key, help=_("Stops after the current step."))
    pending = _computing.get()
    if pending is not None:
        pending.what, pending.done, pending.total = what, 0, total
    began = time.perf_counter()
    try:
        for done, item in enumerate(queued(steps, what), start=1):
            elapsed = time.perf_counter() - began
            left = elapsed / done * (total - done)
            said = _("{what}: {done} of {total} · about {left} s left")
            bar.progress(
                min(done / total, 1.0), text=said.format(what=_(what), done=done, total=total, left=f"{left:.0f}")
            )
            if pending is not None:
                pending.done = done
            yield item
    finally:
        bar.empty()
        stop.empty()


def shared_model(spec: ModelSpec, source: WeightSource, make: Callable[[], LoadedModel] | None = None) -> LoadedModel:
    """The model ``spec`` with the weights of ``source``, loaded once (through the queue) for every session and kept
    under exactly those two: the one way pages get a model. ``make`` gives a model made otherwise (nets a page has
    just trained) to keep under the same key; it must be shareable (:func:`explorer.weights.shareable`)."""
    load = make or (lambda: load_model(spec, source, device()))
    return models().get_or_create((spec, source.key), lambda: run(load, N_("Loading the model")))


@overload
def shared(key: Hashable, compute: Callable[[], T], asked: None = None) -> T: ...
@overload
def shared(key: Hashable, compute: Callable[[], T], asked: Callable[[], bool]) -> T | None: ...
def shared(key: Hashable, compute: Callable[[], T], asked: Callable[[], bool] | None = None) -> T | None:
    """The result under ``key``, computed once for every session: the one way pages share results.

    A kept result is returned at once. While another session computes it, this one waits for that (showing its
    progress) rather than computing it again. Otherwise ``compute()`` runs here — through the queue, with
    :func:`run` or :func:`with_progress` — and its result is kept for every session within
    ``EXPLORER_SHARED_MB``. With ``asked`` (the page's button, drawn once per run) nothing is computed until it
    says so: None until then. A stop (a rerun) or an error abandons the computation, and whoever asks next
    computes it.
    """
    store = shared_results()
    pressed: bool | None = None
    while True:
        if (found := store.get(key)) is not None:
            return found  # type: ignore[return-value]
        if (pending := store.pending(key)) is not None:
            if (value := _await(pending)) is not None:
                return value  # type: ignore[return-value]
            continue  # abandoned: ask again
        if asked is not None:
            pressed = asked() if pressed is None else pressed
            if not pressed:
                return None
        pending, mine = store.claim(key)
        if not mine:
            continue  # another session began it a moment ago: wait for that one
        token = _computing.set(pending)
        try:
            value = compute()
        except BaseException:
            store.abandon(key, pending)
            raise
        finally:
            _computing.reset(token)
        if not store.finish(key, pending, value):
            megabytes = nbytes(value) / MB
            LOG.warning("a shared result of %.0f MB is larger than EXPLORER_SHARED_MB: not kept", megabytes)
            st.caption(
                _(
                    "This result ({size} MB) is larger than the server keeps for every session (EXPLORER_SHARED_MB "
                    "= {limit}): it is shown now, not kept."
                ).format(size=f"{megabytes:.0f}", limit=settings().shared_mb)
            )
        return value


def _await(pending: Pending) -> object | None:
    """Wait for another session's computation, showing how far it got; its value (None if it was abandoned)."""
    bar = st.progress(0.0, text=_("Computing for another session…"))
    try:
        while not pending.finished.wait(0.2):
            fraction = pending.done / pending.total if pending.total else 0.0
            what = _(pending.what or N_("Computing"))  # an English text: said in this reader's language
            said = (
                _("{what} for another session: {done} of {total}").format(
                    what=what, done=pending.done, total=pending.total
                )
                if pending.total
                else _("{what} for another session").format(what=what)
            )
            bar.progress(min(fraction, 1.0), text=said)
    finally:
        bar.empty()
    return pending.value


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
