"""Every page run that finished reaches its browser, even when a fragment's timer ticks just after it.

A Streamlit session runs its script in a :class:`~streamlit.runtime.scriptrunner.ScriptRunner` thread, which hands
each message of a run to the server's event loop (``call_soon_threadsafe``); the loop forwards it to the browser
only while that runner is the session's current one, and drops it otherwise. When a fragment rerun (a student's
bar polling the class) reaches a session whose runner has just *finished* a run, Streamlit starts a new runner at
once, and every message of the finished run that the loop has not handled yet is dropped. On a busy server the
loop lags behind by whole runs: measured with 60 protocol students, a step's page (all its figures, and the timers
of its fragments) was dropped for 1 to 20 students per move, whose pages then never drew the step and, with their
timers gone, stopped following the class; a student of the CI-style class test missed the reveal so.

:func:`deliver_finished_runs` makes such a fragment rerun wait one turn of the loop: every message of the finished
run was queued before the rerun was taken, so all of them are forwarded first. Nothing else changes.

:func:`nudge_this_fragment` lets the server rerun a fragment as its browser's timer would, from any thread: how a
room's watcher (:mod:`explorer.classroom.watch`) tells a following student's bar that the class moved.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any

from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.runtime import Runtime
from streamlit.runtime.app_session import AppSession
from streamlit.runtime.scriptrunner_utils.script_requests import ScriptRequestType
from streamlit.runtime.scriptrunner_utils.script_run_context import ThreadState, get_script_run_ctx

RequestRerun = Callable[[Any, Any], None]


def runner_finished(session: Any) -> bool:
    """Whether ``session``'s current runner has ended its last run (it takes no more requests), while its messages
    may still wait in the event loop."""
    requests = getattr(getattr(session, "_scriptrunner", None), "_requests", None)
    return getattr(requests, "_state", None) == ScriptRequestType.STOP


def after_finished_runs(request_rerun: RequestRerun) -> RequestRerun:
    """``request_rerun`` (``AppSession.request_rerun``) that, for a fragment rerun reaching a session whose runner
    has finished, asks again on the next turn of the event loop, after the finished run's messages."""

    @functools.wraps(request_rerun)
    def deferring(session: Any, client_state: Any, *, waited: bool = False) -> None:
        fragment = client_state is not None and bool(client_state.fragment_id)
        if fragment and not waited and runner_finished(session):
            asyncio.get_running_loop().call_soon(functools.partial(deferring, session, client_state, waited=True))
            return
        request_rerun(session, client_state)

    deferring.delivers_finished_runs = True  # type: ignore[attr-defined]
    return deferring


def deliver_finished_runs() -> None:
    """Install :func:`after_finished_runs` on Streamlit's sessions (once per process)."""
    if not getattr(AppSession.request_rerun, "delivers_finished_runs", False):
        AppSession.request_rerun = after_finished_runs(AppSession.request_rerun)  # type: ignore[method-assign]


def nudge_this_fragment() -> Callable[[], None] | None:
    """A callable that, from any thread, reruns the fragment running now in this session, as its browser's timer
    would (with the session's last page, address and widget values); None outside a fragment or a served session
    (a test's script run). It does nothing once the session is gone."""
    context, fragment = get_script_run_ctx(), ThreadState.get().fragment_id
    if context is None or not fragment or not Runtime.exists():
        return None
    runtime, session_id = Runtime.instance(), context.session_id

    def nudge() -> None:
        info = runtime._session_mgr.get_active_session_info(session_id)
        if info is not None:
            info.session._event_loop.call_soon_threadsafe(_rerun_fragment, info.session, fragment)

    return nudge


def _rerun_fragment(session: AppSession, fragment: str) -> None:
    state = ClientState()
    state.CopyFrom(session._client_state)
    state.fragment_id, state.is_auto_rerun = fragment, True
    session.request_rerun(state)
