"""``Annotated`` dependency aliases shared by the routers; everything comes from app state.

Tests and embedders swap any of them with ``app.dependency_overrides``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from .runner import Runner
from .settings import Settings
from .store import JobStore

__all__ = ["RunnerDep", "SettingsDep", "StoreDep", "get_runner", "get_settings", "get_store"]


def get_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    return request.app.state.settings


def get_store(request: Request) -> JobStore:
    """The job store."""
    return request.app.state.store


def get_runner(request: Request) -> Runner:
    """The queue and engine supervisor."""
    return request.app.state.runner


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[JobStore, Depends(get_store)]
RunnerDep = Annotated[Runner, Depends(get_runner)]
