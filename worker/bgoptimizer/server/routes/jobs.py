"""Job routes: create, upload image/mask, start, status, cancel, delete."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, status

from ..auth import require_token
from ..deps import RunnerDep, SettingsDep, StoreDep
from ..errors import BadRequestError
from ..schemas import DeletedJob, JobCreate, JobStatus
from ..service import create_job, job_status, parse_job_body
from ..uploads import receive_upload

__all__ = ["router"]

router = APIRouter(prefix="/v1/jobs", tags=["jobs"], dependencies=[Depends(require_token)])


_MAX_JSON_BYTES = 64 * 1024


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=JobStatus,
    openapi_extra={
        "requestBody": {"content": {"application/json": {"schema": JobCreate.model_json_schema()}}}
    },
)
async def create(request: Request, store: StoreDep, runner: RunnerDep) -> dict[str, Any]:
    """Create a job from (optional) parameters and name; the body is read as JSON whatever
    its Content-Type.
    """
    raw = await request.body()
    if len(raw) > _MAX_JSON_BYTES:
        raise BadRequestError(f"the body is over {_MAX_JSON_BYTES} bytes")
    return job_status(create_job(store, parse_job_body(raw)), runner)


async def _upload(
    kind: str,
    job_id: str,
    request: Request,
    store: StoreDep,
    runner: RunnerDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    length = request.headers.get("content-length")
    if length is not None and not length.isdigit():
        raise BadRequestError(f"bad Content-Length: {length!r}")
    record = await receive_upload(
        store,
        job_id,
        kind,
        request.stream(),
        content_length=None if length is None else int(length),
        limit=settings.max_upload_bytes,
    )
    return job_status(record, runner)


@router.put("/{job_id}/image", response_model=JobStatus)
@router.post("/{job_id}/image", response_model=JobStatus)
async def upload_image(
    job_id: str, request: Request, store: StoreDep, runner: RunnerDep, settings: SettingsDep
) -> dict[str, Any]:
    """The image to model, as the raw XISF body."""
    return await _upload("image", job_id, request, store, runner, settings)


@router.put("/{job_id}/mask", response_model=JobStatus)
@router.post("/{job_id}/mask", response_model=JobStatus)
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
