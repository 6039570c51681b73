"""Request and response bodies; the job-parameter model is generated from the parameter table.

An unknown parameter, a wrong type or a value out of range is refused by pydantic with the
parameter's name (422 ``bad_parameter``); the table's own cross-field rules run after it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from ..params import ParamSpec, param_specs

__all__ = [
    "DeletedJob",
    "ErrorBody",
    "Health",
    "JobCreate",
    "JobFailure",
    "JobParams",
    "JobStatus",
    "StretchBody",
    "UploadInfo",
]


def _field(kind: type, default: Any, spec: ParamSpec) -> tuple[Any, Any]:
    if spec.choices:
        return Literal[spec.choices], Field(default, description=spec.help)  # type: ignore[valid-type]
    bounds: dict[str, Any] = {"le": spec.maximum}
    if spec.minimum is not None:
        bounds["gt" if spec.exclusive_minimum else "ge"] = spec.minimum
    return kind, Field(default, description=spec.help, strict=True, **bounds)


JobParams: type[BaseModel] = create_model(  # type: ignore[call-overload]
    "JobParams",
    __config__=ConfigDict(extra="forbid"),
    __doc__="Fit parameters; every one is optional and defaults to the table's value.",
    **{name: _field(*spec) for name, spec in param_specs().items()},
)


class StretchBody(BaseModel):
    """Explicit stretch, one value per channel (DESIGN §5): what the dialog's preview used."""

    model_config = ConfigDict(extra="forbid")

    pedestal: list[float] = Field(min_length=1, max_length=3, description="p_c, per channel")
    scale: list[float] = Field(min_length=1, max_length=3, description="s_c > 0, per channel")
    midtones: list[float] = Field(min_length=1, max_length=3, description="m_c in (0, 1)")


class JobCreate(BaseModel):
    """Body of ``POST /v1/jobs`` (may be empty)."""

    model_config = ConfigDict(extra="forbid")

    params: JobParams = Field(default_factory=JobParams)  # type: ignore[valid-type]
    name: str | None = Field(None, max_length=200, description="label shown in logs")
    stretch: StretchBody | None = Field(
        None, description="explicit stretch instead of the one measured from quantile/target"
    )


class UploadInfo(BaseModel):
    """What the worker read from an uploaded file's header."""

    bytes: int
    width: int
    height: int
    channels: int
    sample_format: str


class JobFailure(BaseModel):
    """Why a job failed."""

    code: str
    message: str


class JobStatus(BaseModel):
    """A job's state; see docs/API.md for each field."""

    id: str
    name: str | None
    state: Literal["created", "queued", "running", "done", "failed", "cancelled"]
    stage: str | None
    progress: float
    epoch: int | None
    epochs: int | None
    loss: float | None
    lr: float | None
    elapsed: float | None
    eta: float | None
    message: str
    error: JobFailure | None
    cancel_requested: bool
    queue_position: int | None
    params: dict[str, Any]
    stretch: StretchBody | None
    image: UploadInfo | None
    mask: UploadInfo | None
    results: list[str]
    preview_version: int
    created_at: str
    queued_at: str | None
    started_at: str | None
    finished_at: str | None


class Device(BaseModel):
    """One compute device the engine sees."""

    type: str
    name: str


class Health(BaseModel):
    """Answer of ``GET /v1/health``."""

    status: Literal["ok"]
    version: str
    tensorflow: str
    engine: Literal["starting", "ready", "stopped"]
    devices: list[Device]
    gpu: bool
    queue_length: int
    busy: bool
    auth_required: bool
    quarantined: list[str] = Field(
        description="job folders moved to quarantine/ at start: their job.json was unreadable"
    )


class DeletedJob(BaseModel):
    """Answer of a delete."""

    id: str
    deleted: bool


class ErrorDetail(BaseModel):
    """Machine-readable code and human message."""

    code: str
    message: str


class ErrorBody(BaseModel):
    """Shape of every error answer."""

    error: ErrorDetail
