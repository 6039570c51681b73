"""End-to-end cost of ``bgoptimizer fit`` on a large synthetic sky: read → fit → model → write.

Renders a sky (default 6000x4000 RGB) with :mod:`bgoptimizer.engine.synthetic`, writes it as XISF,
then runs the real CLI in a child process and reports its wall time, its own peak resident
memory (``VmHWM`` read by the child at exit, see ``peak_memory.py``), the per-stage timings
from its report, its CPU time, the load average and the residual against the known truth.
Prints JSON. Example::

    .venv/bin/python bench/end_to_end.py --size 6000x4000 --channels 3
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bgoptimizer.engine.synthetic import make_sky, score_model
from bgoptimizer.io import read_image, write_image
from bgoptimizer.io.image import ImageData

CHILD = """
import atexit, sys
sys.path.insert(0, sys.argv.pop(1))
from peak_memory import peak_rss_mib
from bgoptimizer.cli.main import main
out = sys.argv.pop(1)
atexit.register(lambda: open(out, "w").write(str(peak_rss_mib())))
sys.exit(main(sys.argv[1:]))
"""
"""Runs ``bgoptimizer`` and writes its peak memory to a file when it exits."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="6000x4000", help="WIDTHxHEIGHT")
    parser.add_argument("--channels", type=int, default=3, choices=(1, 3))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("fit_args", nargs="*", help="extra `bgoptimizer fit` options")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))

    sky = make_sky(height, width, channels=args.channels, seed=args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "sky.xisf"
        write_image(src, ImageData(sky.image, color_space="RGB" if args.channels == 3 else "Gray"))
        peak_file = Path(tmp) / "peak_mib"
        here = str(Path(__file__).parent)
        fit = ["fit", str(src), "-o", tmp, "--quiet", *args.fit_args]
        command = [sys.executable, "-c", CHILD, here, str(peak_file), *fit]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, check=True)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak_mib = float(peak_file.read_text())
        report = json.loads((Path(tmp) / "sky_report.json").read_text())
        model = read_image(Path(tmp) / "sky_background.xisf").pixels
        score = score_model(sky, model)
    print(
        json.dumps(
            {
                "size": f"{width}x{height}",
                "channels": args.channels,
                "cpus": os.cpu_count(),
                "wall_s": round(wall, 2),
                "cpu_s": {  # the child's: the 2 cores are shared, so wall times are noisy
                    "user": round(after.ru_utime - before.ru_utime, 2),
                    "system": round(after.ru_stime - before.ru_stime, 2),
                },
                "load_average": [round(v, 2) for v in os.getloadavg()],
                "peak_rss_mib": round(peak_mib, 1),
                "stage_timings_s": report.get("timings"),
                "fit": {k: report["fit"][k] for k in ("epochs_run", "timings", "rejections")},
                "device": report.get("device"),
                "score": {k: round(v, 3) for k, v in score.items()},
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
