"""``tianping serve``: the web UI and REST API over one database."""

from __future__ import annotations

import ipaddress
import sys
from typing import Annotated

import typer

from ._common import DbOption


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    db: DbOption = None,
    secure_cookies: Annotated[
        bool,
        typer.Option(
            "--secure-cookies",
            help="Mark cookies Secure: use whenever users reach the server over HTTPS.",
        ),
    ] = False,
) -> None:
    """Serve the web UI at / and the REST API at /api/v1 (docs: /api/v1/docs)."""
    import uvicorn

    from ..server import create_app

    app = create_app(db, secure_cookies=secure_cookies)
    store = app.state.store
    if store.count_users() == 0:
        sys.stderr.write(
            "note: no users yet: add one with 'tianping users add NAME --role admin'\n"
        )
    if not _loopback(host) and not secure_cookies:
        sys.stderr.write(
            f"note: listening on {host} without --secure-cookies: put the server behind "
            "HTTPS and pass --secure-cookies, or passwords and sessions cross the network "
            "in clear\n"
        )
    sys.stderr.write(f"Tianping on http://{host}:{port}/ (database {store.url})\n")
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False)
