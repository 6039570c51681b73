"""The dialog's explicit stretch (DESIGN §5): sent with the job, used by the engine as given."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from harness import TINY, Server

STRETCH = {"pedestal": [0.05], "scale": [0.2], "midtones": [0.3]}


def test_explicit_stretch_is_used_and_reported(server: Server, inputs: dict[str, Path]) -> None:
    job = server.create(TINY, stretch=STRETCH)
    assert job["stretch"] == STRETCH
    assert server.upload(job["id"], "image", inputs["image"]).status_code == 200
    assert server.client.post(f"/v1/jobs/{job['id']}/start").status_code == 202
    assert server.wait(job["id"])["state"] == "done"
    report = json.loads(server.client.get(f"/v1/jobs/{job['id']}/result/report.json").content)
    used = report["stretch"]
    assert used["explicit"] is True
    for key, values in STRETCH.items():
        assert used[key] == pytest.approx(values), key


@pytest.mark.parametrize(
    ("stretch", "match"),
    [
        ({"pedestal": [0.0], "scale": [0.0], "midtones": [0.3]}, "scale must be > 0"),
        ({"pedestal": [0.0], "scale": [0.2], "midtones": [1.0]}, r"midtones must be in \(0, 1\)"),
        ({"pedestal": [0.0, 0.1], "scale": [0.2], "midtones": [0.3]}, "one value per channel"),
        ({"pedestal": [0.0], "scale": [0.2]}, "midtones"),
        ({"pedestal": [0.0], "scale": [0.2], "midtones": [0.3], "gamma": [1]}, "gamma"),
    ],
)
def test_bad_stretch_is_refused_at_create(server: Server, stretch: dict, match: str) -> None:
    r = server.client.post("/v1/jobs", json={"stretch": stretch})
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "bad_parameter"
    assert re.search(match, error["message"]), error


def test_stretch_with_the_wrong_channel_count_is_refused_at_start(
    server: Server, inputs: dict[str, Path]
) -> None:
    rgb = {key: values * 3 for key, values in STRETCH.items()}
    job = server.create(TINY, stretch=rgb)
    assert server.upload(job["id"], "image", inputs["image"]).status_code == 200
    r = server.client.post(f"/v1/jobs/{job['id']}/start")
    assert r.status_code == 422, r.text
    assert "the image has 1 channel(s)" in r.json()["error"]["message"]
    assert server.status(job["id"])["state"] == "created"
