"""Job routes: create, upload image/mask, start, status, cancel, delete."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, status

from ..auth import require_token
from ..bodies import UPLOAD_TYPES, content_length, read_json_body, require_upload_type
from ..deps import RunnerDep, SettingsDep, StoreDep
from ..schemas import DeletedJob, JobStatus
from ..service import create_job, job_status, parse_job_body
from ..uploads import receive_upload

__all__ = ["router"]

router = APIRouter(prefix="/v1/jobs", tags=["jobs"], dependencies=[Depends(require_token)])


_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in UPLOAD_TYPES},
    }
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=JobStatus,
    openapi_extra={
        "requestBody": {
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JobCreate"}}}
        }
    },
)
async def create(request: Request, store: StoreDep, runner: RunnerDep) -> dict[str, Any]:
    """Create a job from (optional) parameters and name: an empty body, or JSON."""
    raw = await read_json_body(request)
    return job_status(create_job(store, parse_job_body(raw)), runner)


async def _upload(
    kind: str,
    job_id: str,
    request: Request,
    store: StoreDep,
    runner: RunnerDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    require_upload_type(request)
    record = await receive_upload(
        store,
        job_id,
        kind,
        request.stream(),
        content_length=content_length(request),
        limit=settings.max_upload_bytes,
    )
    return job_status(record, runner)


@router.put("/{job_id}/image", response_model=JobStatus, openapi_extra=_UPLOAD_BODY)
@router.post("/{job_id}/image", response_model=JobStatus, openapi_extra=_UPLOAD_BODY)
async def upload_image(
    job_id: str, request: Request, store: StoreDep, runner: RunnerDep, settings: SettingsDep
) -> dict[str, Any]:
    """The image to model, as the raw XISF body."""
    return await _upload("image", job_id, request, store, runner, settings)


@router.put("/{job_id}/mask", response_model=JobStatus, openapi_extra=_UPLOAD_BODY)
@router.post("/{job_id}/mask", response_model=JobStatus, openapi_extra=_UPLOAD_BODY)
async def upload_mask(
    job_id: str, request: Request, store: StoreDep, runner: RunnerDep, settings: SettingsDep
) -> dict[str, Any]:
    """The optional mask (1 = use the pixel, 0 = ignore it), as the raw XISF body."""
    return await _upload("mask", job_id, request, store, runner, settings)


@router.post("/{job_id}/start", status_code=status.HTTP_202_ACCEPTED, response_model=JobStatus)
def start(job_id: str, runner: RunnerDep) -> dict[str, Any]:
    """Queue the job (it runs when the jobs before it are done)."""
    record, position = runner.enqueue(job_id)
    return job_status(record, runner, position)


@router.get("/{job_id}", response_model=JobStatus)
@router.head("/{job_id}", response_model=JobStatus, include_in_schema=False)
def get_job(job_id: str, store: StoreDep, runner: RunnerDep) -> dict[str, Any]:
    """The job's state and progress."""
    return job_status(store.get(job_id), runner)


@router.post("/{job_id}/cancel", status_code=status.HTTP_202_ACCEPTED, response_model=JobStatus)
def cancel(job_id: str, runner: RunnerDep) -> dict[str, Any]:
    """Stop the job; a running one becomes ``cancelled`` within a second."""
    return job_status(runner.cancel(job_id), runner)


@router.post("/{job_id}/delete", response_model=DeletedJob)
@router.delete("/{job_id}", response_model=DeletedJob)
def delete(job_id: str, runner: RunnerDep) -> dict[str, Any]:
    """Cancel the job if needed and remove it with its files."""
    runner.forget(job_id)
    return {"id": job_id, "deleted": True}
