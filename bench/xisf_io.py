"""XISF I/O benchmark: write + read wall time and peak memory, ours vs the ``xisf`` package.

An RGB float32 image (a smooth sky gradient plus noise, the way linear masters look) is
written and read back uncompressed and with each codec (byte-shuffled). Every measurement
runs in a fresh subprocess; the peak RSS it reports is the high-water mark over that one
operation (reset just before it) minus the RSS before it. Uncompressed data is also
written and read by this package with no checksum in the file: the like-for-like row, as
the ``xisf`` package writes none and verifies none. JSON on stdout.

    .venv/bin/python bench/xisf_io.py                      # 60 MP RGB (about 2.2 GB of RAM)
    .venv/bin/python bench/xisf_io.py --megapixels 10 --codecs none,zstd --no-xisf-package
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from peak_memory import peak_rss_mib, reset_peak

CODECS = ("none", "zlib", "lz4", "lz4hc", "zstd")
NO_CHECKSUM = "bgoptimizer-nochecksum"
"""Ours again for uncompressed data, with no checksum in the file: the ``xisf`` package
writes none and verifies none, so this row is the like-for-like read."""


def make_image(megapixels: float, channels: int) -> np.ndarray:
    """Smooth gradient + Gaussian noise in [0, 1], filled row block by row block."""
    width = round((megapixels * 1e6 * 1.5) ** 0.5)
    height = round(megapixels * 1e6 / width)
    px = np.empty((height, width, channels), np.float32)
    rng = np.random.default_rng(0)
    x = np.linspace(0, 1, width, dtype=np.float32)
    for r0 in range(0, height, 256):
        r1 = min(height, r0 + 256)
        y = np.linspace(r0 / height, r1 / height, r1 - r0, dtype=np.float32)[:, None, None]
        sky = 0.05 + 0.03 * x[None, :, None] + 0.02 * y
        noise = rng.standard_normal((r1 - r0, width, channels), dtype=np.float32)
        px[r0:r1] = sky + 0.004 * noise
    return px


def rss_kib() -> int:
    """Current resident set size in KiB (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def child(args: argparse.Namespace) -> dict[str, Any]:
    """One operation in this (fresh) process; returns seconds and peak RSS delta."""
    codec = None if args.codec == "none" else args.codec
    if args.op == "write":
        px = make_image(args.megapixels, args.channels)
    ours = args.lib.startswith("bgoptimizer")
    if ours:
        from bgoptimizer.io import ImageData, read_image, write_image
    else:
        import xisf
    before = rss_kib()
    reset_peak()
    start = time.perf_counter()
    if ours:
        if args.op == "write":
            checksum = None if args.lib == NO_CHECKSUM else "sha1"
            image = ImageData(px, color_space="RGB")
            write_image(args.path, image, compression=codec, checksum=checksum)
        else:
            read_image(args.path)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if args.op == "write":
                xisf.XISF.write(args.path, px, codec=codec, shuffle=codec is not None)
            else:
                xisf.XISF(args.path).read_image(0)
    seconds = time.perf_counter() - start
    return {
        "seconds": round(seconds, 3),
        "peak_extra_mib": round(peak_rss_mib() - before / 1024, 1),
    }


def run_case(lib: str, op: str, codec: str, path: Path, args: argparse.Namespace) -> dict:
    cmd = [
        sys.executable, __file__, "--child", lib, op, codec, str(path),
        "--megapixels", str(args.megapixels), "--channels", str(args.channels),
    ]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr else "failed"}
    return json.loads(out.stdout)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--megapixels", type=float, default=60.0)
    p.add_argument("--channels", type=int, default=3)
    p.add_argument("--codecs", default=",".join(CODECS))
    p.add_argument("--no-xisf-package", action="store_true")
    p.add_argument("--child", nargs=4, metavar=("LIB", "OP", "CODEC", "PATH"))
    args = p.parse_args()
    if args.child:
        args.lib, args.op, args.codec, args.path = args.child
        print(json.dumps(child(args)))
        return
    libs = ["bgoptimizer"] + ([] if args.no_xisf_package else ["xisf"])
    image_mib = args.megapixels * 1e6 * args.channels * 4 / 2**20
    results = []
    with tempfile.TemporaryDirectory(dir=".") as tmp:
        for codec in args.codecs.split(","):
            for lib in libs + ([NO_CHECKSUM] if codec == "none" else []):
                path = Path(tmp) / f"{lib}-{codec}.xisf"
                row = {"lib": lib, "codec": codec, "shuffle": codec != "none"}
                row["write"] = run_case(lib, "write", codec, path, args)
                row["file_mib"] = round(path.stat().st_size / 2**20, 1) if path.exists() else None
                row["read"] = run_case(lib, "read", codec, path, args)
                path.unlink(missing_ok=True)
                results.append(row)
                print(json.dumps(row), file=sys.stderr)
    doc = {
        "megapixels": args.megapixels,
        "channels": args.channels,
        "image_mib": round(image_mib, 1),
        "cpus": os.cpu_count(),
        "results": results,
    }
    print(json.dumps(doc, indent=2))


if __name__ == "__main__":
    main()
