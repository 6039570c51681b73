"""XISF elements the module does not interpret (ICC profile, thumbnail, display function...).

They are captured with their data blocks decoded, so a rewrite can put them back unchanged
whatever location or codec the source used.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["BLOCK_ATTRIBUTES", "XisfElement", "capture", "emit"]

BLOCK_ATTRIBUTES = ("location", "compression", "checksum", "subblocks")


@dataclass
class XisfElement:
    """An XML element kept verbatim, with its data block (if any) decoded and uncompressed."""

    tag: str
    attrib: dict[str, str]
    text: str | None = None
    children: list[XisfElement] = field(default_factory=list)
    block: bytes | None = None


def capture(el: ET.Element, read: Callable[[ET.Element], bytes | None]) -> XisfElement:
    """Copy ``el`` and its children; ``read`` returns an element's decoded block or None."""
    block = read(el)
    attrib = {k: v for k, v in el.attrib.items() if block is None or k not in BLOCK_ATTRIBUTES}
    children = [
        capture(child, read) for child in el if not (block is not None and child.tag == "Data")
    ]
    text = None if block is not None else el.text
    return XisfElement(el.tag, attrib, text, children, block)


def emit(item: XisfElement, add_block: Callable[[ET.Element, bytes], None]) -> ET.Element:
    """Rebuild the element; ``add_block`` stores a block and sets its location attribute."""
    el = ET.Element(item.tag, dict(item.attrib))
    el.text = item.text
    if item.block is not None:
        add_block(el, item.block)
    el.extend([emit(child, add_block) for child in item.children])
    return el
