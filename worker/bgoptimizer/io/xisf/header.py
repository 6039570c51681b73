"""XISF file header: signature, XML parsing with hostile-input guards, data-block references.

Nothing here reads pixel data; everything is checked against the file size first, so a tiny
file that claims gigabytes fails here, before any allocation.
"""

from __future__ import annotations

import re
import struct
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import BinaryIO

from ...exceptions import XISFError
from .codecs import Compression

__all__ = [
    "MAX_HEADER_BYTES",
    "NAMESPACE",
    "SAMPLE_FORMATS",
    "SIGNATURE",
    "BlockRef",
    "ImageHeader",
    "XisfHeader",
    "block_ref",
    "parse_image",
    "read_header",
]

SIGNATURE = b"XISF0100"
NAMESPACE = "http://www.pixinsight.com/xisf"
MAX_HEADER_BYTES = 64 << 20
SAMPLE_FORMATS = {"UInt8": "u1", "UInt16": "u2", "UInt32": "u4", "Float32": "f4", "Float64": "f8"}
CHECKSUMS = {
    "sha1": "sha1", "sha-1": "sha1", "sha256": "sha256", "sha-256": "sha256",
    "sha512": "sha512", "sha-512": "sha512", "sha3-256": "sha3_256", "sha3-512": "sha3_512",
}  # fmt: skip
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


@dataclass(frozen=True)
class BlockRef:
    """Where a data block lives and how it is encoded; ``where`` names it in messages."""

    where: str
    kind: str
    position: int = 0
    size: int = 0
    encoding: str = ""
    text: str = ""
    compression: Compression | None = None
    subblocks: tuple[tuple[int, int], ...] = ()
    checksum: tuple[str, str] | None = None
    byte_order: str = "little"

    @property
    def location(self) -> str:
        """The location as the file spells it (``attachment:pos:size``, ``inline:base64``...)."""
        if self.kind == "attachment":
            return f"attachment:{self.position}:{self.size}"
        return "embedded" if self.kind == "embedded" else f"inline:{self.encoding}"


@dataclass(frozen=True)
class ImageHeader:
    """One ``Image`` element, validated: geometry, formats and its pixel data block."""

    index: int
    width: int
    height: int
    channels: int
    sample_format: str
    color_space: str
    pixel_storage: str
    block: BlockRef
    element: ET.Element

    @property
    def dtype(self) -> str:
        """Numpy dtype string of one stored sample, byte order included."""
        return (">" if self.block.byte_order == "big" else "<") + SAMPLE_FORMATS[self.sample_format]


@dataclass(frozen=True)
class XisfHeader:
    """The parsed XML header of a monolithic XISF file."""

    root: ET.Element
    images: list[ET.Element]
    header_end: int
    file_size: int


def read_header(f: BinaryIO, file_size: int) -> XisfHeader:
    """Read and parse the header; raise :class:`XISFError` on anything malformed or hostile."""
    lead = f.read(16)
    if len(lead) < 16:
        raise XISFError(f"truncated file: {file_size} B, too short for an XISF signature")
    if lead[:8] != SIGNATURE:
        raise XISFError(f"not an XISF 1.0 file: signature {lead[:8]!r} at offset 0")
    (length,) = struct.unpack("<I", lead[8:12])
    if length > MAX_HEADER_BYTES:
        raise XISFError(f"XML header length {length} B at offset 8 exceeds {MAX_HEADER_BYTES} B")
    if 16 + length > file_size:
        raise XISFError(f"truncated file: header claims {length} B, file holds {file_size - 16} B")
    raw = f.read(length)
    if _DTD.search(raw):
        raise XISFError("XML header contains a DOCTYPE/ENTITY declaration (refused)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise XISFError(f"XML header is not UTF-8 (byte {exc.start + 16})") from None
    try:
        root = ET.fromstring(text.rstrip("\0 \t\r\n"))
    except ET.ParseError as exc:
        line, col = exc.position
        raise XISFError(f"broken XML header at line {line}, column {col}: {exc}") from None
    for el in root.iter():
        el.tag = el.tag.rpartition("}")[2]
    if root.tag != "xisf":
        raise XISFError(f"XML root element is <{root.tag}>, expected <xisf>")
    if root.get("version") != "1.0":
        raise XISFError(f"unsupported XISF version {root.get('version')!r}")
    images = [el for el in root if el.tag == "Image"]
    if not images:
        raise XISFError("the file holds no Image element")
    return XisfHeader(root, images, 16 + length, file_size)


def _int(text: str | None, what: str, where: str) -> int:
    try:
        value = int(text or "")
    except ValueError:
        raise XISFError(f"{where}: {what} {text!r} is not an integer") from None
    if value < 0:
        raise XISFError(f"{where}: {what} {value} is negative")
    return value


def block_ref(el: ET.Element, where: str, header: XisfHeader) -> BlockRef | None:
    """The data block of an element, or None if it has no ``location`` attribute."""
    location = el.get("location")
    if location is None:
        return None
    attrs, text, encoding = el, (el.text or ""), ""
    parts = location.split(":")
    kind = parts[0]
    position = size = 0
    if kind == "attachment":
        if len(parts) != 3:
            raise XISFError(f"{where}: bad location {location!r}")
        position = _int(parts[1], "attachment position", where)
        size = _int(parts[2], "attachment size", where)
        if position < header.header_end or position + size > header.file_size:
            raise XISFError(
                f"{where}: attachment {position}+{size} B lies outside the file's data area "
                f"({header.header_end}..{header.file_size})"
            )
    elif kind == "inline":
        encoding = parts[1] if len(parts) == 2 else ""
    elif kind == "embedded":
        data = el.find("Data")
        if data is None:
            raise XISFError(f"{where}: embedded location without a <Data> child")
        attrs, text, encoding = data, (data.text or ""), data.get("encoding", "")
    else:
        raise XISFError(f"{where}: unsupported data block location {location!r}")
    if kind != "attachment" and encoding not in ("base64", "hex"):
        raise XISFError(f"{where}: unknown block encoding {encoding!r}")
    return BlockRef(
        where=where,
        kind=kind,
        position=position,
        size=size,
        encoding=encoding,
        text=text,
        compression=_compression(attrs, where),
        subblocks=_subblocks(attrs.get("subblocks"), where),
        checksum=_checksum(attrs.get("checksum"), where),
        byte_order=el.get("byteOrder", "little"),
    )


def _compression(el: ET.Element, where: str) -> Compression | None:
    text = el.get("compression")
    return None if not text else Compression.parse(text, where)


def _subblocks(text: str | None, where: str) -> tuple[tuple[int, int], ...]:
    if not text:
        return ()
    pairs = []
    for item in text.split(":"):
        sizes = item.split(",")
        if len(sizes) != 2:
            raise XISFError(f"{where}: bad subblocks attribute {text!r}")
        pairs.append(
            (_int(sizes[0], "subblock size", where), _int(sizes[1], "subblock size", where))
        )
    return tuple(pairs)


def _checksum(text: str | None, where: str) -> tuple[str, str] | None:
    if not text:
        return None
    algo, _, digest = text.partition(":")
    name = CHECKSUMS.get(algo.strip().lower())
    if name is None:
        raise XISFError(f"{where}: unsupported checksum algorithm {algo!r}")
    return name, digest.strip().lower()


def parse_image(header: XisfHeader, index: int, max_pixels: int) -> ImageHeader:
    """Validate image ``index``: geometry, formats, pixel budget, and size of its block."""
    if not 0 <= index < len(header.images):
        raise XISFError(f"image index {index} out of range: the file holds {len(header.images)}")
    el = header.images[index]
    where = f"Image {index}"
    dims = (el.get("geometry") or "").split(":")
    if len(dims) != 3:
        raise XISFError(
            f"{where}: geometry {el.get('geometry')!r} is not width:height:channels "
            "(only 2-D images are supported)"
        )
    width, height, channels = (_int(d, "geometry", where) for d in dims)
    if min(width, height, channels) < 1:
        raise XISFError(f"{where}: geometry {el.get('geometry')!r} has a zero dimension")
    fmt = el.get("sampleFormat", "")
    if fmt.startswith("Complex"):
        raise XISFError(f"{where}: complex sample format {fmt} is not supported")
    if fmt not in SAMPLE_FORMATS:
        raise XISFError(f"{where}: unknown sample format {fmt!r}")
    storage = el.get("pixelStorage", "Planar")
    if storage not in ("Planar", "Normal"):
        raise XISFError(f"{where}: unknown pixel storage {storage!r}")
    if el.get("byteOrder", "little") not in ("little", "big"):
        raise XISFError(f"{where}: unknown byte order {el.get('byteOrder')!r}")
    color = el.get("colorSpace", "Gray")
    if color not in ("Gray", "RGB", "CIELab"):
        raise XISFError(f"{where}: unknown colour space {color!r}")
    pixels = width * height * channels
    if pixels > max_pixels:
        raise XISFError(
            f"{where}: {width}x{height}x{channels} = {pixels} samples exceeds the pixel budget "
            f"of {max_pixels}"
        )
    block = block_ref(el, f"{where} data block", header)
    if block is None:
        raise XISFError(f"{where}: no location attribute (no pixel data)")
    expected = pixels * int(SAMPLE_FORMATS[fmt][1])
    declared = block.compression.uncompressed_size if block.compression else block.size
    if (block.compression is not None or block.kind == "attachment") and declared != expected:
        raise XISFError(
            f"{where}: geometry {width}x{height}x{channels} {fmt} needs {expected} B, "
            f"the data block holds {declared} B"
        )
    return ImageHeader(index, width, height, channels, fmt, color, storage, block, el)
