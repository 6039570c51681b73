"""The worker's settings: CLI flags over ``BGOPT_*`` environment variables over defaults.

Checked once at start: a worker that would listen beyond loopback without a token refuses to
start.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..exceptions import ParameterError
from ..params import DEVICES

__all__ = ["DEFAULT_DATA_DIR", "ENV", "Settings", "is_loopback"]

DEFAULT_DATA_DIR = Path.home() / ".cache" / "bgoptimizer" / "worker"

ENV: dict[str, str] = {
    "host": "BGOPT_HOST",
    "port": "BGOPT_PORT",
    "data_dir": "BGOPT_DATA_DIR",
    "token": "BGOPT_TOKEN",
    "max_upload_mb": "BGOPT_MAX_UPLOAD_MB",
    "max_queue": "BGOPT_MAX_QUEUE",
    "retention_hours": "BGOPT_RETENTION_HOURS",
    "max_data_gb": "BGOPT_MAX_DATA_GB",
    "device": "BGOPT_DEVICE",
    "allowed_origins": "BGOPT_ALLOWED_ORIGINS",
}
"""Environment variable of each setting that has one."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Settings:
    """Everything the worker is configured with."""

    host: str = "127.0.0.1"
    port: int = 8765
    data_dir: Path = DEFAULT_DATA_DIR
    token: str | None = None
    max_upload_mb: float = 2048.0
    max_queue: int = 64
    retention_hours: float = 24.0
    max_data_gb: float = 20.0
    device: str = "auto"
    cleanup_interval_s: float = 60.0
    cancel_grace_s: float = 0.6
    allowed_origins: tuple[str, ...] = ()
    """Browser origins (``scheme://host[:port]``) whose requests are served; none by default:
    a request with an ``Origin`` header comes from a web page, and PixInsight sends none."""

    def __post_init__(self) -> None:
        if not self.token and not is_loopback(self.host):
            raise ParameterError(
                f"refusing to listen on {self.host} without a token: set --token or BGOPT_TOKEN"
            )
        if self.device not in DEVICES:
            raise ParameterError(f"device must be one of {', '.join(DEVICES)}, got {self.device!r}")
        for name in ("max_upload_mb", "max_queue", "retention_hours", "max_data_gb"):
            if getattr(self, name) <= 0:
                raise ParameterError(f"{name} must be positive, got {getattr(self, name)}")

    @property
    def max_upload_bytes(self) -> int:
        """The upload limit in bytes."""
        return int(self.max_upload_mb * 2**20)

    @property
    def max_data_bytes(self) -> int:
        """The data-dir size cap in bytes."""
        return int(self.max_data_gb * 2**30)

    @property
    def retention_s(self) -> float:
        """How long finished jobs are kept, in seconds."""
        return self.retention_hours * 3600.0

    @classmethod
    def load(
        cls, overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
    ) -> Settings:
        """Defaults, replaced by the environment, replaced by ``overrides`` that are not None."""
        environ = os.environ if environ is None else environ
        types = {f.name: f.type for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for name, var in ENV.items():
            if environ.get(var):
                values[name] = _convert(name, types[name], environ[var], var)
        values.update({k: v for k, v in (overrides or {}).items() if v is not None})
        values["allowed_origins"] = tuple(values.get("allowed_origins", ()))
        if "data_dir" in values:
            values["data_dir"] = Path(values["data_dir"]).expanduser()
        return cls(**values)


def _convert(name: str, type_name: Any, text: str, var: str) -> Any:
    if str(type_name).startswith("tuple"):  # a comma-separated list
        return tuple(part.strip() for part in text.split(",") if part.strip())
    kind = {"int": int, "float": float}.get(str(type_name), str)
    try:
        return kind(text)
    except ValueError:
        raise ParameterError(f"{var} ({name}) must be {kind.__name__}, got {text!r}") from None
