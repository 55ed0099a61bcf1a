"""Micro-benchmark: client CPU per request for tianping's HttpClient (not a pytest module).

Starts /work/shared/bench/mockserver.py on a free loopback port (0 ms latency), sends
N chat-completion POSTs at concurrency C, and prints this process's CPU time
(user + sys, from resource.getrusage) per request. ``--aiohttp`` measures an aiohttp
ClientSession the same way, for comparison.

    .venv/bin/python tests/adapters/_http_bench.py [--n 5000] [--concurrency 64] [--aiohttp]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MOCK = Path("/work/shared/bench/mockserver.py")
sys.path.insert(0, str(ROOT / "src"))


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("mock server did not start")


def payload(i: int) -> bytes:
    msg = {
        "model": "mock-model",
        "messages": [{"role": "user", "content": f"Question {i}: pick A, B, C or D."}],
        "max_tokens": 8,
        "temperature": 0,
    }
    return json.dumps(msg).encode()


async def drive(send: Callable[[bytes], Awaitable[int]], n: int, conc: int) -> float:
    bodies = [payload(i) for i in range(n)]
    it = iter(bodies)

    async def worker() -> None:
        for body in it:
            status = await send(body)
            assert status == 200, status

    for body in bodies[:conc]:  # warm up: open the connections
        await send(body)
    c0, t0 = cpu(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(conc)))
    c1, t1 = cpu(), time.perf_counter()
    print(f"{n} requests in {t1 - t0:.2f} s wall ({n / (t1 - t0):.0f}/s)")
    return (c1 - c0) / n


async def run_tianping(url: str, n: int, conc: int) -> float:
    from tianping.adapters._http import HttpClient

    client = HttpClient(max_connections=conc)
    hdrs = {"Content-Type": "application/json", "Authorization": "Bearer sk-test"}

    async def send(body: bytes) -> int:
        return (await client.post(url, body, headers=hdrs)).status

    try:
        return await drive(send, n, conc)
    finally:
        await client.aclose()


async def run_aiohttp(url: str, n: int, conc: int) -> float:
    import aiohttp

    hdrs = {"Content-Type": "application/json", "Authorization": "Bearer sk-test"}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=conc)) as session:

        async def send(body: bytes) -> int:
            async with session.post(url, data=body, headers=hdrs) as r:
                await r.read()
                return r.status

        return await drive(send, n, conc)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--aiohttp", action="store_true", help="measure aiohttp instead")
    args = ap.parse_args()
    port = free_port()
    cmd = [sys.executable, str(MOCK), "--latency-ms", "0", "--port", str(port)]
    server = subprocess.Popen([*cmd, "--max-runtime-s", "120"], stderr=subprocess.DEVNULL)
    try:
        wait_ready(port)
        url = f"http://127.0.0.1:{port}/v1/chat/completions"
        fn = run_aiohttp if args.aiohttp else run_tianping
        per = asyncio.run(fn(url, args.n, args.concurrency))
        name = "aiohttp" if args.aiohttp else "tianping HttpClient"
        print(f"{name}: {per * 1000:.3f} ms client CPU per request (pid {os.getpid()})")
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
