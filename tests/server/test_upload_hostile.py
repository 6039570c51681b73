"""Hostile uploads are refused with a 4xx (or fail their job) and the worker stays healthy."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
from harness import OCTET, TINY, Server


def _xisf(image_attrs: str, data: bytes = b"", data_at: int = 4096) -> bytes:
    """A hand-made XISF file: preamble, header, one attached block at ``data_at``."""
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?><xisf version="1.0" '
        'xmlns="http://www.pixinsight.com/xisf"><Image ' + image_attrs + "/></xisf>"
    ).encode()
    head = b"XISF0100" + struct.pack("<II", len(xml), 0) + xml
    return head + bytes(data_at - len(head)) + data


def _bomb(declared: int) -> bytes:
    """64x48 Float32 claimed, a zlib stream that inflates to 64 MiB."""
    payload = zlib.compress(bytes(64 * 2**20), 9)
    return _xisf(
        'geometry="64:48:1" sampleFormat="Float32" colorSpace="Gray" '
        f'compression="zlib:{declared}" location="attachment:4096:{len(payload)}"',
        payload,
    )


HOSTILE = {
    "not_xisf": b"GIF89a" + bytes(5000),
    "huge_dimensions": _xisf(
        'geometry="200000:200000:3" sampleFormat="Float32" colorSpace="RGB" '
        'location="attachment:4096:480000000000"',
        bytes(64),
    ),
    "block_beyond_end": _xisf(
        'geometry="64:48:1" sampleFormat="Float32" colorSpace="Gray" '
        'location="attachment:4096:12288"',
        bytes(100),
    ),
    "bomb_lying_size": _bomb(64 * 2**20),
    "header_length_lie": b"XISF0100" + struct.pack("<II", 2**31, 0) + b"<xisf" + bytes(100),
    "bad_xml": b"XISF0100" + struct.pack("<II", 20, 0) + b"<xisf><Image</xisf>" + bytes(100),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_upload_is_refused(server: Server, name: str) -> None:
    job = server.create(TINY)
    r = server.client.put(f"/v1/jobs/{job['id']}/image", content=HOSTILE[name], headers=OCTET)
    assert 400 <= r.status_code < 500, r.text
    assert r.json()["error"]["code"] in ("bad_xisf", "bad_image", "too_large"), r.text
    assert server.status(job["id"])["image"] is None
    assert not list((server.data_dir / "jobs" / job["id"]).glob("*.xisf"))
    assert server.client.get("/v1/health").json()["status"] == "ok"


def test_truncated_real_file_is_refused(server: Server, real_data: Path) -> None:
    raw = (real_data / "xisf/pixinsight/xisfsharp_400x300-u16-zlib.xisf").read_bytes()
    job = server.create(TINY)
    r = server.client.put(
        f"/v1/jobs/{job['id']}/image", content=raw[: len(raw) // 2], headers=OCTET
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_xisf", r.text


def test_bomb_with_consistent_header_is_refused_at_upload(server: Server) -> None:
    """The header cannot tell; decoding the compressed block once (bounded) does."""
    job = server.create(TINY)
    r = server.client.put(f"/v1/jobs/{job['id']}/image", content=_bomb(64 * 48 * 4), headers=OCTET)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "bad_xisf"
    assert "inflates beyond its declared size" in r.json()["error"]["message"]
    assert not list((server.data_dir / "jobs" / job["id"]).glob(".part-*"))
    assert server.client.get("/v1/health").json()["status"] == "ok"


def test_checksum_mismatch_is_refused_at_upload(server: Server, real_data: Path) -> None:
    raw = bytearray((real_data / "xisf/pixinsight/xisfsharp_400x300-u16-sha1.xisf").read_bytes())
    raw[4096 + 1000] ^= 0xFF  # inside the pixel block (attachment:4096:240000)
    job = server.create(TINY)
    r = server.client.put(f"/v1/jobs/{job['id']}/image", content=bytes(raw), headers=OCTET)
    assert r.status_code == 422, r.text
    assert "checksum mismatch" in r.json()["error"]["message"]


def test_chunked_upload_is_cut_at_the_limit(server: Server) -> None:
    job = server.create(TINY)

    def body():  # no Content-Length: the limit is enforced while streaming
        for _ in range(20):
            yield bytes(64 * 1024)

    r = server.client.put(f"/v1/jobs/{job['id']}/image", content=body(), headers=OCTET)
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large", r.text
    assert not list((server.data_dir / "jobs" / job["id"]).glob(".part-*"))
