"""``GET /v1/health``: the only route that needs no token (the dialog's "test connection")."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ... import __version__
from ...versions import tensorflow_version
from ..deps import RunnerDep, SettingsDep, StoreDep
from ..schemas import Health

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["health"])


@router.get("/health", response_model=Health)
@router.head("/health", response_model=Health, include_in_schema=False)
def health(runner: RunnerDep, store: StoreDep, settings: SettingsDep) -> dict[str, Any]:
    """Version, TensorFlow version, devices (once the engine is up), queue, busy flag, and
    the job folders set aside at start because their record was unreadable.
    """
    state = runner.health()
    return {
        "status": "ok",
        "version": __version__,
        "tensorflow": tensorflow_version(),
        "gpu": any(d["type"] == "GPU" for d in state["devices"]),
        "auth_required": bool(settings.token),
        "quarantined": store.quarantined(),
        **state,
    }
