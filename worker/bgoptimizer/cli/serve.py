"""``bgoptimizer serve``: the HTTP worker the PixInsight script talks to (docs/API.md)."""

from __future__ import annotations

import argparse
import dataclasses
import logging
from pathlib import Path
from typing import Any

from ..params import DEVICES

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    """Register the sub-command."""
    p = subparsers.add_parser(
        "serve",
        help="run the HTTP worker (FastAPI + uvicorn)",
        description="Serves the job API of docs/API.md. Every option also comes from an "
        "environment variable (BGOPT_HOST, BGOPT_PORT, BGOPT_DATA_DIR, BGOPT_TOKEN, ...).",
    )
    p.add_argument("--host", help="address to listen on (default 127.0.0.1; BGOPT_HOST)")
    p.add_argument("--port", type=int, help="port (default 8765; BGOPT_PORT)")
    p.add_argument("--data-dir", type=Path, help="job folder (BGOPT_DATA_DIR)")
    p.add_argument("--token", help="bearer token; required beyond loopback (BGOPT_TOKEN)")
    p.add_argument("--max-upload-mb", type=float, help="upload size limit (default 2048)")
    p.add_argument("--max-queue", type=int, help="queued jobs before 429 (default 64)")
    p.add_argument("--retention-hours", type=float, help="keep finished jobs (default 24)")
    p.add_argument("--max-data-gb", type=float, help="data folder size cap (default 20)")
    p.add_argument("--device", choices=DEVICES, help="engine device")
    p.add_argument(
        "--cleanup-interval",
        dest="cleanup_interval_s",
        type=float,
        help="seconds between retention sweeps (default 60)",
    )
    p.add_argument(
        "--allow-origin",
        dest="allowed_origins",
        action="append",
        metavar="ORIGIN",
        help="serve requests from this browser origin too, e.g. http://localhost:3000 "
        "(repeatable; BGOPT_ALLOWED_ORIGINS, comma-separated); by default every request "
        "with an Origin header is refused",
    )
    p.add_argument("--log-level", default="info", choices=("debug", "info", "warning"))
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Validate the settings (token rule included), then serve until interrupted."""
    import uvicorn

    from ..server import Settings, create_app

    settings = Settings.load(
        {f.name: getattr(args, f.name, None) for f in dataclasses.fields(Settings)}
    )
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=args.log_level,
        access_log=False,
        timeout_graceful_shutdown=3,
    )
    return 0
