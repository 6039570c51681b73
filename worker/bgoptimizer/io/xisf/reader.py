"""Read monolithic XISF files: pixels as float32 (H, W, C) plus every piece of metadata."""

from __future__ import annotations

import os
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from typing import Any, BinaryIO

import numpy as np

from ...exceptions import XISFError
from ..image import FitsKeyword, ImageData, Property
from ..info import ImageInfo
from .blocks import read_attached, read_block, read_block_bytes, stream_block
from .codecs import unshuffle
from .elements import XisfElement, capture
from .header import ImageHeader, XisfHeader, block_ref, parse_image, read_header
from .pixels import decode_file, decode_pixels, decode_stream
from .properties import parse_keyword, parse_property

__all__ = ["probe_xisf", "read_xisf"]

# Image attributes the writer sets itself; every other one is kept in extras.
OWN_IMAGE_ATTRIBUTES = {
    "geometry", "sampleFormat", "colorSpace", "pixelStorage", "byteOrder", "location",
    "compression", "checksum", "subblocks", "bounds", "offset",
}  # fmt: skip


def read_xisf(path: str | os.PathLike[str], *, index: int, max_pixels: int) -> ImageData:
    """Read image ``index`` of an XISF file (see :func:`bgoptimizer.io.read_image`)."""
    with open(path, "rb") as f:
        header = read_header(f, os.fstat(f.fileno()).st_size)
        img = parse_image(header, index, max_pixels)
        pixels = _pixels(f, img)
        keywords, properties, extras = _metadata(f, header, img)
    return ImageData(pixels, img.sample_format, img.color_space, keywords, properties, extras)


def probe_xisf(
    path: str | os.PathLike[str], *, max_pixels: int, verify: bool = False
) -> list[ImageInfo]:
    """Describe every image from the header; ``verify`` also checks the pixel checksums."""
    infos = []
    with open(path, "rb") as f:
        header = read_header(f, os.fstat(f.fileno()).st_size)
        for index in range(len(header.images)):
            img = parse_image(header, index, max_pixels)
            ref = img.block
            verified = None
            if verify and ref.checksum is not None:
                read_block(f, ref)
                verified = True
            keywords, properties, _ = _metadata(f, header, img, elements=False)
            comp = ref.compression
            infos.append(
                ImageInfo(
                    width=img.width,
                    height=img.height,
                    channels=img.channels,
                    sample_format=img.sample_format,
                    color_space=img.color_space,
                    pixel_storage=img.pixel_storage,
                    compression=None if comp is None else str(comp),
                    checksum=None if ref.checksum is None else ref.checksum[0],
                    location=ref.location,
                    keywords=keywords,
                    properties=properties,
                    checksum_verified=verified,
                )
            )
    return infos


def _pixels(f: BinaryIO, img: ImageHeader) -> np.ndarray:
    out = np.empty((img.height, img.width, img.channels), np.float32)
    ref, comp = img.block, img.block.compression
    itemsize = int(img.dtype[-1])
    planar = img.pixel_storage == "Planar"
    if comp is None:
        kind = {"dtype": img.dtype, "sample_format": img.sample_format, "planar": planar}
        size = out.size * itemsize
        decode = lambda fd, at, hashing: decode_file(fd, at, out, hashing=hashing, **kind)  # noqa: E731
        if not read_attached(f, ref, size, decode):
            stream_block(f, ref, size, lambda src: decode_stream(src, out, **kind))
        return out
    raw = read_block(f, ref)  # header checks made its size out.size * itemsize
    shuffled = comp is not None and comp.shuffle
    if shuffled and comp.item_size != itemsize:
        raw, shuffled = unshuffle(raw, comp.item_size), False
    decode_pixels(
        raw,
        out,
        dtype=img.dtype,
        sample_format=img.sample_format,
        planar=planar,
        shuffled=shuffled,
    )
    return out


def _metadata(
    f: BinaryIO, header: XisfHeader, img: ImageHeader, *, elements: bool = True
) -> tuple[list[FitsKeyword], list[Property], dict[str, Any]]:
    def block_of(el: ET.Element, where: str) -> bytes | None:
        ref = block_ref(el, where, header)
        return None if ref is None else read_block_bytes(f, ref)

    def prop(el: ET.Element) -> Property:
        ref = block_ref(el, f"property {el.get('id')!r}", header)
        return parse_property(el, ref, lambda r: read_block_bytes(f, r))

    def keep(el: ET.Element) -> XisfElement | None:
        # An auxiliary element (thumbnail, ICC profile...) with a broken block must not make
        # the image unreadable: it is dropped with a warning, the pixels are still checked.
        try:
            return capture(el, lambda e: block_of(e, f"Image {img.index} <{e.tag}>"))
        except XISFError as exc:
            warnings.warn(f"{exc}; element dropped", stacklevel=4)
            return None

    keywords = [parse_keyword(el) for el in img.element if el.tag == "FITSKeyword"]
    properties = [prop(el) for el in img.element if el.tag == "Property"]
    extras: dict[str, Any] = {}
    if elements:
        meta = [el for m in header.root if m.tag == "Metadata" for el in m if el.tag == "Property"]
        extras = {
            "xisf_image_attributes": {
                k: v for k, v in img.element.attrib.items() if k not in OWN_IMAGE_ATTRIBUTES
            },
            "xisf_elements": _kept(
                keep(el) for el in img.element if el.tag not in ("FITSKeyword", "Property", "Data")
            ),
            "xisf_metadata": [prop(el) for el in meta if not el.get("id", "").startswith("XISF:")],
            "xisf_root_elements": _kept(
                keep(el) for el in header.root if el.tag not in ("Image", "Metadata")
            ),
        }
    return keywords, properties, extras


def _kept(items: Iterable[XisfElement | None]) -> list[XisfElement]:
    return [item for item in items if item is not None]
