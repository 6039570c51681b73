"""The API side of the engine process: start it, talk to it, notice when it dies.

Every message from the engine is queued together with the generation of the process that
sent it, so that a late line from a killed engine is never taken for the new one's.
"""

from __future__ import annotations

import json
import logging
import queue
import subprocess
import sys
import threading
from typing import Any

__all__ = ["EngineHost"]

log = logging.getLogger("bgoptimizer.server")


class EngineHost:
    """One engine process at a time; :attr:`messages` yields ``(generation, message)``."""

    def __init__(self) -> None:
        self.messages: queue.Queue[tuple[int, dict[str, Any]]] = queue.Queue()
        self.generation = 0
        self.info: dict[str, Any] = {}
        self._proc: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()

    @property
    def alive(self) -> bool:
        """Whether an engine process is running."""
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Start a fresh engine process (it imports TensorFlow, then says hello)."""
        with self._lock:
            self.generation += 1
            self.info = {}
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "bgoptimizer.server.engine_process"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                bufsize=1,
            )
            log.info("engine process %d started", self._proc.pid)
            threading.Thread(
                target=self._read, args=(self._proc, self.generation), daemon=True
            ).start()

    def send(self, request: dict[str, Any]) -> None:
        """Write one request line; a dead engine is noticed through its exit message."""
        proc = self._proc
        if proc is None or proc.stdin is None:
            return
        try:
            proc.stdin.write(json.dumps(request) + "\n")
            proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            log.warning("engine process is gone; request %s dropped", request.get("op"))

    def kill(self) -> None:
        """Kill the engine at once (cancel that did not take, shutdown)."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()

    def _read(self, proc: subprocess.Popen[str], generation: int) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                log.warning("engine said something unreadable: %r", line[:200])
                continue
            if message.get("type") == "hello" and generation == self.generation:
                self.info = message
            self.messages.put((generation, message))
        code = proc.wait()
        self.messages.put((generation, {"type": "exit", "code": code}))
