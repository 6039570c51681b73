"""The worker's own error kinds and the one place that turns any error into JSON + status.

Every answer that is not a success is ``{"error": {"code", "message"}}``; the status code
comes from the error's ``code`` through :data:`STATUS`, never from the route that raised it.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import Match

from ..exceptions import BgoptError, DiskFullError, JobError, ResourceError

__all__ = [
    "STATUS",
    "BadRequestError",
    "NotFoundError",
    "NotReadyError",
    "QueueFullError",
    "TooLargeError",
    "UnauthorizedError",
    "UnsupportedMediaError",
    "error_body",
    "install_error_handlers",
]

log = logging.getLogger("bgoptimizer.server")


class BadRequestError(BgoptError):
    """The request is malformed (bad JSON, empty upload)."""

    code = "bad_request"


class UnauthorizedError(BgoptError):
    """The bearer token is missing or wrong."""

    code = "unauthorized"


class NotFoundError(BgoptError):
    """No such path, job or result name."""

    code = "not_found"


class NotReadyError(JobError):
    """The result asked for does not exist (yet)."""

    code = "not_ready"


class TooLargeError(ResourceError):
    """An upload is over the size limit."""

    code = "too_large"


class UnsupportedMediaError(BgoptError):
    """The body's ``Content-Type`` is not one the route takes."""

    code = "unsupported_media_type"


class QueueFullError(BgoptError):
    """Too many jobs wait; the client should retry after ``retry_after`` seconds."""

    code = "queue_full"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


STATUS: dict[str, int] = {
    "bad_request": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "job_state": 409,
    "not_ready": 409,
    "too_large": 413,
    "unsupported_media_type": 415,
    "bad_parameter": 422,
    "bad_image": 422,
    "bad_xisf": 422,
    "bad_mask": 422,
    "queue_full": 429,
    "internal": 500,
    "not_implemented": 501,
    "resources": 507,
}
"""HTTP status of each error code (codes not listed answer 500)."""

_CODE_OF_STATUS = {status: code for code, status in STATUS.items() if code != "not_ready"}


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    """The JSON shape of every error."""
    return {"error": {"code": code, "message": message}}


def _json_error(code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(code, message), STATUS.get(code, 500), headers=headers)


async def _on_bgopt_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BgoptError)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, QueueFullError) else None
    if exc.code == "unauthorized":
        headers = {"WWW-Authenticate": "Bearer"}
    return _json_error(exc.code, str(exc), headers)


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _CODE_OF_STATUS.get(
        exc.status_code, "bad_request" if exc.status_code < 500 else "internal"
    )
    message = {
        404: f"no such path: {request.url.path}",
        405: f"{request.method} is not allowed on {request.url.path}",
    }.get(exc.status_code, str(exc.detail or HTTPStatus(exc.status_code).phrase))
    headers = dict(exc.headers or {})
    if exc.status_code == 405:  # Starlette names only the first route on the path
        headers["Allow"] = ", ".join(_allowed_methods(request))
    return JSONResponse(error_body(code, message), exc.status_code, headers=headers)


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route takes on this path (one path may have several routes)."""
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL
            for route in request.app.router.routes
        )
    ]


_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE")


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, (RequestValidationError, ValidationError))
    errors = exc.errors()
    first = errors[0] if errors else {"type": "", "loc": (), "msg": "invalid"}
    if first["type"] in ("json_invalid", "model_attributes_type", "dict_type", "model_type"):
        return _json_error("bad_request", f"the body must be a JSON object: {first['msg']}")
    where = ".".join(str(p) for p in first["loc"] if p not in ("body", "params"))
    text = "unknown parameter" if first["type"] == "extra_forbidden" else first["msg"]
    return _json_error("bad_parameter", f"{where or 'body'}: {text}")


async def _on_client_gone(request: Request, exc: Exception) -> Response:
    """A client that hangs up mid-body is a normal event: one line, no traceback."""
    log.info("client disconnected during %s %s", request.method, request.url.path)
    return Response(status_code=400)  # nobody is left to read it; the access log shows it


async def _on_os_error(request: Request, exc: Exception) -> JSONResponse:
    """A write that found the disk full (the job store's, say) is 507, not a crash."""
    assert isinstance(exc, OSError)
    if not DiskFullError.caused(exc):
        raise exc  # on to the catch-all: a 500 with its traceback in the log
    where = Path(exc.filename).parent if exc.filename else request.app.state.settings.data_dir
    log.warning("disk full on %s %s: %s", request.method, request.url.path, exc)
    return _json_error("resources", str(DiskFullError(where)))


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("internal error on %s %s", request.method, request.url.path)
    return _json_error("internal", f"{type(exc).__name__}: {exc}")


def install_error_handlers(app: FastAPI) -> None:
    """Route every error kind through the JSON error shape."""
    app.add_exception_handler(BgoptError, _on_bgopt_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(ValidationError, _on_validation_error)
    app.add_exception_handler(ClientDisconnect, _on_client_gone)
    app.add_exception_handler(OSError, _on_os_error)
    app.add_exception_handler(Exception, _on_unexpected)
