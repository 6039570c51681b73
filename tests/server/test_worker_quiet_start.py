"""The worker's log (a terminal, a Docker container's log) carries our lines, not
TensorFlow's native start-up text, unless the worker runs with ``--verbose``."""

from __future__ import annotations

import pytest
from harness import Server

NATIVE = ("All log messages before absl::InitializeLog()", "cudart_stub", "I0000 ")


@pytest.mark.parametrize("verbose", [False, True])
def test_engine_start_up_text_only_with_verbose(tmp_path, monkeypatch, verbose):
    """Both runs start the real worker and wait for its engine (TensorFlow imported, the
    hello sent); the verbose run shows that the text exists for the quiet one to hide."""
    if verbose:
        monkeypatch.setenv("BGOPT_VERBOSE", "1")
    else:
        monkeypatch.delenv("BGOPT_VERBOSE", raising=False)
    server = Server(tmp_path / "data").start()
    try:
        health = server.client.get("/v1/health").json()
    finally:
        server.stop()
    log = server.log.read_text()
    assert health["engine"] == "ready" and "engine process" in log  # our own lines stay
    shown = [text for text in NATIVE if text in log]
    assert shown if verbose else not shown, log[-2000:]
