"""Over real HTTP (uvicorn on loopback): a huge JSON body costs no memory, a foreign Host
or an Origin is refused, a client that hangs up mid-upload is one info line."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

from harness import TINY, Server


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def _exchange(port: int, head: bytes, chunks: int = 0, chunk: bytes = b"") -> bytes:
    """Send a request head and then ``chunks`` body pieces for as long as the worker reads;
    answer what it sent back (it may answer, and close, before the body is over)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head)
        try:
            for _ in range(chunks):
                sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = b""
        try:
            while data := sock.recv(65536):
                answer += data
        except ConnectionResetError:
            pass
        return answer


def test_declared_huge_json_body_is_refused_before_reading(server: Server) -> None:
    head = (
        b"POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 400000000\r\nConnection: close\r\n\r\n"
    )
    answer = _exchange(server.port, head)  # no body sent at all: the header is enough
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b'"too_large"' in answer


def test_chunked_json_body_costs_no_memory(server: Server) -> None:
    """It used to be read whole: 400 MB raised the API process's peak from 145 to 869 MB."""
    assert server.proc is not None
    before = _peak_rss_mb(server.proc.pid)
    mib = b"100000\r\n" + b" " * 2**20 + b"\r\n"  # one 1 MiB chunk of JSON whitespace
    head = (
        b"POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    answer = _exchange(server.port, head, chunks=200, chunk=mib)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    grown = _peak_rss_mb(server.proc.pid) - before
    assert grown < 30, f"peak RSS grew by {grown:.0f} MB for a refused 200 MiB body"
    assert server.client.get("/v1/health").json()["status"] == "ok"


def test_foreign_host_and_any_origin_are_refused(server: Server) -> None:
    """DNS rebinding and cross-site simple POSTs: what a web page can do to a loopback port."""
    rebound = server.client.post("/v1/jobs", headers={"Host": "evil.example"}, json={})
    assert rebound.status_code == 403 and rebound.json()["error"]["code"] == "forbidden"
    simple = server.client.post(
        "/v1/jobs",
        content=b'{"name": "from a page"}',
        headers={"Content-Type": "text/plain", "Origin": "http://evil.example"},
    )
    assert simple.status_code == 403, simple.text
    plain = server.client.post(
        "/v1/jobs", content=b'{"name": "x"}', headers={"Content-Type": "text/plain"}
    )
    assert plain.status_code == 415, plain.text
    assert server.client.post("/v1/jobs", json={"name": "script"}).status_code == 201


def test_client_gone_mid_upload_is_one_info_line(server: Server) -> None:
    job = server.create(TINY)["id"]
    start = server.log.stat().st_size
    head = (
        f"PUT /v1/jobs/{job}/image HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/octet-stream\r\nContent-Length: 1000000\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(head + bytes(4096))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        text = server.log.read_text(errors="replace")[start:]
        if f"PUT /v1/jobs/{job}/image" in text:  # the access line comes last
            break
        time.sleep(0.05)
    assert f"INFO bgoptimizer.server client disconnected during PUT /v1/jobs/{job}/image" in text
    assert "Traceback" not in text and "internal error" not in text, text
    assert not list((server.data_dir / "jobs" / job).glob(".part-*"))
    assert server.status(job)["image"] is None


def test_what_the_http_parser_refuses_gets_the_json_error(server: Server) -> None:
    """A method no HTTP parser table knows (BREW), or a head that is not HTTP, is refused
    before the app, by the worker's HTTP protocol: with the JSON envelope of every other
    error (docs/API.md), not uvicorn's plain-text 400 (what it was before)."""
    cases = {
        b"BREW /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n": (501, "not_implemented"),
        # a method the parser knows reaches the app, which names the verbs the path takes
        b"PROPFIND /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n": (405, "method_not_allowed"),
        b"GET /v1/health HTTP/1.1\r\nHo st\x00: x\r\n\r\n": (400, "bad_request"),
    }
    for request, (status, code) in cases.items():
        head, _, body = _exchange(server.port, request).partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 %d " % status), head
        assert b"content-type: application/json" in head.lower()
        assert json.loads(body)["error"]["code"] == code
    assert server.client.get("/v1/health").status_code == 200  # the worker serves on
