"""The HTTP worker: a FastAPI app, a durable job store and an engine run in its own process."""

from .app import create_app
from .settings import Settings

__all__ = ["Settings", "create_app"]
