"""Builds the FastAPI app from settings; nothing else happens here."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager, asynccontextmanager, nullcontext
from typing import Any

from fastapi import FastAPI

from .. import __version__
from .access_log import AccessLog
from .errors import install_error_handlers
from .guard import RequestGuard
from .routes import health, jobs, results
from .runner import Runner
from .schemas import ErrorBody, JobCreate
from .settings import Settings
from .store import JobStore

__all__ = ["create_app"]


def create_app(
    settings: Settings, serving: Callable[[], AbstractContextManager[object]] | None = None
) -> FastAPI:
    """The worker app: store and runner start with it and stop with it.

    ``serving`` is entered once the app is up and left when it stops, inside the server's
    graceful shutdown (uvicorn re-raises SIGTERM after it, so nothing after ``run`` would run).
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = JobStore(settings.data_dir)
        runner = Runner(store, settings)
        app.state.store, app.state.runner = store, runner
        runner.start()
        try:
            with serving() if serving else nullcontext():
                yield
        finally:
            runner.stop()

    app = FastAPI(
        title="bgoptimizer worker",
        version=__version__,
        description="Background fits for the PixInsight script; see docs/API.md.",
        lifespan=lifespan,
        redirect_slashes=False,
    )
    app.state.settings = settings
    install_error_handlers(app)
    codes = (400, 401, 403, 404, 409, 413, 415, 422, 429, 507)
    errors = {code: {"model": ErrorBody} for code in codes}
    for module in (health, jobs, results):
        app.include_router(module.router, responses=errors)
    app.add_middleware(RequestGuard, settings=settings)
    app.add_middleware(AccessLog)  # outermost: refused requests are logged too
    _publish_body_schemas(app)
    return app


def _publish_body_schemas(app: FastAPI) -> None:
    """Put the create body's models into ``components/schemas``, where its ``$ref`` points.

    ``POST /v1/jobs`` reads its body itself (to check type and size first), so FastAPI does
    not know the model; left alone, the schema's references would point at ``#/$defs``,
    which no OpenAPI client can resolve.
    """
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            body = JobCreate.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas = schema.setdefault("components", {}).setdefault("schemas", {})
            schemas.update(body.pop("$defs", {}))
            schemas["JobCreate"] = body
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
