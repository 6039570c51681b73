"""``bgoptimizer info``: what a file holds, read from its header (no pixel decoding).

For each image: geometry, sample format, colour space, pixel storage, compression, checksum,
FITS keywords and properties; ``--verify`` also checks XISF checksums. A bad file gives one
line on stderr and exit code 2 (through ``cli.main``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

__all__ = ["add_parser", "run"]

MAX_VALUE_CHARS = 70


def add_parser(subparsers: Any) -> None:
    """Register the sub-command."""
    p = subparsers.add_parser(
        "info",
        help="describe the images in an XISF or FITS file",
        description="Geometry, formats, compression, checksum, keywords and properties of "
        "every image in the file, from its header.",
    )
    p.add_argument("file", type=Path, help="XISF or FITS file")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.add_argument("--verify", action="store_true", help="also verify XISF block checksums")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the description; errors propagate to ``cli.main`` (exit code 2)."""
    from ..io import probe

    infos = probe(args.file, verify=args.verify)
    if args.json:
        doc = {"file": str(args.file), "images": [i.to_dict() for i in infos]}
        print(json.dumps(doc, indent=2, ensure_ascii=False, default=str))
        return 0
    for index, info in enumerate(infos):
        print("\n".join(_describe(index, info.to_dict())))
    return 0


def _describe(index: int, d: dict[str, Any]) -> list[str]:
    checksum = "none"
    if d["checksum"]:
        state = {True: "verified", None: "not verified"}[d["checksum_verified"]]
        checksum = f"{d['checksum']} ({state})"
    lines = [
        f"image {index}: {d['width']}x{d['height']}x{d['channels']} {d['sample_format']} "
        f"{d['color_space']}",
        f"  pixel storage: {d['pixel_storage']}",
        f"  location:      {d['location']}",
        f"  compression:   {d['compression'] or 'none'}",
        f"  checksum:      {checksum}",
        f"  FITS keywords: {len(d['keywords'])}",
    ]
    lines += [
        f"    {k['name']:<8} {k['comment']}"
        if k["name"] in ("COMMENT", "HISTORY")
        else f"    {k['name']:<8} = {k['value']} / {k['comment']}"
        for k in d["keywords"]
    ]
    lines.append(f"  properties:    {len(d['properties'])}")
    for p in d["properties"]:
        value = str(p["value"])
        if len(value) > MAX_VALUE_CHARS:
            value = value[: MAX_VALUE_CHARS - 3] + "..."
        lines.append(f"    {p['id']} ({p['type']}) = {value}")
    return lines
