"""Write monolithic XISF 1.0 files PixInsight opens: planar pixels in an attached block.

Optional zstd/lz4hc/lz4/zlib compression with byte shuffling, a SHA-1 checksum, every
keyword, property and kept element (ICC profile, thumbnail, ...) of the source, atomically.
"""

from __future__ import annotations

import base64
import hashlib
import math
import os
import platform
import struct
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import numpy as np

from ... import __version__
from ...exceptions import ParameterError
from ..atomic import atomic_write
from ..image import ImageData, PlaneBands, Property
from .codecs import CODECS, Compression, compress
from .elements import emit
from .header import NAMESPACE, SIGNATURE
from .pixels import encode_planes, planar_chunks
from .properties import keyword_element, property_element

__all__ = ["write_xisf"]

ALIGN = 4096
MAX_INLINE = 3072
CHUNK = 64 << 20
WRITE_FORMATS = ("Float32", "UInt16")
CHECKSUMS = ("sha1", "sha256", "sha512")


def _check(
    image: ImageData, sample_format: str, compression: str | None, checksum: str | None
) -> None:
    if sample_format not in WRITE_FORMATS:
        raise ParameterError(f"sample_format must be one of {WRITE_FORMATS}, got {sample_format!r}")
    if compression is not None and compression not in CODECS:
        raise ParameterError(f"compression must be None or one of {CODECS}, got {compression!r}")
    if checksum is not None and checksum not in CHECKSUMS:
        raise ParameterError(f"checksum must be None or one of {CHECKSUMS}, got {checksum!r}")
    shape = tuple(image.pixels.shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ParameterError(f"pixels must be a non-empty (H, W, C) array, got shape {shape}")


def write_xisf(
    path: str | os.PathLike[str],
    image: ImageData,
    *,
    sample_format: str = "Float32",
    compression: str | None = None,
    shuffle: bool = True,
    checksum: str | None = "sha1",
) -> None:
    """Write ``image`` (see :func:`bgoptimizer.io.write_image`)."""
    _check(image, sample_format, compression, checksum)
    height, width, channels = image.pixels.shape
    attrs = {
        "geometry": f"{width}:{height}:{channels}",
        "sampleFormat": sample_format,
        "colorSpace": image.color_space if channels == 3 else "Gray",
    }
    if sample_format == "Float32":
        attrs["bounds"] = "0:1"
    attrs.update(image.extras.get("xisf_image_attributes", {}))
    data: Any = _Planes(image.pixels, sample_format)
    if compression is not None:
        planes = encode_planes(image.pixels, sample_format, shuffle=shuffle)
        attrs["compression"] = str(Compression(compression, shuffle, planes.nbytes, data.itemsize))
        data = memoryview(compress(memoryview(planes), compression, threads=-1))
        del planes
    doc = _Document()
    img = ET.SubElement(doc.root, "Image", attrs)
    doc.attach(img, data, checksum)
    img.extend([keyword_element(kw) for kw in image.keywords])
    img.extend([property_element(p, doc.add_block) for p in image.properties])
    img.extend([emit(e, doc.add_block) for e in image.extras.get("xisf_elements", [])])
    meta = ET.SubElement(doc.root, "Metadata")
    codec = None if compression is None else compression + ("+sh" if shuffle else "")
    own = _own_metadata(codec, checksum)
    meta.extend([property_element(p, doc.add_block) for p in own])
    meta.extend([property_element(p, doc.add_block) for p in image.extras.get("xisf_metadata", [])])
    doc.root.extend([emit(e, doc.add_block) for e in image.extras.get("xisf_root_elements", [])])
    doc.write(path)


def _own_metadata(codec: str | None, checksum: str | None) -> list[Property]:
    """The ``XISF:*`` Metadata properties; ``codec`` as in the file (``zstd+sh``)."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    props = [
        Property("XISF:CreationTime", "String", now),
        Property("XISF:CreatorApplication", "String", f"bgoptimizer {__version__}"),
        Property("XISF:CreatorOS", "String", platform.system()),
        Property("XISF:BlockAlignmentSize", "UInt16", ALIGN),
        Property("XISF:MaxInlineBlockSize", "UInt16", MAX_INLINE),
    ]
    if codec is not None:
        props.append(Property("XISF:CompressionCodecs", "String", codec))
        props.append(Property("XISF:CompressionLevel", "Int32", 0))
    if checksum is not None:
        props.append(Property("XISF:ChecksumAlgorithms", "String", checksum))
    return props


class _Planes:
    """Uncompressed pixel data, produced chunk by chunk while the file is written."""

    def __init__(self, pixels: np.ndarray | PlaneBands, sample_format: str) -> None:
        self.pixels, self.sample_format = pixels, sample_format
        self.itemsize = 4 if sample_format == "Float32" else 2
        self.nbytes = math.prod(pixels.shape) * self.itemsize

    def chunks(self) -> Iterator[Any]:
        """Stored bytes in file order."""
        return planar_chunks(self.pixels, self.sample_format)


def _chunks(data: Any) -> Iterator[Any]:
    if isinstance(data, _Planes):
        return data.chunks()
    view = memoryview(data).cast("B")
    return (view[i : i + CHUNK] for i in range(0, view.nbytes, CHUNK))


class _Document:
    """The XML tree plus the attachments its elements point to."""

    def __init__(self) -> None:
        self.root = ET.Element(
            "xisf",
            {
                "version": "1.0",
                "xmlns": NAMESPACE,
                "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
                "xsi:schemaLocation": f"{NAMESPACE} http://pixinsight.com/xisf/xisf-1.0.xsd",
            },
        )
        self.attachments: list[tuple[ET.Element, Any, str | None]] = []

    def attach(self, el: ET.Element, data: Any, checksum: str | None = None) -> None:
        """Store ``data`` as an attachment; position and checksum are set while writing."""
        if checksum is not None:  # a placeholder of the digest's length: same header size
            el.set("checksum", f"{checksum}:{'0' * hashlib.new(checksum).digest_size * 2}")
        self.attachments.append((el, data, checksum))

    def add_block(self, el: ET.Element, data: bytes) -> None:
        """Small blocks inline (base64), large ones attached, as PixInsight does."""
        if len(data) <= MAX_INLINE:
            el.set("location", "inline:base64")
            el.text = base64.b64encode(data).decode("ascii")
        else:
            self.attach(el, memoryview(data))

    def _layout(self) -> tuple[bytes, int]:
        """The header bytes and the offset of the first attachment (a fixed point)."""
        start = ALIGN
        while True:
            pos = start
            for el, data, _ in self.attachments:
                el.set("location", f"attachment:{pos}:{data.nbytes}")
                pos += data.nbytes
            xml = self._xml()
            if 16 + len(xml) <= start:
                return xml, start
            start = -(-(16 + len(xml)) // ALIGN) * ALIGN

    def _xml(self) -> bytes:
        return b'<?xml version="1.0" encoding="UTF-8"?>' + ET.tostring(
            self.root, "utf-8", xml_declaration=False
        )

    def write(self, path: str | os.PathLike[str]) -> None:
        """Write signature, header, padding and attachments atomically.

        Checksums are computed while the data is written, then the header is rewritten in
        place with the real digests (same length as the placeholders).
        """
        xml, start = self._layout()
        with atomic_write(path) as f:
            f.write(SIGNATURE + struct.pack("<I", len(xml)) + bytes(4))
            f.write(xml)
            f.write(bytes(start - 16 - len(xml)))
            with ThreadPoolExecutor(1) as hashing:  # hashlib and write both release the GIL
                for el, data, checksum in self.attachments:
                    hasher = hashlib.new(checksum) if checksum else None
                    for chunk in _chunks(data):
                        pending = hasher and hashing.submit(hasher.update, chunk)
                        f.write(chunk)
                        if pending:
                            pending.result()
                    if hasher is not None:
                        el.set("checksum", f"{checksum}:{hasher.hexdigest()}")
            final = self._xml()
            if final != xml:
                f.seek(16)
                f.write(final)
