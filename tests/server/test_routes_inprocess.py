"""The routes in process: FastAPI's ``TestClient`` with the store and runner swapped through
``app.dependency_overrides`` (a runner that is never started: no TensorFlow process).

What needs no engine is checked here, fast: body types and caps, the Host/Origin guard, the
405 ``Allow`` list, HEAD, the OpenAPI document, the quarantine at start.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bgoptimizer.server import Settings, create_app
from bgoptimizer.server.deps import get_runner, get_store
from bgoptimizer.server.runner import Runner
from bgoptimizer.server.store import JobStore

JSON = {"Content-Type": "application/json"}
LOOPBACK = "http://127.0.0.1:8765"


def _client(data: Path, **settings: Any) -> tuple[TestClient, JobStore]:
    config = Settings(data_dir=data, **settings)
    app: FastAPI = create_app(config)
    store = JobStore(data)
    store.load()
    runner = Runner(store, config)
    app.dependency_overrides[get_store] = lambda: store
    app.dependency_overrides[get_runner] = lambda: runner
    return TestClient(app, base_url=LOOPBACK), store  # not entered: no lifespan, no engine


@pytest.fixture
def api(tmp_path: Path) -> Iterator[TestClient]:
    client, _ = _client(tmp_path / "data")
    yield client
    client.close()


def _error(r: Any, status: int, code: str) -> str:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json"
    assert r.json()["error"]["code"] == code, r.text
    return str(r.json()["error"]["message"])


@pytest.mark.parametrize(
    ("headers", "body"),
    [({"Content-Type": "text/plain"}, b'{"name": "x"}'), ({}, b'{"name": "x"}')],
    ids=["text_plain", "no_type"],
)
def test_json_body_needs_the_json_type(api: TestClient, headers: dict, body: bytes) -> None:
    """A web page may POST text/plain cross-site without asking first; it cannot say JSON."""
    message = _error(
        api.post("/v1/jobs", content=body, headers=headers), 415, "unsupported_media_type"
    )
    assert "application/json" in message
    assert api.post("/v1/jobs", content=body, headers=JSON).status_code == 201


def test_empty_create_body_needs_no_type(api: TestClient) -> None:
    assert api.post("/v1/jobs").status_code == 201


def test_chunked_json_body_is_cut_at_the_cap(api: TestClient) -> None:
    def body() -> Iterator[bytes]:  # no Content-Length: the cap holds while reading
        yield b'{"name": "'
        for _ in range(200):
            yield b"x" * 1024
        yield b'"}'

    message = _error(api.post("/v1/jobs", content=body(), headers=JSON), 413, "too_large")
    assert str(64 * 1024) in message


def test_deeply_nested_json_is_a_bad_request(api: TestClient) -> None:
    deep = b'{"params": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    assert "nested too deep" in _error(
        api.post("/v1/jobs", content=deep, headers=JSON), 400, "bad_request"
    )


def test_upload_needs_the_octet_stream_type(api: TestClient) -> None:
    job = api.post("/v1/jobs").json()["id"]
    r = api.put(
        f"/v1/jobs/{job}/image", content=b"XISF0100", headers={"Content-Type": "text/plain"}
    )
    assert "application/octet-stream" in _error(r, 415, "unsupported_media_type")
    r = api.put(f"/v1/jobs/{job}/image", content=b"", headers={"Content-Type": "application/xisf"})
    _error(r, 400, "bad_request")  # the XISF type is taken: the empty body is what is wrong


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Host": "evil.example"}, 403),
        ({"Host": "evil.example:8765"}, 403),
        ({"Host": "localhost:8765"}, 200),
        ({"Host": "[::1]:8765"}, 200),
        ({"Origin": "http://evil.example"}, 403),
        ({"Origin": "null"}, 403),
    ],
)
def test_host_and_origin_guard(api: TestClient, headers: dict, status: int) -> None:
    """DNS rebinding brings a foreign Host; any page brings an Origin (PixInsight: neither)."""
    r = api.get("/v1/health", headers=headers)
    assert r.status_code == status, r.text
    if status == 403:
        _error(r, 403, "forbidden")
        _error(api.post("/v1/jobs", headers=headers), 403, "forbidden")


def test_listed_origin_and_token_open_the_guard(tmp_path: Path) -> None:
    page = {"Origin": "http://localhost:3000"}
    client, _ = _client(tmp_path / "a", allowed_origins=("http://localhost:3000",))
    assert client.get("/v1/health", headers=page).status_code == 200
    _error(client.get("/v1/health", headers={"Origin": "http://evil.example"}), 403, "forbidden")
    client, _ = _client(tmp_path / "b", token="s3cret")  # a token is the proof, not the name
    assert client.get("/v1/health", headers={"Host": "worker.lan:8765"}).status_code == 200


def test_allow_lists_every_method_of_the_path(api: TestClient) -> None:
    r = api.put("/v1/jobs/j_000000000000", content=b"")
    _error(r, 405, "method_not_allowed")
    assert r.headers["allow"] == "GET, HEAD, DELETE"


def test_head_and_unknown_methods(api: TestClient) -> None:
    head = api.head("/v1/health")
    assert head.status_code == 200 and head.headers["content-type"] == "application/json"
    assert not head.content
    r = api.head("/v1/jobs")
    assert r.status_code == 405 and r.headers["content-type"] == "application/json"
    assert r.headers["allow"] == "POST"
    _error(api.request("BREW", "/v1/health"), 405, "method_not_allowed")


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_openapi_references_resolve_and_upload_bodies_are_required(api: TestClient) -> None:
    spec = api.get("/openapi.json").json()
    refs = set(_refs(spec))
    assert "#/components/schemas/JobParams" in refs
    for ref in refs:
        node = spec
        for part in ref.removeprefix("#/").split("/"):
            assert part in node, f"{ref} does not resolve"
            node = node[part]
    for kind in ("image", "mask"):
        for method in ("put", "post"):
            body = spec["paths"][f"/v1/jobs/{{job_id}}/{kind}"][method]["requestBody"]
            assert body["required"] is True
            assert "application/octet-stream" in body["content"]
    params = spec["components"]["schemas"]["JobParams"]["properties"]
    assert params["samples"]["maximum"] == 512 and params["samples"]["default"] == 32


def test_unreadable_job_folder_is_quarantined_and_listed(tmp_path: Path, caplog: Any) -> None:
    """It used to be deleted with its results; now it is kept aside for the user."""
    data = tmp_path / "data"
    broken = data / "jobs" / "j_0123456789ab"
    broken.mkdir(parents=True)
    (broken / "job.json").write_text('{"id": "j_0123456789ab", "state": ')
    (broken / "results").mkdir()
    (broken / "results" / "corrected.xisf").write_bytes(b"kept")
    with caplog.at_level("WARNING", "bgoptimizer.server"):
        client, store = _client(data)
    moved = data / "quarantine" / "j_0123456789ab"
    assert (moved / "results" / "corrected.xisf").read_bytes() == b"kept"
    assert not broken.exists() and store.all() == []
    assert any(
        "j_0123456789ab" in r.getMessage() and "quarantine" in r.getMessage()
        for r in caplog.records
    )
    assert client.get("/v1/health").json()["quarantined"] == ["j_0123456789ab"]
    assert json.loads(client.get("/v1/health").text)["status"] == "ok"
