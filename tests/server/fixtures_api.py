"""Load the API examples of ``tests/fixtures/api`` and check a real answer against one.

Format (shared with the script's Node tests): ``request`` {method, path with ``{id}``,
headers, and one of ``json``, ``text`` or ``body`` ({"xisf": input name} or {"bytes": n}}),
``response`` {status, content_type, headers, body (an example), exact (dotted keys whose
values must be equal)}. Every other key of the example must exist with the same JSON type;
an example value of null accepts anything.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "api"


def load(replay: str | bool = True) -> list[dict[str, Any]]:
    examples = [json.loads(p.read_text()) for p in sorted(ROOT.glob("*.json"))]
    if not examples:
        raise FileNotFoundError(f"no API examples in {ROOT}")
    return [e for e in examples if e.get("replay", True) == replay]


def send(
    client: httpx.Client, example: dict[str, Any], job_id: str | None, inputs: dict[str, Path]
) -> httpx.Response:
    req = example["request"]
    path = req["path"].replace("{id}", job_id or "")
    kwargs: dict[str, Any] = {"headers": req.get("headers", {})}
    if "json" in req:
        kwargs["content"] = json.dumps(req["json"]).encode()
    elif "text" in req:
        kwargs["content"] = req["text"].encode()
    elif "body" in req:
        body = req["body"]
        kwargs["content"] = (
            inputs[body["xisf"]].read_bytes() if "xisf" in body else bytes(body["bytes"])
        )
    return client.request(req["method"], path, **kwargs)


def _type_ok(example: Any, actual: Any, where: str) -> None:
    if example is None:
        return
    if isinstance(example, dict):
        assert isinstance(actual, dict), f"{where}: expected an object, got {actual!r}"
        for key, value in example.items():
            assert key in actual, f"{where}.{key} is missing"
            _type_ok(value, actual[key], f"{where}.{key}")
    elif isinstance(example, bool):
        assert isinstance(actual, bool), f"{where}: expected a bool, got {actual!r}"
    elif isinstance(example, int | float):
        ok = isinstance(actual, int | float) and not isinstance(actual, bool)
        assert ok, f"{where}: expected a number, got {actual!r}"
    else:
        assert isinstance(actual, type(example)), f"{where}: expected {type(example).__name__}"


def _get(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        data = data[part]
    return data


def check(example: dict[str, Any], response: httpx.Response) -> None:
    want = example["response"]
    assert response.status_code == want["status"], response.text
    assert response.headers["content-type"].startswith(want["content_type"])
    for name, value in want["headers"].items():
        assert name in response.headers, f"header {name} missing"
        if not value.isdigit():
            assert response.headers[name] == value
    if want["body"] is None:
        assert response.content
        return
    body = response.json()
    _type_ok(want["body"], body, "body")
    for key in want["exact"]:
        assert _get(body, key) == _get(want["body"], key), key
