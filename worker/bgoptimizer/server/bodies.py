"""Request bodies: their type is checked before they are read, and their size while read.

Nothing the API reads is ever held in memory past its cap: a declared ``Content-Length``
over the cap is refused before the first byte, and a chunked body is cut where it crosses it.
A JSON body must say ``application/json``: a web page can send ``text/plain`` cross-site
without asking, but not ``application/json``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import Request

from .errors import BadRequestError, TooLargeError, UnsupportedMediaError

__all__ = [
    "JSON_LIMIT",
    "UPLOAD_TYPES",
    "check_declared_size",
    "content_length",
    "read_json_body",
    "require_upload_type",
]

JSON_LIMIT = 64 * 1024
"""Largest JSON body taken (a job's parameters are well under 2 KiB)."""

UPLOAD_TYPES = ("application/octet-stream", "application/xisf")
"""What an upload may declare itself as."""


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").partition(";")[0].strip().lower()


def content_length(request: Request) -> int | None:
    """The declared body size, or None; a malformed one is refused."""
    length = request.headers.get("content-length")
    if length is None:
        return None
    if not length.strip().isdigit():
        raise BadRequestError(f"bad Content-Length: {length!r}")
    return int(length)


def check_declared_size(request: Request, limit: int, what: str) -> None:
    """Refuse a body whose ``Content-Length`` is over ``limit`` before reading any of it."""
    length = content_length(request)
    if length is not None and length > limit:
        raise TooLargeError(f"{what} of {length} bytes is over the limit of {limit} bytes")


async def _read_capped(chunks: AsyncIterator[bytes], limit: int) -> bytes:
    body = bytearray()
    async for chunk in chunks:
        if len(body) + len(chunk) > limit:
            raise TooLargeError(f"the body is over the limit of {limit} bytes")
        body += chunk
    return bytes(body)


async def read_json_body(request: Request, limit: int = JSON_LIMIT) -> bytes:
    """The raw JSON body (may be empty), after its type and its size were checked."""
    kind = _media_type(request)
    if kind and kind != "application/json":
        raise UnsupportedMediaError(f"send the body as Content-Type: application/json, not {kind}")
    check_declared_size(request, limit, "the body")
    raw = await _read_capped(request.stream(), limit)
    if raw.strip() and not kind:
        raise UnsupportedMediaError("a JSON body needs Content-Type: application/json")
    return raw


def require_upload_type(request: Request) -> None:
    """An upload must declare itself as raw bytes (or as XISF)."""
    kind = _media_type(request)
    if kind not in UPLOAD_TYPES:
        raise UnsupportedMediaError(
            f"send the XISF file as Content-Type: {UPLOAD_TYPES[0]}, not {kind or 'none'}"
        )
