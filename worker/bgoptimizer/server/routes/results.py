"""``GET /v1/jobs/{id}/result/{name}``: complete result files, and the live preview."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse

from ..auth import require_token
from ..deps import StoreDep
from ..service import result_path

__all__ = ["router"]

router = APIRouter(prefix="/v1/jobs", tags=["results"], dependencies=[Depends(require_token)])

_MEDIA_TYPES = {
    ".xisf": "application/octet-stream",
    ".json": "application/json",
    ".png": "image/png",
}


class _FileResponse(FileResponse):
    chunk_size = 1 << 20  # fewer, larger reads: loopback downloads run at disk speed


@router.get("/{job_id}/result/{name}", response_class=FileResponse)
@router.head("/{job_id}/result/{name}", response_class=FileResponse, include_in_schema=False)
def result(job_id: str, name: str, store: StoreDep) -> FileResponse:
    """The bytes of one result; 409 ``not_ready`` until it exists."""
    path = result_path(store, job_id, name)
    return _FileResponse(
        path,
        media_type=_MEDIA_TYPES[path.suffix],
        filename=name,
        headers={"Cache-Control": "no-store"},
    )
