"""The running worker's state file: how the PixInsight script finds a worker it did not start.

``bgoptimizer serve`` writes ``<state dir>/worker-<port>.json`` (url, pid, version, ...) once
its port is bound, atomically, and removes it on a clean exit. The state dir is
``~/.local/state/bgoptimizer`` (the script reads that place: PJSR has ``File.homeDirectory``
but no documented way to read environment variables); ``BGOPT_STATE_DIR`` moves it, for tests
and containers only. A file left by a killed worker is stale: the script checks the URL's
health before trusting it, and a new worker on that port overwrites it.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .. import __version__
from ..io.atomic import write_json

__all__ = ["local_url", "read_state", "remove_state", "state_dir", "state_path", "write_state"]


def state_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where state files live: BGOPT_STATE_DIR, else ~/.local/state/bgoptimizer."""
    environ = os.environ if environ is None else environ
    given = environ.get("BGOPT_STATE_DIR")
    return Path(given).expanduser() if given else Path.home() / ".local" / "state" / "bgoptimizer"


def state_path(port: int, environ: Mapping[str, str] | None = None) -> Path:
    """The state file of the worker on ``port`` (one per port: one worker per port)."""
    return state_dir(environ) / f"worker-{port}.json"


def local_url(host: str, port: int) -> str:
    """The URL a client on this machine uses: a wildcard address is reached on loopback."""
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def write_state(
    host: str, port: int, token_required: bool, environ: Mapping[str, str] | None = None
) -> Path:
    """Record this process as the worker on ``port``; returns the file written."""
    path = state_path(port, environ)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(
        path,
        {
            "url": local_url(host, port),
            "pid": os.getpid(),
            "version": __version__,
            "host": host,
            "port": port,
            "token_required": token_required,
        },
    )
    return path


def read_state(port: int, environ: Mapping[str, str] | None = None) -> dict[str, Any] | None:
    """The recorded worker on ``port``, or None when there is no readable record."""
    try:
        data = json.loads(state_path(port, environ).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def remove_state(port: int, environ: Mapping[str, str] | None = None) -> None:
    """Remove the record if it is this process's (never another worker's newer one)."""
    state = read_state(port, environ)
    if state is not None and state.get("pid") == os.getpid():
        with contextlib.suppress(FileNotFoundError):
            state_path(port, environ).unlink()
