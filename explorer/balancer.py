"""The built-in balancer: one address in front of several replicas of the app on this machine.

Streamlit keeps a browser's session (its websocket, its uploads, its pictures) in the process that served its page,
so every request of one browser must reach one replica. A browser's first request (the page) goes to the replica
with the least load (open sessions, connections being opened, and browsers sent there in the last
:data:`NEW_BROWSER_S` seconds: a class scanning the QR code at once is spread evenly), and the response sets the
``explorer_replica`` cookie naming it (not the cookie of :mod:`explorer.deploy`'s nginx, which may balance such
servers); every later request goes where the cookie says, or, when that replica does not answer, to another one,
which the cookie then names. Requests and responses pass byte for byte (a websocket, once upgraded, is two pipes),
so the balancer costs next to nothing beside a replica's page runs. A plain request gets a connection of its own
(``Connection: close``): a kept-alive connection never carries a request to a replica other than its cookie's.

It runs as a script of its own, ``python -P explorer/balancer.py`` (:func:`main`), importing nothing of the
explorer's: a process of a few megabytes where one that imported the explorer would hold torch (800 MB).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import time
from collections import Counter, deque
from collections.abc import Sequence
from http.cookies import CookieError, SimpleCookie

AFFINITY_COOKIE = "explorer_replica"
HEAD_LIMIT = 64 * 1024  # a request's or response's head (its line and headers); more is refused
CHUNK = 64 * 1024
HEALTH_PATH = b"/_stcore/health"
NEW_BROWSER_S = 10.0  # a browser sent to a replica counts as its load this long, until its websocket opens
HOP_BY_HOP = {b"connection", b"keep-alive", b"proxy-connection", b"x-forwarded-for"}


class Balancer:
    """Browsers spread over ``replicas`` (``(host, port)`` each), each browser kept on one (see the module)."""

    def __init__(self, replicas: Sequence[tuple[str, int]]) -> None:
        self.replicas = list(replicas)
        self.sessions = [0] * len(self.replicas)  # open websockets: one per browser tab showing the app
        self.under_way = [0] * len(self.replicas)  # connections to it being opened now
        self.sent: deque[tuple[float, int]] = deque()  # (when, replica) of each browser given a replica lately

    def load(self, now: float) -> list[int]:
        """Each replica's load now: its open sessions, the connections to it being opened, and the browsers it was
        given in the last :data:`NEW_BROWSER_S` seconds."""
        while self.sent and self.sent[0][0] < now - NEW_BROWSER_S:
            self.sent.popleft()
        recent = Counter(index for _, index in self.sent)
        return [self.sessions[i] + self.under_way[i] + recent[i] for i in range(len(self.replicas))]

    def preferred(self, cookie_header: str) -> tuple[list[int], int | None]:
        """The replicas to try for a request with this ``Cookie`` header, in order (the cookie's replica first, then
        the least loaded), and the cookie's replica (None: no cookie, or one naming no replica)."""
        load = self.load(time.monotonic())
        by_load = sorted(range(len(self.replicas)), key=lambda i: (load[i], i))
        cookies: SimpleCookie = SimpleCookie()
        with contextlib.suppress(CookieError):
            cookies.load(cookie_header)
        text = cookies[AFFINITY_COOKIE].value if AFFINITY_COOKIE in cookies else ""
        named = int(text) if text.isdigit() and int(text) < len(self.replicas) else None
        return ([named] if named is not None else []) + [i for i in by_load if i != named], named

    async def serve(self, host: str, port: int) -> asyncio.Server:
        """Listen on ``host:port`` (the server is started; ``serve_forever`` it)."""
        return await asyncio.start_server(self.handle, host, port, limit=HEAD_LIMIT)

    async def handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        """One browser connection: its request passed to a replica, the replica's answer passed back."""
        try:
            head = await client_reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            client_writer.close()
            return
        request_line, *lines = head[:-4].split(b"\r\n")
        headers = [tuple(part.strip() for part in line.split(b":", 1)) for line in lines if b":" in line]
        named = {name.lower(): value for name, value in headers}
        upgrade = named.get(b"upgrade", b"").lower() == b"websocket"
        peer = (client_writer.get_extra_info("peername") or ("unknown",))[0]
        forwarded = b", ".join(v for v in (named.get(b"x-forwarded-for"), peer.encode()) if v)
        kept = [(n, v) for n, v in headers if n.lower() not in HOP_BY_HOP or (upgrade and n.lower() == b"connection")]
        kept += [(b"X-Forwarded-For", forwarded)] + ([] if upgrade else [(b"Connection", b"close")])
        request = request_line + b"\r\n" + b"".join(n + b": " + v + b"\r\n" for n, v in kept) + b"\r\n"
        order, named_replica = self.preferred(named.get(b"cookie", b"").decode("latin-1"))
        for index in order:
            self.under_way[index] += 1  # counted at once: the connections of a class arriving together spread
            try:
                replica_reader, replica_writer = await asyncio.open_connection(*self.replicas[index], limit=HEAD_LIMIT)
            except OSError:
                self.under_way[index] -= 1
                continue
            break
        else:
            client_writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            await _close(client_writer)
            return
        health = request_line.split(b" ")[1:2] == [HEALTH_PATH]  # a monitor, not a browser: not counted, not told
        tell = index != named_replica and not health  # a new browser, or its replica is gone
        if tell:
            self.sent.append((time.monotonic(), index))
        replica_writer.write(request)
        self.sessions[index] += upgrade
        self.under_way[index] -= 1
        try:
            await _both_ways(client_reader, client_writer, replica_reader, replica_writer, index if tell else None)
        finally:
            self.sessions[index] -= upgrade
            await _close(replica_writer)
            await _close(client_writer)


async def _both_ways(
    client_reader: asyncio.StreamReader,
    client_writer: asyncio.StreamWriter,
    replica_reader: asyncio.StreamReader,
    replica_writer: asyncio.StreamWriter,
    tell: int | None,
) -> None:
    """Pass bytes both ways until either side is done; the replica's answer names replica ``tell`` in a cookie."""

    async def answer() -> None:
        head = await replica_reader.readuntil(b"\r\n\r\n")
        if tell is not None:
            cookie = f"Set-Cookie: {AFFINITY_COOKIE}={tell}; Path=/; HttpOnly; SameSite=Lax\r\n".encode()
            head = head[:-2] + cookie + b"\r\n"
        client_writer.write(head)
        await _pipe(replica_reader, client_writer)

    directions = [asyncio.ensure_future(answer()), asyncio.ensure_future(_pipe(client_reader, replica_writer))]
    try:
        await asyncio.wait(directions, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for direction in directions:
            direction.cancel()
        for direction in directions:
            with contextlib.suppress(asyncio.CancelledError, OSError, asyncio.IncompleteReadError):
                await direction


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Pass everything ``reader`` gets to ``writer`` until the reader's side closes."""
    while data := await reader.read(CHUNK):
        writer.write(data)
        await writer.drain()


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()


def main(argv: list[str] | None = None) -> None:
    """``python -P explorer/balancer.py --listen ADDRESS:PORT --replica PORT … [--stop PID …]``: balance browsers
    over the replicas on those ports of 127.0.0.1 until stopped (SIGTERM or Ctrl-C), then stop the processes
    ``--stop`` names (the replicas ``python -m explorer serve`` started before it became this balancer)."""
    parser = argparse.ArgumentParser(prog="explorer/balancer.py", description=main.__doc__)
    parser.add_argument("--listen", required=True, help="the balancer's own address:port")
    parser.add_argument("--replica", type=int, action="append", required=True, help="a replica's port")
    parser.add_argument("--stop", type=int, action="append", default=[], help="a process to stop when stopping")
    args = parser.parse_args(argv)
    address, _, port = args.listen.rpartition(":")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        asyncio.run(_balance(Balancer([("127.0.0.1", p) for p in args.replica]), address, int(port)))
    except KeyboardInterrupt:
        pass
    finally:
        _stop(args.stop)


async def _balance(balancer: Balancer, address: str, port: int) -> None:
    server = await balancer.serve(address, port)
    async with server:
        await server.serve_forever()


def _stop(pids: Sequence[int], wait_s: float = 20.0) -> None:
    """Ask each process to stop, and kill those still running ``wait_s`` later."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + wait_s
    running = list(pids)
    while running and time.monotonic() < deadline:
        running = [pid for pid in running if _running(pid)]
        time.sleep(0.1)
    for pid in running:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _running(pid: int) -> bool:
    try:
        return os.waitpid(pid, os.WNOHANG) == (0, 0)  # a child of this process (the replicas are)
    except ChildProcessError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


if __name__ == "__main__":
    main()
