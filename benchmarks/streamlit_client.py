"""A browser without a browser: one Streamlit session driven over the app's own websocket protocol.

A :class:`ProtocolClient` does what the page's JavaScript does for a student following a class, and nothing more:
it opens the page (a ``rerun_script`` with the page and its address), keeps the page and address the server
switches it to (``new_session``, ``page_info_changed``), answers every fragment timer the server sets
(``auto_rerun``: a fragment rerun every ``interval`` seconds, as the browser's timer sends it; a full run drops them
all, as the page does, and sets its fragments' timers again) and reads the text of
every element the server sends. So the server does exactly the work a real student's page causes, while this
machine draws nothing: the benchmark's way to put 60 or 120 students on one server (Streamlit's ``BackMsg`` and
``ForwardMsg`` protobufs come with the installed package).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg


class ProtocolClient:
    """One session of the app at ``url`` (``http://host:port/Page?query``), as a browser's page holds it.

    ``texts`` holds the text of every element sent to it, newest last; :meth:`watch` waits for an element. With
    ``ticks=False`` its fragments' timers never fire (a browser whose timers stalled): the server alone reruns them.
    """

    def __init__(self, url: str, ticks: bool = True) -> None:
        parts = urlsplit(url)
        self.stream = f"ws://{parts.netloc}/_stcore/stream"
        self.page_name = parts.path.strip("/")
        self.query = parts.query
        self.page_hash = ""
        self.pages: list[str] = []  # the page of every run the server announced, in order
        self.texts: list[str] = []
        self.finished_runs = 0
        self.ticks = ticks
        self.closed = asyncio.Event()
        self._timers: dict[str, asyncio.Task] = {}
        self._watching: list[tuple[Callable[[str, str], bool], asyncio.Future]] = []
        self._socket: websockets.ClientConnection | None = None

    async def run(self) -> None:
        """Open the page and keep the session until :meth:`close`."""
        async with websockets.connect(self.stream, subprotocols=["streamlit"], max_size=None) as socket:
            self._socket = socket
            await self._rerun()
            try:
                async for raw in socket:
                    self._receive(raw)
            except websockets.ConnectionClosed:
                pass
            finally:
                for timer in self._timers.values():
                    timer.cancel()
                self.closed.set()

    async def close(self) -> None:
        """Close the session's websocket, as closing the tab does."""
        if self._socket is not None:
            await self._socket.close()

    def watch(self, predicate: Callable[[str, str], bool]) -> asyncio.Future:
        """A future that becomes the time (``time.monotonic()``) the next element for which ``predicate(kind,
        text)`` is true arrives (``kind``: the element's type, e.g. ``markdown`` or ``plotly_chart``)."""
        found: asyncio.Future = asyncio.get_running_loop().create_future()
        self._watching.append((predicate, found))
        return found

    @property
    def timed_fragments(self) -> list[str]:
        """The ids of the fragments whose timers run now."""
        return list(self._timers)

    async def tick(self, fragment_id: str, page_hash: str) -> None:
        """Send a timed fragment's rerun as the browser's timer does, naming ``page_hash`` as the browser's page (a
        tick sent before the browser heard that the server switched its page names the page it was on)."""
        await self._rerun(fragment_id, page_hash)

    async def _rerun(self, fragment_id: str = "", page_hash: str | None = None) -> None:
        message = BackMsg()
        state = message.rerun_script
        state.query_string = self.query
        state.page_script_hash = self.page_hash if page_hash is None else page_hash
        state.page_name = "" if self.page_hash else self.page_name
        state.widget_states.SetInParent()
        if fragment_id:
            state.fragment_id, state.is_auto_rerun = fragment_id, True
        assert self._socket is not None
        await self._socket.send(message.SerializeToString())

    def _receive(self, raw: bytes | str) -> None:
        message = ForwardMsg()
        message.ParseFromString(raw if isinstance(raw, bytes) else raw.encode())
        kind = message.WhichOneof("type")
        if kind == "new_session":
            self.page_hash = message.new_session.page_script_hash
            self.pages.append(self.page_hash)
            if not message.metadata.run.fragment_ids:  # a full run: it sets its fragments' timers again, as the
                for timer in self._timers.values():  # page drops every timer when a full run starts
                    timer.cancel()
                self._timers.clear()
        elif kind == "page_info_changed":
            self.query = message.page_info_changed.query_string
        elif kind == "auto_rerun":
            every, fragment = message.auto_rerun.interval, message.auto_rerun.fragment_id
            if fragment in self._timers:
                self._timers[fragment].cancel()
            self._timers[fragment] = asyncio.ensure_future(self._tick(fragment, every))
        elif kind == "script_finished":
            self.finished_runs += 1
        elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            element = message.delta.new_element
            kind, text = element.WhichOneof("type") or "", _text(element)
            if text:
                self.texts.append(text)
            for predicate, found in self._watching:
                if not found.done() and predicate(kind, text):
                    found.set_result(time.monotonic())
            self._watching = [(p, f) for p, f in self._watching if not f.done()]

    async def _tick(self, fragment: str, every: float) -> None:
        while self.ticks:
            await asyncio.sleep(every)
            try:
                await self._rerun(fragment)
            except websockets.ConnectionClosed:
                return


def _text(element: object) -> str:
    """The readable text of an element: a Markdown body, an alert, a button's label, an exception's type and
    message; empty for a figure."""
    kind = element.WhichOneof("type")
    if kind is None:
        return ""
    body = getattr(element, kind)
    if kind == "exception":
        return f"exception {body.type}: {body.message}"
    for field in ("body", "label", "text"):
        value = getattr(body, field, None)
        if isinstance(value, str) and value:
            return value
    return ""
