"""Write monolithic XISF 1.0 files PixInsight opens: planar pixels in an attached block.

Optional zstd/lz4hc/lz4/zlib compression with byte shuffling, a SHA-1 checksum, every
keyword, property and kept element (ICC profile, thumbnail, ...) of the source, atomically.
"""

from __future__ import annotations

import base64
import hashlib
import os
import platform
import struct
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

import numpy as np

from ... import __version__
from ...exceptions import ParameterError
from ..atomic import atomic_write
from ..image import ImageData, Property
from .codecs import CODECS, Compression, compress
from .elements import emit
from .header import NAMESPACE, SIGNATURE
from .pixels import encode_planes
from .properties import keyword_element, property_element

__all__ = ["write_xisf"]

ALIGN = 4096
MAX_INLINE = 3072
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
    px = image.pixels
    if px.ndim != 3 or min(px.shape) < 1:
        raise ParameterError(f"pixels must be a non-empty (H, W, C) array, got shape {px.shape}")


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
    shuffled = shuffle and compression is not None
    data: Any = encode_planes(image.pixels, sample_format, shuffle=shuffled)
    attrs = {
        "geometry": f"{width}:{height}:{channels}",
        "sampleFormat": sample_format,
        "colorSpace": image.color_space if channels == 3 else "Gray",
    }
    if sample_format == "Float32":
        attrs["bounds"] = "0:1"
    attrs.update(image.extras.get("xisf_image_attributes", {}))
    if compression is not None:
        itemsize = 4 if sample_format == "Float32" else 2
        attrs["compression"] = str(Compression(compression, shuffled, data.nbytes, itemsize))
        data = compress(memoryview(data), compression, threads=-1)
    if checksum is not None:
        attrs["checksum"] = f"{checksum}:{hashlib.new(checksum, data).hexdigest()}"
    doc = _Document()
    img = ET.SubElement(doc.root, "Image", attrs)
    doc.attach(img, data)
    img.extend(keyword_element(kw) for kw in image.keywords)
    img.extend(property_element(p, doc.add_block) for p in image.properties)
    img.extend(emit(e, doc.add_block) for e in image.extras.get("xisf_elements", []))
    meta = ET.SubElement(doc.root, "Metadata")
    own = _own_metadata(compression, checksum)
    meta.extend(property_element(p, doc.add_block) for p in own)
    meta.extend(property_element(p, doc.add_block) for p in image.extras.get("xisf_metadata", []))
    doc.root.extend(emit(e, doc.add_block) for e in image.extras.get("xisf_root_elements", []))
    doc.write(path)


def _own_metadata(compression: str | None, checksum: str | None) -> list[Property]:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    props = [
        Property("XISF:CreationTime", "String", now),
        Property("XISF:CreatorApplication", "String", f"bgoptimizer {__version__}"),
        Property("XISF:CreatorOS", "String", platform.system()),
        Property("XISF:BlockAlignmentSize", "UInt16", ALIGN),
        Property("XISF:MaxInlineBlockSize", "UInt16", MAX_INLINE),
    ]
    if compression is not None:
        props.append(Property("XISF:CompressionCodecs", "String", compression))
        props.append(Property("XISF:CompressionLevel", "Int32", 0))
    if checksum is not None:
        props.append(Property("XISF:ChecksumAlgorithms", "String", checksum))
    return props


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
        self.attachments: list[tuple[ET.Element, Any]] = []

    def attach(self, el: ET.Element, data: Any) -> None:
        """Store ``data`` as an attachment; its position is set when the header is laid out."""
        self.attachments.append((el, data))

    def add_block(self, el: ET.Element, data: bytes) -> None:
        """Small blocks inline (base64), large ones attached, as PixInsight does."""
        if len(data) <= MAX_INLINE:
            el.set("location", "inline:base64")
            el.text = base64.b64encode(data).decode("ascii")
        else:
            self.attach(el, data)

    def _layout(self) -> tuple[bytes, int]:
        """The header bytes and the offset of the first attachment (a fixed point)."""
        start = ALIGN
        while True:
            pos = start
            for el, data in self.attachments:
                el.set("location", f"attachment:{pos}:{memoryview(data).nbytes}")
                pos += memoryview(data).nbytes
            xml = b'<?xml version="1.0" encoding="UTF-8"?>' + ET.tostring(
                self.root, "utf-8", xml_declaration=False
            )
            if 16 + len(xml) <= start:
                return xml, start
            start = -(-(16 + len(xml)) // ALIGN) * ALIGN

    def write(self, path: str | os.PathLike[str]) -> None:
        """Write signature, header, padding and attachments atomically."""
        xml, start = self._layout()
        with atomic_write(path) as f:
            f.write(SIGNATURE + struct.pack("<I", len(xml)) + bytes(4))
            f.write(xml)
            f.write(bytes(start - 16 - len(xml)))
            for _, data in self.attachments:
                f.write(memoryview(data).cast("B") if isinstance(data, np.ndarray) else data)
