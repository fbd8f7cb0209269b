"""A finished page run reaches the browser even when a fragment's timer ticks just after it (explorer.ui.delivery).

Streamlit forwards a runner's messages from its event loop only while that runner is the session's current one;
a fragment rerun that reaches a session whose runner has finished starts a new runner at once, and the finished
run's messages still queued in the loop were dropped (a whole step page, measured with 60 protocol students).
"""

import asyncio
import inspect
from types import SimpleNamespace

import pytest
from streamlit.runtime.app_session import AppSession
from streamlit.runtime.scriptrunner.script_runner import ScriptRunner
from streamlit.runtime.scriptrunner_utils.script_requests import ScriptRequests

from explorer.ui.delivery import after_finished_runs, deliver_finished_runs, runner_finished


def a_session(finished: bool) -> SimpleNamespace:
    """A session whose current runner has finished its run (its requests stopped), or runs one."""
    requests = ScriptRequests()
    if finished:
        requests.on_scriptrunner_ready()  # no rerun asked for: the runner stops, as at the end of a run
    return SimpleNamespace(_scriptrunner=SimpleNamespace(_requests=requests))


def loop_order(session: SimpleNamespace, fragment_id: str | None) -> list[str]:
    """In which order the event loop forwards the finished run's last message (queued by the runner's thread
    before the rerun request is handled) and takes the rerun (Streamlit starts a new runner there)."""
    happened: list[str] = []
    client_state = None if fragment_id is None else SimpleNamespace(fragment_id=fragment_id)
    request_rerun = after_finished_runs(lambda _session, _state: happened.append("rerun taken"))

    async def scenario() -> None:
        asyncio.get_running_loop().call_soon_threadsafe(happened.append, "last message forwarded")
        request_rerun(session, client_state)
        for _ in range(3):  # a few turns of the loop
            await asyncio.sleep(0)

    asyncio.run(scenario())
    return happened


def test_a_fragment_rerun_after_a_finished_run_comes_after_the_runs_messages() -> None:
    assert loop_order(a_session(finished=True), "the lesson bar") == ["last message forwarded", "rerun taken"]


@pytest.mark.parametrize(
    ("finished", "fragment_id"),
    [(False, "the lesson bar"), (True, ""), (True, None)],
    ids=["a fragment while the runner runs", "a whole run", "a rerun without client state"],
)
def test_every_other_rerun_is_taken_at_once(finished: bool, fragment_id: str | None) -> None:
    assert loop_order(a_session(finished), fragment_id) == ["rerun taken", "last message forwarded"]


def test_streamlit_works_as_the_fix_expects() -> None:
    """The fix reads Streamlit's private state; a Streamlit that changes it fails here rather than losing pages."""
    assert runner_finished(a_session(finished=True)) and not runner_finished(a_session(finished=False))
    assert "self._requests = ScriptRequests()" in inspect.getsource(ScriptRunner.__init__)
    assert "self._scriptrunner = ScriptRunner(" in inspect.getsource(AppSession._create_scriptrunner)
    dropping = inspect.getsource(AppSession._handle_scriptrunner_event_on_event_loop)
    assert "if sender is not self._scriptrunner:" in dropping  # what makes the fix needed


def test_installed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    original = AppSession.request_rerun
    monkeypatch.setattr(AppSession, "request_rerun", original)  # restored after the test
    deliver_finished_runs()
    deliver_finished_runs()
    installed = AppSession.request_rerun
    assert installed.delivers_finished_runs and not getattr(installed.__wrapped__, "delivers_finished_runs", False)
