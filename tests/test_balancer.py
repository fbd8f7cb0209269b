"""The built-in balancer (explorer.balancer) in front of stand-in replicas: which replica each request reaches, the
affinity cookie, websockets passed both ways, a replica that is gone."""

import asyncio
import time
from collections.abc import Awaitable, Callable

import pytest

from explorer.balancer import AFFINITY_COOKIE, Balancer
from explorer.errors import UserError
from explorer.serve import MOST_REPLICAS, replica_count


async def stand_in(name: str) -> asyncio.Server:
    """A replica that answers a plain request with its name and the request's head, and a websocket upgrade with
    ``101``, then echoes every byte with its name before it."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        if b"upgrade: websocket" in head.lower():
            writer.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
            while data := await reader.read(1024):
                writer.write(name.encode() + b":" + data)
        else:
            body = name.encode() + b"\n" + head
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        writer.close()

    return await asyncio.start_server(answer, "127.0.0.1", 0)


def port_of(server: asyncio.Server) -> int:
    return server.sockets[0].getsockname()[1]


def with_balancer(test: Callable[[Balancer, int], Awaitable[None]], replicas: int = 2, gone: int = 0) -> None:
    """Run ``test`` with a balancer (and its port) in front of ``replicas`` stand-ins, of which ``gone`` are
    listed but closed."""

    async def run() -> None:
        servers = [await stand_in(f"replica{i}") for i in range(replicas)]
        balancer = Balancer([("127.0.0.1", port_of(s)) for s in servers])
        for server in servers[:gone]:
            server.close()
            await server.wait_closed()
        front = await balancer.serve("127.0.0.1", 0)
        try:
            await asyncio.wait_for(test(balancer, port_of(front)), 30)
        finally:
            front.close()
            for server in servers[gone:]:
                server.close()

    asyncio.run(run())


async def get(port: int, headers: str = "") -> tuple[str, str]:
    """A plain GET through the balancer: the response's head and body."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET / HTTP/1.1\r\nHost: school:8501\r\n{headers}Connection: keep-alive\r\n\r\n".encode())
    answer = (await reader.read()).decode()  # to the end: the balancer closes a plain request's connection
    writer.close()
    head, body = answer.split("\r\n\r\n", 1)
    return head, body


def test_a_new_browser_is_given_a_replica_by_cookie_and_then_stays_on_it() -> None:
    async def test(balancer: Balancer, port: int) -> None:
        head, body = await get(port)
        assert body.startswith("replica0") and f"Set-Cookie: {AFFINITY_COOKIE}=0;" in head
        head, body = await get(port, f"Cookie: a=1; {AFFINITY_COOKIE}=1\r\n")
        assert body.startswith("replica1") and "Set-Cookie" not in head  # the cookie's replica, nothing to tell
        assert "Connection: close" in body and "keep-alive" not in body  # one request per connection
        assert "Host: school:8501" in body  # the replica sees the address the browser used (its origin check)

    with_balancer(test)


def test_the_replica_sees_the_browsers_address_after_any_it_was_sent() -> None:
    async def test(balancer: Balancer, port: int) -> None:
        _, body = await get(port, "X-Forwarded-For: 6.6.6.6\r\n")
        assert "X-Forwarded-For: 6.6.6.6, 127.0.0.1" in body  # the last entry is the balancer's: trusted
        assert body.count("X-Forwarded-For") == 1

    with_balancer(test)


def test_a_websocket_passes_both_ways_and_new_browsers_go_where_fewer_sessions_are() -> None:
    async def test(balancer: Balancer, port: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /_stcore/stream HTTP/1.1\r\nHost: school\r\nUpgrade: websocket\r\n")
        writer.write(b"Connection: Upgrade\r\n\r\n")
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101") and f"{AFFINITY_COOKIE}=0".encode() in head
        writer.write(b"hello")
        assert await reader.readexactly(len(b"replica0:hello")) == b"replica0:hello"
        assert balancer.sessions == [1, 0]
        _, body = await get(port)  # a new browser: to the replica with no session
        assert body.startswith("replica1")
        writer.close()
        await writer.wait_closed()
        for _ in range(100):  # the balancer sees the close on its next turn
            if balancer.sessions == [0, 0]:
                break
            await asyncio.sleep(0.01)
        assert balancer.sessions == [0, 0]

    with_balancer(test)


def test_a_browser_whose_replica_is_gone_is_moved_and_told() -> None:
    async def test(balancer: Balancer, port: int) -> None:
        head, body = await get(port, f"Cookie: {AFFINITY_COOKIE}=0\r\n")
        assert body.startswith("replica1") and f"Set-Cookie: {AFFINITY_COOKIE}=1;" in head

    with_balancer(test, gone=1)


def test_no_replica_answering_is_a_bad_gateway_and_a_cookie_naming_none_is_a_new_browser() -> None:
    async def test(balancer: Balancer, port: int) -> None:
        head, _ = await get(port, f"Cookie: {AFFINITY_COOKIE}=7\r\n")
        assert head.startswith("HTTP/1.1 502")

    with_balancer(test, replicas=1, gone=1)
    assert Balancer([("127.0.0.1", 1)]).preferred(f"{AFFINITY_COOKIE}=9; x=1") == ([0], None)
    assert Balancer([("127.0.0.1", 1)] * 2).preferred(f'{AFFINITY_COOKIE}="1"') == ([1, 0], 1)


def test_serve_runs_one_replica_per_core_by_default_at_most_four() -> None:
    assert [replica_count("auto", cores) for cores in (None, 1, 2, 3, 16)] == [1, 1, 2, 3, MOST_REPLICAS]
    assert replica_count("3", 2) == 3 and replica_count("auto", 16, replica="2") == 1  # a deployment's replica
    for asked in ("0", "65", "two", "-1"):
        with pytest.raises(UserError, match="--replicas must be auto or a whole number"):
            replica_count(asked, 2)


def test_a_health_check_is_answered_but_not_counted_as_a_browser() -> None:
    async def test(balancer: Balancer, port: int) -> None:
        for _ in range(3):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /_stcore/health HTTP/1.1\r\nHost: school\r\n\r\n")
            head = (await reader.read()).decode()
            writer.close()
            assert head.startswith("HTTP/1.1 200") and "Set-Cookie" not in head
        assert balancer.load(time.monotonic()) == [0, 0]
        _, body = await get(port)  # the first browser: replica 0
        assert body.startswith("replica0")

    with_balancer(test)


def test_a_class_arriving_at_once_is_spread_evenly() -> None:
    async def test(balancer: Balancer, port: int) -> None:
        answers = await asyncio.gather(*(get(port) for _ in range(40)))  # forty page loads together, no cookie
        reached = [body.split("\n", 1)[0] for _, body in answers]
        assert sorted(reached.count(f"replica{i}") for i in range(2)) == [20, 20], reached

    with_balancer(test)
