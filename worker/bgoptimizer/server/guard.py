"""Keeps web pages from driving the worker: ``Host`` and ``Origin`` are checked first.

A page in the user's browser can reach ``127.0.0.1`` through DNS rebinding (its own name,
resolving to loopback) or with a cross-site "simple" request. The first carries a foreign
``Host``; both carry an ``Origin``. Without a token only loopback names and the configured
host are answered; an ``Origin`` is refused unless ``Settings.allowed_origins`` lists it.
PixInsight's ``NetworkTransfer`` sends no ``Origin`` and ``Host: 127.0.0.1``.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import STATUS, error_body
from .settings import Settings

__all__ = ["RequestGuard", "host_name"]

_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def host_name(header: str) -> str:
    """The name part of a ``Host`` header: no port, no IPv6 brackets, lower case.

    Examples
    --------
    >>> host_name("[::1]:8765"), host_name("LocalHost:80"), host_name("127.0.0.1")
    ('::1', 'localhost', '127.0.0.1')
    """
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].partition("]")[0]
    return header.rpartition(":")[0] if header.count(":") == 1 else header


class RequestGuard:
    """Pure ASGI middleware: answers 403 ``forbidden`` before any route runs."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.hosts = _LOOPBACK_NAMES | {host_name(settings.host)}
        self.origins = frozenset(o.rstrip("/").lower() for o in settings.allowed_origins)
        self.open_host = bool(settings.token)  # a token already proves who is asking

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, unless its Host or Origin says a web page sent it."""
        if scope["type"] == "http":
            refusal = self._refusal(Headers(scope=scope))
            if refusal is not None:
                response = JSONResponse(error_body("forbidden", refusal), STATUS["forbidden"])
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _refusal(self, headers: Headers) -> str | None:
        origin = headers.get("origin")
        if origin is not None and origin.rstrip("/").lower() not in self.origins:
            return (
                f"requests from web pages are refused (Origin: {origin}); "
                "start the worker with --allow-origin to serve that page"
            )
        host = host_name(headers.get("host", ""))
        if not self.open_host and host not in self.hosts:
            return (
                f"Host {headers.get('host', '')!r} is not this worker's name; without a "
                f"token only {', '.join(sorted(self.hosts))} are answered"
            )
        return None
