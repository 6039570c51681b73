"""XISF properties and FITS keywords: XML element <-> :class:`Property` / :class:`FitsKeyword`.

Scalars live in the ``value`` attribute, strings in the element text (or a data block when the
text could not be XML), vectors and matrices in data blocks. Booleans are ``true``/``false``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import numpy as np

from ...exceptions import XISFError
from ..image import FitsKeyword, Property
from .header import BlockRef

__all__ = ["keyword_element", "parse_keyword", "parse_property", "property_element"]

BlockReader = Callable[[BlockRef], bytes]
BlockWriter = Callable[[ET.Element, bytes], None]

_INTS = {"Int8", "UInt8", "Int16", "UInt16", "Int32", "UInt32", "Int64", "UInt64"}
_ELEMENTS = {
    "I8": "i1", "UI8": "u1", "I16": "i2", "UI16": "u2", "I32": "i4", "UI32": "u4",
    "I64": "i8", "UI64": "u8", "F32": "f4", "F64": "f8", "C32": "c8", "C64": "c16",
}  # fmt: skip
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def parse_keyword(el: ET.Element) -> FitsKeyword:
    """A ``FITSKeyword`` element (a missing attribute reads as empty)."""
    return FitsKeyword(el.get("name", ""), el.get("value", ""), el.get("comment", ""))


def keyword_element(kw: FitsKeyword) -> ET.Element:
    """The ``FITSKeyword`` element of a keyword (control characters cannot be stored)."""
    if any(_XML_BAD.search(text) for text in (kw.name, kw.value, kw.comment)):
        raise XISFError(f"FITS keyword {kw.name!r} holds a control character XML cannot store")
    return ET.Element("FITSKeyword", {"name": kw.name, "value": kw.value, "comment": kw.comment})


def _array_dtype(ptype: str, byte_order: str) -> tuple[np.dtype, str] | None:
    for suffix in ("Vector", "Matrix"):
        code = _ELEMENTS.get(ptype.removesuffix(suffix)) if ptype.endswith(suffix) else None
        if code:
            return np.dtype((">" if byte_order == "big" else "<") + code), suffix
    return None


def _scalar(ptype: str, text: str, where: str) -> Any:
    try:
        if ptype == "Boolean":
            low = text.strip().lower()
            if low not in ("true", "false", "1", "0"):
                raise ValueError(text)
            return low in ("true", "1")
        if ptype in _INTS:
            return int(text)
        if ptype in ("Float32", "Float64"):
            return float(text)
        if ptype in ("Complex32", "Complex64"):
            re_, im = text.strip().strip("()").split(",")
            return complex(float(re_), float(im))
    except ValueError:
        raise XISFError(f"{where}: value {text!r} is not a valid {ptype}") from None
    if ptype == "TimePoint":
        return text
    raise XISFError(f"{where}: unknown property type {ptype!r}")


def parse_property(el: ET.Element, ref: BlockRef | None, read: BlockReader) -> Property:
    """A ``Property`` element; ``ref`` is its data block (if any), ``read`` decodes blocks."""
    pid, ptype = el.get("id", ""), el.get("type", "")
    where = f"property {pid!r}"
    extra = {"comment": el.get("comment", ""), "format": el.get("format", "")}
    if ptype == "String":
        if ref is not None:
            try:
                return Property(pid, ptype, read(ref).decode("utf-8"), **extra)
            except UnicodeDecodeError:
                raise XISFError(f"{where}: string data block is not UTF-8") from None
        return Property(pid, ptype, el.get("value", el.text or ""), **extra)
    array = _array_dtype(ptype, el.get("byteOrder", "little"))
    if array is None:
        if el.get("value") is None:
            raise XISFError(f"{where}: {ptype} property without a value")
        return Property(pid, ptype, _scalar(ptype, el.get("value", ""), where), **extra)
    dtype, kind = array
    if ref is None:
        raise XISFError(f"{where}: {ptype} property without a data block")
    data = read(ref)
    names = ("length",) if kind == "Vector" else ("rows", "columns")
    try:
        shape = tuple(int(el.get(name, "")) for name in names)
    except ValueError:
        raise XISFError(f"{where}: {ptype} needs integer {'/'.join(names)}") from None
    if min(shape) < 0 or int(np.prod(shape)) * dtype.itemsize != len(data):
        raise XISFError(f"{where}: {ptype} of shape {shape} does not match {len(data)} B of data")
    return Property(
        pid,
        ptype,
        np.frombuffer(data, dtype).reshape(shape).astype(dtype.newbyteorder("=")),
        **extra,
    )


def _format_scalar(ptype: str, value: Any) -> str:
    if ptype == "Boolean":
        return "true" if value else "false"
    if ptype in ("Complex32", "Complex64"):
        c = complex(value)
        return f"({c.real!r},{c.imag!r})"
    if ptype in ("Float32", "Float64"):
        return repr(float(value))
    if ptype in _INTS:
        return str(int(value))
    if ptype == "TimePoint":
        return str(value)
    raise XISFError(f"cannot write property of unknown type {ptype!r}")


def property_element(prop: Property, add_block: BlockWriter) -> ET.Element:
    """The ``Property`` element; ``add_block`` attaches a data block to an element."""
    el = ET.Element("Property", {"id": prop.id, "type": prop.type})
    for name in ("comment", "format"):
        if getattr(prop, name):
            el.set(name, getattr(prop, name))
    array = _array_dtype(prop.type, "little")
    if prop.type == "String":
        text = str(prop.value)
        if _XML_BAD.search(text):
            add_block(el, text.encode("utf-8"))
        else:
            el.text = text
    elif array is not None:
        dtype, kind = array
        value = np.asarray(prop.value, dtype=dtype)
        if kind == "Vector":
            el.set("length", str(value.size))
        else:
            el.set("rows", str(value.shape[0]))
            el.set("columns", str(value.shape[1]))
        add_block(el, value.tobytes())
    else:
        el.set("value", _format_scalar(prop.type, prop.value))
    return el
