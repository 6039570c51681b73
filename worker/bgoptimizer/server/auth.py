"""Bearer-token check for every route but ``GET /v1/health``, in constant time."""

from __future__ import annotations

import hmac

from fastapi import Request

from .deps import SettingsDep
from .errors import UnauthorizedError

__all__ = ["require_token"]


def require_token(request: Request, settings: SettingsDep) -> None:
    """Refuse the request unless it carries ``Authorization: Bearer <token>`` (when set)."""
    if not settings.token:
        return
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    expected = settings.token.encode("utf-8")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
        raise UnauthorizedError("missing or wrong token: send Authorization: Bearer <token>")
