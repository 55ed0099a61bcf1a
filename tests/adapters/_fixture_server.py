"""A loopback server that replays recorded vendor exchanges (tests only).

Fixtures live in ``fixtures/protocols/<preset>.json``: a list of exchanges, each
``{"name", "status", "headers", "body", "expect", ...}``. ``body`` is any JSON
value, sent as JSON, or a string, sent as is (for malformed bodies and
keep-alive noise).

The server runs its own event loop in a background thread, so tests can drive
the adapter with ``asyncio.run``. A request to
``/<preset>/<exchange>/<anything>`` is answered with that exchange, and the
request (path, headers, JSON body) is recorded under ``(preset, exchange)``.
Point an adapter at it with ``<preset>:<model>@<server.base_url(preset, exchange, path)>``.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

FIXTURES = Path(__file__).with_name("fixtures") / "protocols"


def load_fixtures() -> dict[str, list[dict[str, Any]]]:
    """Every protocol fixture file, by preset name."""
    return {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(FIXTURES.glob("*.json"))
    }


@dataclass
class Recorded:
    """What the server received for one exchange."""

    method: str
    path: str
    headers: dict[str, str]
    raw: bytes
    json: Any


class ReplayServer:
    """Replays fixture exchanges on 127.0.0.1 from a background thread."""

    def __init__(self, fixtures: dict[str, list[dict[str, Any]]]) -> None:
        self._exchanges = {
            (preset, ex["name"]): ex for preset, items in fixtures.items() for ex in items
        }
        self.requests: dict[tuple[str, str], Recorded] = {}
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    # -- lifecycle -------------------------------------------------------

    def start(self) -> ReplayServer:
        self._thread = threading.Thread(target=self._serve, name="replay-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout=30):
            raise RuntimeError("replay server did not start within 30 s")
        if self._error is not None:
            raise RuntimeError(f"replay server failed to start: {self._error!r}")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=30)
        self._thread = None

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._start_site())
        except BaseException as exc:  # reported to start()
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            if self._runner is not None:
                loop.run_until_complete(self._runner.cleanup())
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _start_site(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{preset}/{exchange}/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))  # a free port, chosen by the OS
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()

    # -- replay ----------------------------------------------------------

    def base_url(self, preset: str, exchange: str, path: str = "/v1") -> str:
        """The base URL an adapter should use to get ``exchange`` of ``preset``."""
        return f"http://127.0.0.1:{self.port}/{preset}/{exchange}{path}".rstrip("/")

    def exchange(self, preset: str, name: str) -> dict[str, Any]:
        return self._exchanges[(preset, name)]

    async def _handle(self, request: web.Request) -> web.Response:
        preset = request.match_info["preset"]
        name = request.match_info["exchange"]
        raw = await request.read()
        try:
            parsed: Any = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        self.requests[(preset, name)] = Recorded(
            method=request.method,
            path="/" + request.match_info["tail"],
            headers={k.lower(): v for k, v in request.headers.items()},
            raw=raw,
            json=parsed,
        )
        ex = self._exchanges.get((preset, name))
        if ex is None:
            return web.json_response({"error": f"no exchange {preset}/{name}"}, status=599)
        headers = dict(ex.get("headers") or {})
        body = ex["body"]
        if isinstance(body, str):
            payload = body.encode("utf-8")
        else:
            payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        if not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = "application/json"
        return web.Response(status=ex["status"], body=payload, headers=headers)
