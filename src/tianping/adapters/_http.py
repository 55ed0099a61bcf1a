"""A small, fast HTTP/1.1 client on asyncio, for talking to model endpoints.

Supports: ``http`` and ``https`` URLs (IPv6 literal hosts included), any method,
request bodies given as ``bytes``, responses framed by ``Content-Length``, by
``Transfer-Encoding: chunked`` (extensions and trailers accepted, trailers
dropped) or by connection close; ``100 Continue`` and other 1xx interim
responses are skipped; HEAD, 204 and 304 responses have no body. Connections are
pooled per (scheme, host, port) and kept alive; at most ``max_connections`` are
open per origin and further requests wait their turn (FIFO). A request that fails
on a reused connection before any response byte arrived (the server closed it
while idle) is retried once on a fresh connection. ``timeout`` bounds the whole
request: waiting for a pool slot, connecting, sending and reading the response.

Deliberately not supported: content decoding (we send ``Accept-Encoding:
identity`` and return the body as sent, never gunzipped), proxies, HTTP/2,
redirects, cookies, streaming request or response bodies, pipelining, sending
``Expect: 100-continue``, and obsolete line folding in response headers
(rejected as a bad response).

Errors are :mod:`tianping.core._errors` types: ``ConnectError``,
``RequestTimeout`` and ``BadResponseError``; a non-2xx status is not an error.
``ssl`` is imported only when the first ``https`` URL is used.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast
from urllib.parse import quote, urlsplit

from tianping.core._errors import BadResponseError, ConnectError, RequestTimeout

if TYPE_CHECKING:
    import ssl

__all__ = ["HttpClient", "HttpResponse"]

_MAX_HEAD = 64 * 1024  # response status line + headers
_MAX_LINE = 8 * 1024  # one chunk-size or trailer line
_HEAD, _LENGTH, _CHUNK_SIZE, _CHUNK_DATA, _CHUNK_END, _TRAILER, _UNTIL_CLOSE = range(7)
_HEX = frozenset(b"0123456789abcdefABCDEF")
_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
_TICKS = 10  # timeout wheel: ticks per second
_Payload = bytes | tuple[bytes, bytes]  # request bytes; a large body is written separately


@dataclass(slots=True, frozen=True)
class HttpResponse:
    """A complete response. Header names are lower-cased; repeats are joined with ``", "``."""

    status: int
    headers: dict[str, str]
    body: bytes


class _Stale(Exception):
    """The connection closed before any byte of the response arrived."""


@dataclass(slots=True, frozen=True)
class _Target:
    key: tuple[str, str, int]  # (scheme, host, port): the pool
    host: str
    port: int
    tls: bool
    host_header: str
    path: str  # path and query, as sent in the request line
    block: tuple[str, bool]  # default header lines; whether they set Content-Length


class _Conn(asyncio.Protocol):
    """One connection. Protocol callbacks feed an incremental parser on a bytearray."""

    transport: asyncio.Transport  # set by connection_made, before anyone sees the object

    def __init__(self, client: HttpClient) -> None:
        self.client = client
        self.buf = bytearray()  # received, not yet parsed
        self.body = bytearray()
        self.waiter: asyncio.Future[HttpResponse] | None = None  # the request in flight
        self.state = _HEAD
        self.scan = 0  # where to resume looking for the end of the head
        self.need = 0  # body bytes still expected (Content-Length or current chunk)
        self.status = 0
        self.headers: dict[str, str] = {}
        self.no_body = self.got_bytes = self.lost = self.reused = False
        self.keep_alive = True
        self.closed_fut: asyncio.Future[None] | None = None  # made by aclose only

    def start(self, waiter: asyncio.Future[HttpResponse], no_body: bool) -> None:
        self.waiter = waiter
        self.no_body = no_body
        self.state = _HEAD
        self.scan = 0
        self.got_bytes = False
        self.keep_alive = True
        self.body = bytearray()
        self.buf.clear()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # cast, not isinstance: other event loops (uvloop) have their own transport types.
        self.transport = cast(asyncio.Transport, transport)
        self.client._open.add(self)

    def data_received(self, data: bytes) -> None:
        waiter = self.waiter
        if waiter is None:  # bytes nobody asked for: the connection is unusable
            self.keep_alive = False
            self.transport.abort()
            return
        self.got_bytes = True
        self.buf += data
        try:
            if not self._parse():
                return
        except BadResponseError as exc:
            self.waiter = None
            self.keep_alive = False
            if not waiter.done():
                waiter.set_exception(exc)
            self.transport.abort()
            return
        self.waiter = None
        if self.buf:  # more bytes than the response: do not trust this connection
            self.keep_alive = False
        if not waiter.done():
            waiter.set_result(HttpResponse(self.status, self.headers, bytes(self.body)))

    def eof_received(self) -> bool:
        return False  # let the transport close; connection_lost finishes the response

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self.keep_alive = False
        self.client._open.discard(self)
        if self.closed_fut is not None and not self.closed_fut.done():
            self.closed_fut.set_result(None)
        waiter, self.waiter = self.waiter, None
        if waiter is None or waiter.done():
            return
        if self.state == _UNTIL_CLOSE and exc is None:
            self.body += self.buf
            waiter.set_result(HttpResponse(self.status, self.headers, bytes(self.body)))
        elif not self.got_bytes:
            waiter.set_exception(_Stale(exc or "closed by peer"))
        else:
            why = {
                _HEAD: "response head incomplete",
                _LENGTH: f"body truncated: got {len(self.buf)} of {self.need} bytes",
                _UNTIL_CLOSE: f"body cut short by {exc!r}",
            }.get(self.state, "chunked body incomplete")
            waiter.set_exception(BadResponseError(f"connection closed mid-response ({why})"))

    def _parse(self) -> bool:
        """Consume ``self.buf``; return True when the response is complete."""
        buf = self.buf
        while True:
            state = self.state
            if state == _LENGTH:
                if len(buf) < self.need:
                    return False
                if len(buf) == self.need:
                    self.body, self.buf = buf, bytearray()
                else:
                    self.body = buf[: self.need]
                    del buf[: self.need]
                return True
            if state == _HEAD:
                end = buf.find(b"\r\n\r\n", self.scan)
                if end < 0 or end > _MAX_HEAD:
                    if len(buf) > _MAX_HEAD:
                        raise BadResponseError("response header section over 64 KiB")
                    self.scan = max(0, len(buf) - 3)
                    return False
                head = bytes(buf[:end])
                del buf[: end + 4]
                self.scan = 0
                if self._parse_head(head):
                    return True
            elif state in (_CHUNK_SIZE, _TRAILER):
                end = buf.find(b"\r\n")
                if end < 0:
                    if len(buf) > _MAX_LINE:
                        raise BadResponseError("chunk size or trailer line too long")
                    return False
                line = bytes(buf[:end])
                del buf[: end + 2]
                if state == _TRAILER:
                    if not line:  # the blank line after the trailers
                        return True
                    continue
                size = line.partition(b";")[0].strip(b" \t")  # drop chunk extensions
                if not size or len(size) > 15 or not _HEX.issuperset(size):
                    raise BadResponseError(f"bad chunk size line {line[:40]!r}")
                self.need = int(size, 16)
                self.state = _CHUNK_DATA if self.need else _TRAILER
            elif state == _CHUNK_DATA:
                chunk = buf[: self.need]
                self.body += chunk
                del buf[: len(chunk)]
                self.need -= len(chunk)
                if self.need:
                    return False
                self.state = _CHUNK_END
            elif state == _CHUNK_END:
                if len(buf) < 2:
                    return False
                if buf[:2] != b"\r\n":
                    raise BadResponseError("chunk data not followed by CRLF")
                del buf[:2]
                self.state = _CHUNK_SIZE
            else:  # _UNTIL_CLOSE: connection_lost completes the body
                return False

    def _parse_head(self, head: bytes) -> bool:
        """Parse a status line and headers, choose the body framing; True if no body."""
        text = head.decode("latin-1")
        lines = text.split("\r\n")
        if text.count("\n") != len(lines) - 1:
            raise BadResponseError("bare LF in response head")
        version, _, rest = lines[0].partition(" ")
        code = rest[:3]
        if (
            version not in ("HTTP/1.1", "HTTP/1.0")
            or not (code.isdigit() and code.isascii())
            or rest[3:4] not in ("", " ")
        ):
            raise BadResponseError(f"bad status line {lines[0][:80]!r}")
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep or not name or name[0] in " \t" or name[-1] in " \t":
                raise BadResponseError(f"bad header line {line[:80]!r}")  # incl. obs-fold
            name = name.lower()
            value = value.strip(" \t")
            old = headers.get(name)
            headers[name] = value if old is None else f"{old}, {value}"
        status = int(code)
        if status < 200:
            if status == 101:
                raise BadResponseError("unexpected 101 Switching Protocols")
            return False  # interim response: the real one follows; state stays _HEAD
        self.status = status
        self.headers = headers
        conn = headers.get("connection")
        if conn is not None:
            tokens = {t.strip().lower() for t in conn.split(",")}
            self.keep_alive = (
                "keep-alive" in tokens if version == "HTTP/1.0" else "close" not in tokens
            )
        elif version == "HTTP/1.0":
            self.keep_alive = False
        if self.no_body or status == 204 or status == 304:
            return True
        te = headers.get("transfer-encoding")
        cl = headers.get("content-length")
        if te is not None and te.rpartition(",")[2].strip().lower() == "chunked":
            self.state = _CHUNK_SIZE
        elif te is not None or cl is None:
            self.state, self.keep_alive = _UNTIL_CLOSE, False
        else:
            values = {v.strip() for v in cl.split(",")}
            value = values.pop()
            if values or not (value.isdigit() and value.isascii()) or len(value) > 18:
                raise BadResponseError(f"bad Content-Length {cl[:40]!r}")
            self.need = int(value)
            self.state = _LENGTH
        return False


class _Pool:
    __slots__ = ("idle", "sem")

    def __init__(self, size: int) -> None:
        self.idle: list[_Conn] = []  # kept-alive connections, reused last in, first out
        self.sem = asyncio.Semaphore(size)  # one unit per connection in use; FIFO waiters


class _Deadline:
    __slots__ = ("cancelling", "expired", "task")

    def __init__(self, task: asyncio.Task[object]) -> None:
        self.task = task
        self.cancelling = task.cancelling()
        self.expired = False


class HttpClient:
    """An HTTP/1.1 client with a keep-alive connection pool per origin.

    Use it from one event loop. Timeouts run on a wheel of 0.1 s ticks (one timer
    per tick, not per request), so a timeout fires up to 0.1 s late.
    """

    def __init__(
        self,
        *,
        max_connections: int = 64,
        connect_timeout: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
        user_agent: str = "tianping",
    ) -> None:
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        self._max = max_connections
        self._connect_timeout = connect_timeout
        self._ssl = ssl_context
        self._ua = user_agent
        self._pools: dict[tuple[str, str, int], _Pool] = {}
        self._targets: dict[str, _Target] = {}  # parsed URLs
        self._blocks: dict[tuple[object, ...], tuple[str, bool]] = {}  # rendered headers
        self._wheel: dict[int, set[_Deadline]] = {}  # tick -> requests that expire then
        self._open: set[_Conn] = set()
        self._closed = False
        self._render("x", None)  # validates user_agent

    async def get(
        self,
        url: str,
        headers: Mapping[str, str] | None = None,
        timeout: float = 60.0,  # noqa: ASYNC109 - bounds the whole request, as documented
    ) -> HttpResponse:
        return await self.request("GET", url, headers=headers, timeout=timeout)

    async def post(
        self,
        url: str,
        body: bytes,
        headers: Mapping[str, str] | None = None,
        timeout: float = 60.0,  # noqa: ASYNC109
    ) -> HttpResponse:
        return await self.request("POST", url, body=body, headers=headers, timeout=timeout)

    async def request(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 60.0,  # noqa: ASYNC109
    ) -> HttpResponse:
        """Send one request and return the complete response, whatever its status.

        ``headers`` override the defaults (Host, User-Agent, Accept-Encoding: identity,
        Connection: keep-alive, Content-Length) case-insensitively. ``timeout`` is a
        finite number of seconds for the whole request.
        """
        if self._closed:
            raise RuntimeError("HttpClient is closed")
        target = self._targets.get(url) or self._target(url)
        if method not in _METHODS and not (method.isascii() and method.replace("-", "").isalnum()):
            raise ValueError(f"bad HTTP method {method!r}")
        if headers:
            cached = self._blocks.get((target.host_header, *headers.items()))
            block, own_length = cached or self._render(target.host_header, headers)
        else:
            block, own_length = target.block
        length = "" if body is None or own_length else f"Content-Length: {len(body)}\r\n"
        head = f"{method} {target.path} HTTP/1.1\r\n{block}{length}\r\n".encode("latin-1")
        data: _Payload = head
        if body:
            data = head + body if len(body) <= 65536 else (head, body)
        pool = self._pools.get(target.key)
        if pool is None:
            pool = self._pools[target.key] = _Pool(self._max)
        # Put the deadline on the wheel: at the first tick after it, the task is cancelled.
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("HttpClient.request must run inside an asyncio task")
        tick = int((loop.time() + timeout) * _TICKS) + 1
        bucket = self._wheel.get(tick)
        if bucket is None:
            bucket = self._wheel[tick] = set()
            loop.call_at(tick / _TICKS, self._expire, tick)
        deadline = _Deadline(task)
        bucket.add(deadline)
        try:
            return await self._send(pool, target, data, method == "HEAD")
        except asyncio.CancelledError:
            if deadline.expired and task.uncancel() <= deadline.cancelling:
                msg = f"{method} {url}: no complete response within {timeout:g} s"
                raise RequestTimeout(msg) from None
            raise
        finally:
            bucket.discard(deadline)

    async def aclose(self) -> None:
        """Close every connection; later requests raise RuntimeError."""
        self._closed = True
        for pool in self._pools.values():
            pool.idle.clear()
        loop = asyncio.get_running_loop()
        waits = []
        for conn in list(self._open):
            if conn.closed_fut is None:
                conn.closed_fut = loop.create_future()
            waits.append(conn.closed_fut)
            conn.transport.close()
        if waits:
            _, pending = await asyncio.wait(waits, timeout=1.0)
            if pending:  # a TLS peer that does not answer close_notify
                for conn in list(self._open):
                    conn.transport.abort()
                await asyncio.wait(pending, timeout=1.0)

    def _expire(self, tick: int) -> None:
        for deadline in self._wheel.pop(tick, ()):
            deadline.expired = True
            deadline.task.cancel()

    async def _send(
        self, pool: _Pool, target: _Target, data: _Payload, no_body: bool
    ) -> HttpResponse:
        await pool.sem.acquire()
        try:
            loop = asyncio.get_running_loop()
            for attempt in (0, 1):
                conn = None
                idle = pool.idle
                while idle and not attempt:  # the retry always takes a fresh connection
                    conn = idle.pop()
                    if not conn.lost and not conn.transport.is_closing():
                        break
                    conn = None
                if conn is None:
                    conn = await self._connect(target)
                waiter: asyncio.Future[HttpResponse] = loop.create_future()
                conn.start(waiter, no_body)
                ok = False
                try:
                    if isinstance(data, tuple):  # no copy of a large body
                        conn.transport.write(data[0])
                        conn.transport.write(data[1])
                    else:
                        conn.transport.write(data)
                    resp = await waiter
                    ok = True
                except _Stale as exc:
                    if conn.reused and not attempt:
                        continue  # closed by the server while idle: retry once
                    where = f"{target.host}:{target.port}"
                    msg = f"{where} closed the connection without a response ({exc})"
                    raise BadResponseError(msg) from exc
                finally:
                    if not ok:  # error, timeout or cancellation: never reuse
                        conn.waiter = None
                        conn.transport.abort()
                if conn.keep_alive and not self._closed:
                    conn.reused = True
                    idle.append(conn)
                else:
                    conn.transport.close()
                return resp
            raise AssertionError("unreachable")
        finally:
            pool.sem.release()

    async def _connect(self, target: _Target) -> _Conn:
        if self._closed:
            raise RuntimeError("HttpClient is closed")
        ctx = None
        if target.tls:
            if self._ssl is None:
                import ssl

                self._ssl = ssl.create_default_context()
            ctx = self._ssl
        sni = target.host if ctx is not None else None
        where = f"{target.host}:{target.port}"
        try:
            async with asyncio.timeout(self._connect_timeout):
                _, conn = await asyncio.get_running_loop().create_connection(
                    lambda: _Conn(self), target.host, target.port, ssl=ctx, server_hostname=sni
                )
        except TimeoutError as exc:
            msg = f"cannot connect to {where}: no connection within {self._connect_timeout:g} s"
            raise ConnectError(msg) from exc
        except (OSError, ValueError) as exc:  # refused, DNS, TLS handshake (ssl.SSLError)
            raise ConnectError(f"cannot connect to {where}: {exc}") from exc
        return conn

    def _target(self, url: str) -> _Target:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise ValueError(f"unsupported URL scheme {parts.scheme!r} in {url!r}")
        host = parts.hostname
        if not host:
            raise ValueError(f"no host in URL {url!r}")
        if parts.username is not None or parts.password is not None:
            raise ValueError("credentials in the URL are not supported; send a header")
        port = parts.port or (443 if scheme == "https" else 80)  # .port raises ValueError
        name = f"[{host}]" if ":" in host else host
        host_header = name if parts.port is None else f"{name}:{port}"
        path = parts.path or "/"
        if parts.query:
            path = f"{path}?{parts.query}"
        if not path.isascii() or not path.isprintable() or " " in path:
            path = quote(path, safe="!#$%&'()*+,/:;=?@[]~")
        block = self._render(host_header, None)
        target = _Target(
            (scheme, host, port), host, port, scheme == "https", host_header, path, block
        )
        if len(self._targets) >= 1024:
            self._targets.clear()
        self._targets[url] = target
        return target

    def _render(self, host: str, headers: Mapping[str, str] | None) -> tuple[str, bool]:
        """The default header lines overridden by ``headers``; cached per header set."""
        merged = {
            "host": f"Host: {host}\r\n",
            "user-agent": f"User-Agent: {self._ua}\r\n",
            "accept-encoding": "Accept-Encoding: identity\r\n",
            "connection": "Connection: keep-alive\r\n",
        }
        for name, value in (headers or {}).items():
            if not name or ":" in name or " " in name or "\t" in name:
                raise ValueError(f"bad header name {name!r}")
            merged[name.lower()] = f"{name}: {value}\r\n"
        block = "".join(merged.values())
        n = len(merged)
        if block.count("\n") != n or block.count("\r") != n or "\0" in block:
            raise ValueError("header names and values must not contain CR, LF or NUL")
        result = (block, "content-length" in merged)
        if headers:
            if len(self._blocks) >= 256:
                self._blocks.clear()
            self._blocks[(host, *headers.items())] = result
        return result
