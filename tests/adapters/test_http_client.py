"""HttpClient against real loopback servers: aiohttp for ordinary traffic, scripted raw
asyncio servers for protocol edge cases, and a TLS server with a throwaway certificate."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from tianping.adapters._http import HttpClient, HttpResponse, _Conn
from tianping.core._errors import BadResponseError, ConnectError, RequestTimeout

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def aio(fn: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test in a fresh event loop, bounded to 30 s."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(asyncio.wait_for(fn(*args, **kwargs), 30))

    return wrapper


# -- servers -------------------------------------------------------------------------------


class RawServer:
    """asyncio.start_server running a scripted handler per connection; counts connections."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.port = 0
        self._tasks: set[asyncio.Task[Any]] = set()
        self._writers: list[asyncio.StreamWriter] = []

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.append(writer)
        try:
            await self.handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def read_request(self, reader: asyncio.StreamReader) -> tuple[str, dict[str, str], bytes]:
        head = await reader.readuntil(b"\r\n\r\n")
        line, *rest = head.decode("latin-1").split("\r\n")[:-2]
        headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in rest)}
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        self.requests.append((line, headers, body))
        return line, headers, body


@contextlib.asynccontextmanager
async def raw_server(
    handler: Handler, ssl_ctx: ssl.SSLContext | None = None, host: str = "127.0.0.1"
) -> AsyncIterator[RawServer]:
    srv = RawServer(handler)
    server = await asyncio.start_server(srv._serve, host, 0, ssl=ssl_ctx)
    srv.port = server.sockets[0].getsockname()[1]
    try:
        yield srv
    finally:
        server.close()
        for writer in srv._writers:
            writer.close()
        for task in list(srv._tasks):
            task.cancel()
        await asyncio.gather(*srv._tasks, return_exceptions=True)
        await server.wait_closed()
        await asyncio.sleep(0.01)


def responder(*responses: bytes, then_close: bool = False) -> Callable[[RawServer], Handler]:
    """A handler that answers each request on a connection with the next canned response."""

    def make(srv: RawServer) -> Handler:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            for resp in responses:
                await srv.read_request(reader)
                writer.write(resp)
                await writer.drain()
            if not then_close:
                await reader.read()  # keep the connection until the client goes

        return handle

    return make


@contextlib.asynccontextmanager
async def scripted(
    make: Callable[[RawServer], Handler], ssl_ctx: ssl.SSLContext | None = None
) -> AsyncIterator[RawServer]:
    holder: list[RawServer] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await make(holder[0])(reader, writer)

    async with raw_server(handler, ssl_ctx) as srv:
        holder.append(srv)
        yield srv


@contextlib.asynccontextmanager
async def client(**kwargs: Any) -> AsyncIterator[HttpClient]:
    c = HttpClient(**kwargs)
    try:
        yield c
    finally:
        await c.aclose()
        assert not c._open, "connections left open after aclose"


OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


# -- aiohttp server: ordinary traffic ------------------------------------------------------


class AppState:
    def __init__(self) -> None:
        self.peers: set[object] = set()
        self.in_flight = 0
        self.peak = 0


@contextlib.asynccontextmanager
async def aiohttp_app() -> AsyncIterator[tuple[str, AppState]]:
    state = AppState()

    async def track(request: web.Request) -> None:
        assert request.transport is not None
        state.peers.add(request.transport.get_extra_info("peername"))

    async def chat(request: web.Request) -> web.Response:
        await track(request)
        state.in_flight += 1
        state.peak = max(state.peak, state.in_flight)
        try:
            data = await request.json()
            await asyncio.sleep(float(request.query.get("delay", "0")))
            return web.json_response({"echo": data, "ua": request.headers.get("User-Agent")})
        finally:
            state.in_flight -= 1

    async def echo(request: web.Request) -> web.Response:
        await track(request)
        return web.Response(body=await request.read())

    async def big(request: web.Request) -> web.Response:
        await track(request)
        return web.Response(body=bytes(range(256)) * (5 * 4096))

    async def chunked(request: web.Request) -> web.StreamResponse:
        await track(request)
        resp = web.StreamResponse()
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        for i in range(80):
            await resp.write(bytes([i]) * 65536)
        await resp.write_eof()
        return resp

    async def headers(request: web.Request) -> web.Response:
        await track(request)
        resp = web.json_response(dict(request.headers))
        resp.headers.add("X-Multi", "a")
        resp.headers.add("X-Multi", "b")
        resp.headers["X-Case"] = "MiXeD"
        return resp

    async def status(request: web.Request) -> web.Response:
        await track(request)
        code = int(request.match_info["code"])
        return web.json_response({"error": {"code": code}}, status=code)

    app = web.Application(client_max_size=16 * 1024 * 1024)
    app.router.add_post("/v1/chat/completions", chat)
    app.router.add_post("/echo", echo)
    app.router.add_get("/big", big)
    app.router.add_get("/chunked", chunked)
    app.router.add_get("/headers", headers)
    app.router.add_route("*", "/status/{code}", status)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}", state
    finally:
        await runner.cleanup()


@aio
async def test_json_post_and_get_with_keep_alive_reuse() -> None:
    async with aiohttp_app() as (base, state), client() as c:
        for i in range(10):
            body = json.dumps({"messages": [{"role": "user", "content": f"Q{i}"}]}).encode()
            r = await c.post(
                f"{base}/v1/chat/completions", body, {"Content-Type": "application/json"}
            )
            assert isinstance(r, HttpResponse)
            assert r.status == 200
            assert r.headers["content-type"].startswith("application/json")
            assert json.loads(r.body) == {
                "echo": {"messages": [{"role": "user", "content": f"Q{i}"}]},
                "ua": "tianping",
            }
        r = await c.get(f"{base}/headers")
        assert r.status == 200
        assert len(state.peers) == 1  # eleven requests, one connection


@aio
async def test_concurrency_is_bounded_by_max_connections() -> None:
    async with aiohttp_app() as (base, state), client(max_connections=8) as c:
        url = f"{base}/v1/chat/completions?delay=0.01"

        async def one(i: int) -> int:
            r = await c.post(url, json.dumps({"i": i}).encode())
            assert json.loads(r.body)["echo"] == {"i": i}
            return r.status

        statuses = await asyncio.gather(*(one(i) for i in range(64)))
        assert statuses == [200] * 64
        assert len(state.peers) <= 8
        assert state.peak == 8


@aio
async def test_headers_round_trip_and_caller_overrides() -> None:
    async with aiohttp_app() as (base, _), client(user_agent="tp-test/1") as c:
        r = await c.get(
            f"{base}/headers",
            headers={"Authorization": "Bearer sk-x", "X-Custom": "v", "user-agent": "override"},
        )
        sent = {k.lower(): v for k, v in json.loads(r.body).items()}
        assert sent["authorization"] == "Bearer sk-x"
        assert sent["x-custom"] == "v"
        assert sent["user-agent"] == "override"
        assert sent["accept-encoding"] == "identity"
        assert sent["host"] == base.removeprefix("http://")
        assert r.headers["x-multi"] == "a, b"
        assert r.headers["x-case"] == "MiXeD"
        r = await c.get(f"{base}/headers")
        assert json.loads(r.body)["User-Agent"] == "tp-test/1"


@aio
async def test_large_bodies_both_ways() -> None:
    payload = bytes(range(251)) * (5 * 1024 * 1024 // 251)
    async with aiohttp_app() as (base, _), client() as c:
        r = await c.post(f"{base}/echo", payload)
        assert r.status == 200
        assert r.body == payload
        r = await c.get(f"{base}/big")
        assert r.body == bytes(range(256)) * (5 * 4096)
        r = await c.get(f"{base}/chunked")
        assert r.headers["transfer-encoding"] == "chunked"
        assert r.body == b"".join(bytes([i]) * 65536 for i in range(80))


@aio
async def test_non_2xx_statuses_are_returned() -> None:
    async with aiohttp_app() as (base, state), client() as c:
        for code in (400, 401, 404, 429, 500, 503):
            r = await c.post(f"{base}/status/{code}", b"{}")
            assert r.status == code
            assert json.loads(r.body) == {"error": {"code": code}}
        assert len(state.peers) == 1


# -- raw server: the wire format and protocol edge cases -----------------------------------


@aio
async def test_request_bytes_on_the_wire() -> None:
    async with scripted(responder(OK, OK, OK)) as srv, client() as c:
        await c.post(f"http://127.0.0.1:{srv.port}/v1/x?a=1&b=2", b"hello")
        await c.get(f"http://127.0.0.1:{srv.port}")
        await c.request("DELETE", f"http://127.0.0.1:{srv.port}/r", headers={"HOST": "example"})
    (l1, h1, b1), (l2, h2, b2), (l3, h3, _) = srv.requests
    assert l1 == "POST /v1/x?a=1&b=2 HTTP/1.1"
    assert h1 == {
        "host": f"127.0.0.1:{srv.port}",
        "user-agent": "tianping",
        "accept-encoding": "identity",
        "connection": "keep-alive",
        "content-length": "5",
    }
    assert b1 == b"hello"
    assert l2 == "GET / HTTP/1.1"
    assert "content-length" not in h2
    assert b2 == b""
    assert l3 == "DELETE /r HTTP/1.1"
    assert h3["host"] == "example"
    assert srv.connections == 1


@aio
async def test_chunked_with_extensions_and_trailers() -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;ext=1\r\nhello\r\n6;a=b;c\r\n world\r\n0\r\nX-Trailer: t\r\nX-Other: u\r\n\r\n"
    )
    async with scripted(responder(chunked, OK)) as srv, client() as c:
        r = await c.get(f"http://127.0.0.1:{srv.port}/")
        assert (r.status, r.body) == (200, b"hello world")
        assert (await c.get(f"http://127.0.0.1:{srv.port}/")).body == b"ok"
        assert srv.connections == 1


def trickle(resp: bytes, step: int, pause: float = 0.001) -> Callable[[RawServer], Handler]:
    """Answer one request per connection with ``resp`` written ``step`` bytes at a time."""

    def make(srv: RawServer) -> Handler:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while True:
                await srv.read_request(reader)
                for i in range(0, len(resp), step):
                    writer.write(resp[i : i + step])
                    await writer.drain()
                    await asyncio.sleep(pause)

        return handle

    return make


@aio
async def test_chunked_one_byte_at_a_time() -> None:
    resp = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
        b"a;x=y\r\n0123456789\r\n1\r\n!\r\n0\r\nT: 1\r\n\r\n"
    )
    async with scripted(trickle(resp, 1)) as srv, client() as c:
        for _ in range(2):
            r = await c.get(f"http://127.0.0.1:{srv.port}/")
            assert r.body == b"0123456789!"
            assert r.headers["transfer-encoding"] == "gzip, chunked"
        assert srv.connections == 1


@aio
async def test_content_length_body_split_across_writes() -> None:
    body = b"x" * 1000 + b"y" * 1000
    resp = b"HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n" + body
    async with scripted(trickle(resp, 333)) as srv, client() as c:
        for _ in range(3):
            assert (await c.get(f"http://127.0.0.1:{srv.port}/")).body == body
        assert srv.connections == 1


def test_parser_fed_byte_by_byte() -> None:
    """The incremental parser gives the same answer however the bytes are split."""
    resp = (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 201 Created\r\nA: 1\r\nA: 2\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n"
    )

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for step in (1, 2, 3, 7, len(resp)):
            conn = _Conn(HttpClient())
            fut: asyncio.Future[HttpResponse] = loop.create_future()
            conn.start(fut, False)
            for i in range(0, len(resp), step):
                assert not fut.done()
                conn.data_received(resp[i : i + step])
            r = fut.result()
            assert (r.status, r.headers["a"], r.body) == (201, "1, 2", b"abc0123456789abcdef")
            assert conn.keep_alive

    asyncio.run(main())


@aio
async def test_read_until_close_body_is_not_reused() -> None:
    resp = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end"
    async with scripted(responder(resp, then_close=True)) as srv, client() as c:
        for _ in range(2):
            r = await c.get(f"http://127.0.0.1:{srv.port}/")
            assert r.body == b"until the end"
        assert srv.connections == 2


@aio
async def test_connection_close_means_a_new_connection() -> None:
    resp = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"
    # The server keeps the socket open: the client must not reuse it anyway.
    async with scripted(responder(resp)) as srv, client() as c:
        for _ in range(3):
            assert (await c.get(f"http://127.0.0.1:{srv.port}/")).body == b"ok"
        assert srv.connections == 3


@aio
async def test_http10_without_keep_alive_is_not_reused() -> None:
    resp = b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"
    async with scripted(responder(resp)) as srv, client() as c:
        for _ in range(2):
            assert (await c.get(f"http://127.0.0.1:{srv.port}/")).body == b"ok"
        assert srv.connections == 2


@aio
async def test_interim_100_continue_is_skipped() -> None:
    resp = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone"
    async with scripted(responder(resp, OK)) as srv, client() as c:
        r = await c.post(f"http://127.0.0.1:{srv.port}/", b"{}")
        assert (r.status, r.body) == (200, b"done")
        assert (await c.get(f"http://127.0.0.1:{srv.port}/")).body == b"ok"
        assert srv.connections == 1


@aio
async def test_no_body_for_head_204_and_304() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"
    no_content = b"HTTP/1.1 204 No Content\r\n\r\n"
    not_modified = b"HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n"
    async with scripted(responder(head, no_content, not_modified, OK)) as srv, client() as c:
        url = f"http://127.0.0.1:{srv.port}/"
        r = await c.request("HEAD", url)
        assert (r.status, r.body, r.headers["content-length"]) == (200, b"", "1234")
        assert (await c.get(url)).status == 204
        assert (await c.get(url)).status == 304
        assert (await c.get(url)).body == b"ok"
        assert srv.connections == 1


@pytest.mark.parametrize(
    ("resp", "message"),
    [
        (b"HTTX/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "status line"),
        (b"HTTP/1.1 2OO OK\r\nContent-Length: 0\r\n\r\n", "status line"),
        (b"garbage\r\n\r\n", "status line"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n", "chunk"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", "CRLF"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", "3 of 10"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", "Content-Length"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n", "Content-Length"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: " + b"9" * 5000 + b"\r\n\r\n", "Content-Length"),
        (b"HTTP/1.1 101 Switching Protocols\r\n\r\n", "101"),
        (b"HTTP/1.1 200 OK\r\nX: a\r\n  folded\r\nContent-Length: 0\r\n\r\n", "header line"),
        (b"HTTP/1.1 200 OK\r\nno colon\r\nContent-Length: 0\r\n\r\n", "header line"),
        (b"HTTP/1.1 200 OK\r\nX: a\nY: b\r\nContent-Length: 0\r\n\r\n", "bare LF"),
        (b"HTTP/1.1 200 OK\r\nContent-Len", "incomplete"),
        (b"HTTP/1.1 200 OK\r\n" + b"X-Pad: " + b"p" * 70_000 + b"\r\n\r\n", "64 KiB"),
    ],
)
@aio
async def test_malformed_responses_raise_bad_response(resp: bytes, message: str) -> None:
    async with scripted(responder(resp, then_close=True)) as srv, client() as c:
        with pytest.raises(BadResponseError, match=message):
            await c.get(f"http://127.0.0.1:{srv.port}/")
        # The broken connection is dropped; the next request uses a fresh one.
        with pytest.raises(BadResponseError):
            await c.get(f"http://127.0.0.1:{srv.port}/")
        assert srv.connections == 2


@aio
async def test_closed_before_any_response_on_fresh_connection() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")

    async with raw_server(handler) as srv, client() as c:
        with pytest.raises(BadResponseError, match="without a response"):
            await c.get(f"http://127.0.0.1:{srv.port}/")
        assert srv.connections == 1  # a fresh connection is not retried


@aio
async def test_stale_connection_is_retried_once_transparently() -> None:
    """The server drops a kept-alive connection just as the next request arrives."""

    def make(srv: RawServer) -> Handler:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await srv.read_request(reader)
            writer.write(OK)
            await writer.drain()
            await reader.readuntil(b"\r\n\r\n")  # the second request: close without answer

        return handle

    async with scripted(make) as srv, client() as c:
        url = f"http://127.0.0.1:{srv.port}/"
        for _ in range(3):
            assert (await c.post(url, b"{}")).body == b"ok"
        assert srv.connections == 3
        assert len(srv.requests) == 3


@aio
async def test_idle_connection_closed_by_server_is_not_an_error() -> None:
    def make(srv: RawServer) -> Handler:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await srv.read_request(reader)
            writer.write(OK)  # says keep-alive, then closes after a short idle time
            await writer.drain()
            await asyncio.sleep(0.05)

        return handle

    async with scripted(make) as srv, client() as c:
        url = f"http://127.0.0.1:{srv.port}/"
        for _ in range(3):
            assert (await c.get(url)).body == b"ok"
            await asyncio.sleep(0.1)
        assert srv.connections == 3


@aio
async def test_server_that_never_answers_times_out() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    async with raw_server(handler) as srv, client() as c:
        t0 = time.monotonic()
        with pytest.raises(RequestTimeout, match=r"within 0\.3 s"):
            await c.get(f"http://127.0.0.1:{srv.port}/", timeout=0.3)
        elapsed = time.monotonic() - t0
        assert 0.3 <= elapsed < 0.8
        assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]


@aio
async def test_waiting_for_a_pool_slot_counts_toward_the_timeout() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    async with raw_server(handler) as srv, client(max_connections=1) as c:
        url = f"http://127.0.0.1:{srv.port}/"
        first = asyncio.create_task(c.get(url, timeout=5))
        await asyncio.sleep(0.05)
        t0 = time.monotonic()
        with pytest.raises(RequestTimeout):
            await c.get(url, timeout=0.2)
        assert time.monotonic() - t0 < 0.7
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        assert srv.connections == 1


@aio
async def test_refused_port_raises_connect_error_naming_it() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound but not listening: connections are refused
        async with client() as c:
            with pytest.raises(ConnectError, match=f"127.0.0.1:{port}") as info:
                await c.get(f"http://127.0.0.1:{port}/")
            assert isinstance(info.value.__cause__, OSError)


@aio
async def test_unresolvable_host_raises_connect_error() -> None:
    async with client() as c:
        with pytest.raises(ConnectError, match=r"no-such-host\.invalid:80"):
            await c.get("http://no-such-host.invalid/")


@aio
async def test_cancelled_request_frees_its_slot() -> None:
    got_slow = asyncio.Event()

    def make(srv: RawServer) -> Handler:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while True:
                line, _, _ = await srv.read_request(reader)
                if "/slow" in line:
                    got_slow.set()
                    await reader.read()  # never answers; returns when the client hangs up
                    return
                writer.write(OK)

        return handle

    async with scripted(make) as srv, client(max_connections=1) as c:
        slow = asyncio.create_task(c.get(f"http://127.0.0.1:{srv.port}/slow"))
        await got_slow.wait()
        slow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow
        r = await c.get(f"http://127.0.0.1:{srv.port}/fast", timeout=2)
        assert r.body == b"ok"
        assert srv.connections == 2
        assert len(c._open) == 1


@aio
async def test_aclose_closes_connections_and_refuses_new_requests() -> None:
    closed = asyncio.Event()

    def make(srv: RawServer) -> Handler:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await srv.read_request(reader)
            writer.write(OK)
            await reader.read()
            closed.set()

        return handle

    async with scripted(make) as srv:
        c = HttpClient()
        assert (await c.get(f"http://127.0.0.1:{srv.port}/")).body == b"ok"
        await c.aclose()
        await asyncio.wait_for(closed.wait(), 2)
        with pytest.raises(RuntimeError, match="closed"):
            await c.get(f"http://127.0.0.1:{srv.port}/")


@aio
async def test_aclose_ends_requests_in_flight() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    async with raw_server(handler) as srv:
        c = HttpClient()
        pending = asyncio.create_task(c.get(f"http://127.0.0.1:{srv.port}/"))
        await asyncio.sleep(0.05)
        await c.aclose()
        with pytest.raises(BadResponseError):
            await asyncio.wait_for(pending, 2)
        assert not c._open


@aio
async def test_ipv6_literal_host() -> None:
    try:
        server = await asyncio.start_server(lambda r, w: None, "::1", 0)
    except OSError:
        pytest.skip("no IPv6 loopback here")
    server.close()
    await server.wait_closed()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        host = next(h for h in head.split(b"\r\n") if h.lower().startswith(b"host:"))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(host), host))
        await reader.read()

    async with raw_server(handler, host="::1") as srv, client() as c:
        r = await c.get(f"http://[::1]:{srv.port}/")
        assert r.body == f"Host: [::1]:{srv.port}".encode()


def test_bad_arguments_raise_value_error() -> None:
    async def main() -> None:
        async with client() as c:
            for url in ("ftp://x/", "http:///path", "http://u:p@host/", "http://h:99999/"):
                with pytest.raises(ValueError, match=r"scheme|host|credentials|[Pp]ort"):
                    await c.get(url)
            with pytest.raises(ValueError, match="header"):
                await c.get("http://127.0.0.1:1/", headers={"X": "a\r\nInjected: 1"})
            with pytest.raises(ValueError, match="method"):
                await c.request("GET /x", "http://127.0.0.1:1/")

    asyncio.run(main())
    with pytest.raises(ValueError, match="max_connections"):
        HttpClient(max_connections=0)


# -- TLS -----------------------------------------------------------------------------------


def make_cert(tmp: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1: with ``cryptography`` or the openssl tool."""
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    try:
        import datetime as dt
        import ipaddress

        from cryptography import x509  # type: ignore[import-not-found,unused-ignore]
        from cryptography.hazmat.primitives import hashes, serialization  # type: ignore[import-not-found,unused-ignore]
        from cryptography.hazmat.primitives.asymmetric import ec  # type: ignore[import-not-found,unused-ignore]
        from cryptography.x509.oid import NameOID  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        if shutil.which("openssl") is None:
            pytest.skip("TLS test needs `cryptography` or the openssl tool; neither is here")
        subprocess.run(
            [
                *(
                    "openssl",
                    "req",
                    "-x509",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:P-256",
                ),
                *("-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj"),
                *("/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
            ],
            check=True,
            capture_output=True,
        )
        return cert, key
    pkey = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(pkey.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(pkey, hashes.SHA256())
    )
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(
        pkey.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert, key


@aio
async def test_https_with_trusted_self_signed_cert(tmp_path: Path) -> None:
    cert, key = make_cert(tmp_path)
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)
    trusting = ssl.create_default_context(cafile=str(cert))
    async with scripted(responder(OK, OK, OK), server_ctx) as srv:
        url = f"https://127.0.0.1:{srv.port}/v1/chat/completions"
        async with client(ssl_context=trusting) as c:
            for _ in range(3):
                r = await c.post(url, b'{"x": 1}')
                assert (r.status, r.body) == (200, b"ok")
            assert srv.connections == 1
        # Verification failure: the default trust store does not know this certificate.
        async with client() as c:
            with pytest.raises(ConnectError, match=f"127.0.0.1:{srv.port}.*CERTIFICATE"):
                await c.get(url)
