"""``bgoptimizer serve``: the HTTP worker the PixInsight script talks to (docs/API.md).

The port is bound before anything else, so a second worker on a taken port fails at once with
one line and leaves the first one's state file alone; the state file (server/statefile.py) is
written once the app is up on the bound port and removed when it stops.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import logging
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..exceptions import BgoptError, ParameterError
from ..params import DEVICES

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    """Register the sub-command."""
    p = subparsers.add_parser(
        "serve",
        help="run the HTTP worker (FastAPI + uvicorn)",
        description="Serves the job API of docs/API.md. Every option also comes from an "
        "environment variable (BGOPT_HOST, BGOPT_PORT, BGOPT_DATA_DIR, BGOPT_TOKEN, ...). "
        "While it serves, ~/.local/state/bgoptimizer/worker-<port>.json records its URL, pid "
        "and version for the PixInsight script (BGOPT_STATE_DIR moves it).",
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
    """Validate the settings (token rule included), bind, record, serve until interrupted."""
    import uvicorn

    from ..server import Settings, create_app
    from ..server.http_protocol import JsonErrorHttpToolsProtocol
    from ..server.statefile import remove_state, write_state

    settings = Settings.load(
        {f.name: getattr(args, f.name, None) for f in dataclasses.fields(Settings)}
    )
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    sock = _bind(settings.host, settings.port)
    port = sock.getsockname()[1]  # the real one when --port 0 let the system choose

    @contextlib.contextmanager
    def recorded() -> Iterator[None]:
        """The state file while serving; one that cannot be written costs only discovery."""
        log = logging.getLogger("bgoptimizer.serve")
        try:
            state = write_state(settings.host, port, token_required=bool(settings.token))
        except (OSError, BgoptError) as exc:
            log.warning("serving without a state file: %s", exc)
            yield
            return
        log.info("port %d; state file %s", port, state)
        try:
            yield
        finally:
            remove_state(port)

    config = uvicorn.Config(
        create_app(settings, serving=recorded),
        log_level=args.log_level,
        access_log=False,
        timeout_graceful_shutdown=3,
        http=JsonErrorHttpToolsProtocol,  # what httptools cannot parse gets JSON too
    )
    with sock:
        uvicorn.Server(config).run(sockets=[sock])
    return 0


def _bind(host: str, port: int) -> socket.socket:
    """A socket bound to host:port, or a one-line error naming the likely cause."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    if sys.platform != "win32":  # there SO_REUSEADDR would let two workers share the port
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ParameterError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc} "
            "(is another worker already running there?)"
        ) from None
    return sock
