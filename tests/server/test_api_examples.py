"""Every example of docs/API.md (tests/fixtures/api) replayed against the real worker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fixtures_api import check, load, send
from harness import TINY, Server

EXAMPLES = load()


@pytest.fixture(scope="module")
def done_job(server: Server, inputs: dict[str, Path]) -> str:
    job_id = server.submit(inputs["image"], TINY)
    assert server.wait(job_id)["state"] == "done"
    return job_id


def _setup(kind: str, server: Server, inputs: dict[str, Path], done_job: str) -> str | None:
    if kind == "none":
        return None
    if kind == "done":
        return done_job
    job_id = str(server.create(TINY)["id"])
    if kind == "with_image":
        assert server.upload(job_id, "image", inputs["image"]).status_code == 200
    return job_id


@pytest.mark.parametrize("example", EXAMPLES, ids=[e["name"] for e in EXAMPLES])
def test_example(
    example: dict[str, Any], server: Server, inputs: dict[str, Path], done_job: str
) -> None:
    job_id = _setup(example["setup"], server, inputs, done_job)
    check(example, send(server.client, example, job_id, inputs))
    assert server.client.get("/v1/health").status_code == 200


def test_examples_cover_every_error_code_of_the_contract() -> None:
    codes = {
        e["response"]["body"]["error"]["code"]
        for e in load() + load("auth") + load("queue_full")
        if e["response"]["status"] >= 400
    }
    assert codes >= {
        "bad_request",
        "unauthorized",
        "not_found",
        "method_not_allowed",
        "job_state",
        "not_ready",
        "too_large",
        "bad_parameter",
        "bad_xisf",
        "bad_mask",
        "queue_full",
    }


def test_docs_show_every_example(fixtures_dir: Path) -> None:
    doc = (fixtures_dir.parents[1] / "docs" / "API.md").read_text()
    for example in load() + load("auth") + load("queue_full"):
        assert f"### `{example['name']}`" in doc, example["name"]


def test_openapi_describes_the_generated_parameters(server: Server) -> None:
    assert server.client.get("/docs").status_code == 200
    spec = server.client.get("/openapi.json").json()
    body = spec["paths"]["/v1/jobs"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/JobCreate"}
    params = spec["components"]["schemas"]["JobParams"]["properties"]
    assert params["samples"]["maximum"] == 512 and params["samples"]["default"] == 32
