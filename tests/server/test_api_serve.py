"""``tianping serve``: a real uvicorn server on a loopback port, driven over HTTP."""

from __future__ import annotations

import json
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from _webtest import cli_env, free_port, run_cli, tianping_cmd

pytestmark = pytest.mark.network


def _call(
    url: str, *, method: str = "GET", body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], str]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()


def test_serve_answers_over_http_with_tokens_and_sessions(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/serve.db"
    added = run_cli(
        "users", "add", "ada", "--role", "admin", "--password-stdin", "--db", db,
        stdin="a long password\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    made = run_cli("tokens", "create", "ci", "--user", "ada", "--db", db, "--json")
    assert made.returncode == 0, made.stderr
    token = json.loads(made.stdout)["token"]
    port = free_port()
    proc = subprocess.Popen(
        tianping_cmd("serve", "--port", str(port), "--db", db),
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if _call(f"{base}/api/v1/health")[0] == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None:
                break
            time.sleep(0.1)
        else:
            pytest.fail("tianping serve did not answer /api/v1/health in 20 s")
        assert proc.poll() is None
        status, _h, body = _call(f"{base}/api/v1/auth/me")
        assert status == 401
        assert json.loads(body)["error"] == "authentication required"
        status, _h, body = _call(
            f"{base}/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}
        )
        assert (status, json.loads(body)["name"]) == (200, "ada")
        status, headers, body = _call(
            f"{base}/api/v1/auth/login",
            method="POST",
            body={"name": "ada", "password": "a long password"},
        )
        assert status == 200
        assert "HttpOnly" in headers["set-cookie"]
        status, _h, body = _call(f"{base}/api/v1/docs")
        assert status == 200
        assert "https://" not in body
        status, _h, body = _call(f"{base}/api/v1/nope")
        assert status == 404
        assert "Traceback" not in body
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, _ = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
    log = out.decode()
    assert proc.returncode == 0, log
    assert f"Tianping on http://127.0.0.1:{port}/" in log
    assert "Traceback" not in log
