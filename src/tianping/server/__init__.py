"""The web UI and REST API (``tianping serve``): :func:`create_app` builds the ASGI app."""

from ._app import create_app

__all__ = ["create_app"]
