"""Build small XISF files by hand (for hostile and edge-case tests)."""

from __future__ import annotations

import struct

NS = 'xmlns="http://www.pixinsight.com/xisf"'
DATA_AT = 4096


def xisf_bytes(xml: str, data: bytes = b"", *, header_len: int | None = None) -> bytes:
    """Signature + header length + reserved + XML, zero padding, then ``data`` at 4096."""
    raw = xml.encode("utf-8")
    assert 16 + len(raw) <= DATA_AT
    length = len(raw) if header_len is None else header_len
    head = b"XISF0100" + struct.pack("<I", length) + bytes(4) + raw
    return head + bytes(DATA_AT - len(head)) + data if data else head


def image_xml(attrs: str, inner: str = "", *, root: str = 'version="1.0"') -> str:
    """A whole header with one Image element."""
    head = '<?xml version="1.0" encoding="UTF-8"?>'
    return f"{head}<xisf {root} {NS}><Image {attrs}>{inner}</Image></xisf>"


def attached(attrs: str, data: bytes, inner: str = "", size: int | None = None) -> bytes:
    """One image whose pixel block is attached at 4096 (``size`` overrides the declared size)."""
    n = len(data) if size is None else size
    return xisf_bytes(image_xml(f'{attrs} location="attachment:{DATA_AT}:{n}"', inner), data)
