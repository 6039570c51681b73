"""Raw-body XISF uploads: streamed to a temporary file, size-limited, probed, then renamed in.

The body is never held in memory whole; a file that is too large, empty or not a readable
image is removed before the answer leaves, so the job only ever sees a validated file.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from ..exceptions import DiskFullError, JobError, MaskError
from .errors import BadRequestError, TooLargeError
from .layout import IMAGE_FILE, MASK_FILE
from .store import JobRecord, JobState, JobStore

__all__ = ["UPLOAD_KINDS", "receive_upload"]

UPLOAD_KINDS = {"image": IMAGE_FILE, "mask": MASK_FILE}
"""Upload slot -> file name in the job folder."""


async def _spool(chunks: AsyncIterator[bytes], part: Path, limit: int, declared: int | None) -> int:
    """Write the body to ``part``; stop with :class:`TooLargeError` past ``limit`` bytes,
    and with :class:`DiskFullError` (the declared size, or what came so far) on a full disk.
    """
    size = 0
    try:
        with open(part, "wb", buffering=1 << 20) as fh:
            async for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise TooLargeError(f"upload is over the limit of {limit} bytes")
                fh.write(chunk)
    except OSError as exc:
        if exc.errno not in DiskFullError.CODES:
            raise
        raise DiskFullError(part.parent, max(size, declared or 0)) from exc
    return size


def _describe(path: Path, size: int) -> dict[str, Any]:
    """``{bytes, width, height, channels, sample_format}`` of the file's first image.

    The header is checked for every upload; a compressed image is also decoded once (bounded
    by its declared size), since only that shows a block that inflates past what it claims.
    Uncompressed blocks need no decoding: their size is checked against the geometry.
    """
    from ..io import probe, read_image

    info = probe(path)[0]
    if info.compression is not None:
        read_image(path)  # bounded decode; verifies the checksum too
    elif info.checksum is not None:
        probe(path, verify=True)
    return {
        "bytes": size,
        "width": int(info.width),
        "height": int(info.height),
        "channels": int(info.channels),
        "sample_format": str(info.sample_format),
    }


def _check_mask_fits(image: dict[str, Any] | None, mask: dict[str, Any] | None) -> None:
    if image is None or mask is None:
        return
    same_size = (image["width"], image["height"]) == (mask["width"], mask["height"])
    if not same_size or mask["channels"] not in (1, image["channels"]):
        raise MaskError(
            f"the mask ({mask['width']}x{mask['height']}, {mask['channels']} channel(s)) does "
            f"not fit the image ({image['width']}x{image['height']}, {image['channels']} "
            "channel(s)): same size, and 1 channel or as many as the image"
        )


def _require_created(record: JobRecord) -> None:
    if record.state != JobState.CREATED:
        raise JobError(f"job {record.id} is {record.state}; uploads are only taken before start")


async def receive_upload(
    store: JobStore,
    job_id: str,
    kind: str,
    chunks: AsyncIterator[bytes],
    *,
    content_length: int | None,
    limit: int,
) -> JobRecord:
    """Store an uploaded image or mask of job ``job_id``; answers the updated record.

    Raises
    ------
    NotFoundError, JobError, TooLargeError, BadRequestError, XISFError, MaskError,
    DiskFullError
    """
    _require_created(store.get(job_id))
    if content_length is not None and content_length > limit:
        raise TooLargeError(f"upload of {content_length} bytes is over the limit of {limit}")
    paths = store.paths(job_id)
    part = paths.part(UPLOAD_KINDS[kind], secrets.token_hex(4))
    try:
        size = await _spool(chunks, part, limit, content_length)
        if size == 0:
            raise BadRequestError(f"the {kind} upload is empty: send the XISF file as the body")
        info = await asyncio.to_thread(_describe, part, size)
        with store.lock:
            record = store.get(job_id)
            _require_created(record)
            image = info if kind == "image" else record.image
            _check_mask_fits(image, info if kind == "mask" else record.mask)
            os.replace(part, paths.root / UPLOAD_KINDS[kind])
            message = "ready to start" if image is not None else record.message
            return store.update(job_id, message=message, **{kind: info})
    except BaseException:
        part.unlink(missing_ok=True)  # refused, client gone mid-body, or the server stops
        raise
