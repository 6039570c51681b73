"""Batch throughput: N synthetic subs through ``bgoptimizer batch`` in one process, with
``--jobs 2``, and on a local Dask cluster of 1 and 2 workers.

Each sub is a noisy synthetic sky (``--noise``: 1 is an integrated master, a single sub is
several times noisier) whose gradients change from sub to sub (the gradient set cycles
through :data:`NIGHT`, and each seed draws new positions and strengths). Each mode runs the
real CLI in a fresh process into an empty folder (TensorFlow's start-up and the first
compilation are part of the time, the XLA cache is a fresh one per mode) and reports the
wall time, files per hour, the median seconds per file from ``batch.json``, and the peak
resident memory of every process that fitted (``VmHWM``, polled while it runs). Accuracy is
scored once against the known backgrounds (the engine is deterministic, so every mode
writes the same models). JSON on stdout.

    .venv/bin/python bench/batch.py                                   # 100 subs of 24 MP
    .venv/bin/python bench/batch.py --count 8 --width 1500 --height 1000 --modes one,jobs2
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from bgoptimizer.engine.synthetic import make_sky, score_model
from bgoptimizer.io import read_image, write_image
from bgoptimizer.io.image import ImageData

NIGHT = (("dome", "airglow"), ("dome", "moon"), ("moon", "vignette"), ("dome", "horizon"))
"""Gradient sets the subs cycle through: the target moving through the light dome, the Moon."""

MODES = ("one", "jobs2", "cluster1", "cluster2")


def sky(index: int, args: argparse.Namespace):
    return make_sky(
        args.height,
        args.width,
        gradients=NIGHT[index % len(NIGHT)],
        seed=index + 1,
        noise=args.noise,
    )


def make_subs(folder: Path, args: argparse.Namespace) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(args.count):
        path = folder / f"sub_{i:04d}.xisf"
        write_image(path, ImageData(sky(i, args).image, "Float32", "RGB"))
        paths.append(path)
    return paths


class PeakPoller:
    """Peak resident memory (MiB) of a process tree and of extra processes, polled."""

    def __init__(self, roots: list[int]) -> None:
        self.roots = roots
        self.peaks: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            for pid in self._pids():
                try:
                    with open(f"/proc/{pid}/status") as status:
                        for line in status:
                            if line.startswith("VmHWM:"):
                                self.peaks[pid] = int(line.split()[1]) / 1024
                except OSError:
                    pass
            self._stop.wait(0.25)

    def _pids(self) -> list[int]:
        pids = []
        for root in self.roots:
            try:
                proc = psutil.Process(root)
                children = proc.children(recursive=True)
                pids += [root, *(c.pid for c in children if not _helper(c))]
            except psutil.Error:
                pass
        return pids

    def stop(self) -> dict[int, float]:
        self._stop.set()
        self._thread.join()
        return self.peaks


def _helper(proc: psutil.Process) -> bool:
    """multiprocessing's resource tracker: a spawned pool's helper, not a fitter."""
    try:
        return "resource_tracker" in " ".join(proc.cmdline())
    except psutil.Error:
        return True


def start_cluster(workers: int, folder: Path, env: dict[str, str]):
    dask = Path(sys.executable).with_name("dask")
    info = folder / "scheduler.json"
    info.unlink(missing_ok=True)  # a former cluster's
    common = ["--scheduler-file", str(info), "--no-dashboard"]
    logs = open(folder / "cluster.log", "wb")  # noqa: SIM115 (kept open for the processes)
    run = {"stdout": logs, "stderr": subprocess.STDOUT, "env": env}
    procs = [
        subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0", *common], **run)
    ]
    try:
        while not info.exists():
            time.sleep(0.1)
        for n in range(workers):
            argv = [dask, "worker", *common, "--name", f"w{n}", "--host", "127.0.0.1"]
            argv += ["--nworkers", "1", "--nthreads", "1", "--no-nanny"]
            procs.append(subprocess.Popen(argv, **run))
        from distributed import Client

        address = json.loads(info.read_text())["address"]
        with Client(address, timeout=60) as client:
            client.wait_for_workers(workers, timeout=300)
    except BaseException:
        stop(procs)  # no cluster left behind by a failed start
        raise
    return address, procs


def stop(procs: list[subprocess.Popen]) -> None:
    for proc in reversed(procs):
        proc.kill()
        proc.wait()


def run_mode(mode: str, inputs: list[Path], work: Path, args: argparse.Namespace) -> dict[str, Any]:
    outdir = work / f"out-{mode}"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "BGOPT_XLA_CACHE": str(work / f"xla-{mode}")}
    extra, procs = [], []
    if mode == "jobs2":
        extra = ["--jobs", "2"]
    elif mode.startswith("cluster"):
        address, procs = start_cluster(int(mode[-1]), work, env)
        extra = ["--cluster", address]
    argv = [sys.executable, "-m", "bgoptimizer", "batch", *map(str, inputs), "-o", str(outdir)]
    try:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        child = subprocess.Popen([*argv, "--quiet", *extra, *args.params], env=env)
        poller = PeakPoller([child.pid, *(p.pid for p in procs[1:])])
        code = child.wait()
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        peaks = poller.stop()
    finally:
        stop(procs)
    summary = json.loads((outdir / "batch.json").read_text())
    fitting = [pid for pid in peaks if mode == "one" or pid != child.pid]  # the fitters
    done = [r for r in summary["files"] if r["status"] == "done"]
    seconds = [r["seconds"] for r in done]
    return {
        "exit_code": code,
        "counts": summary["counts"],
        "wall_s": round(wall, 1),
        "files_per_hour": round(len(inputs) / wall * 3600, 1),
        "median_s_per_file": round(statistics.median(seconds), 2) if seconds else None,
        "s_per_file": seconds,  # in the order they finished: the first pays the compilation
        "cpu_s": {  # the batch process and its pool's (a cluster's workers are not counted)
            "user": round(after.ru_utime - before.ru_utime, 1),
            "system": round(after.ru_stime - before.ru_stime, 1),
        },
        "load_average": [round(v, 2) for v in os.getloadavg()],  # the 2 cores are shared
        "median_epochs": statistics.median(r["epochs"] for r in done) if done else None,
        "median_objects_pct": statistics.median(r["objects_pct"] for r in done) if done else None,
        "peak_mib_per_worker": sorted(round(peaks[p]) for p in fitting),
        "client_peak_mib": None if mode == "one" else round(peaks.get(child.pid, 0)),
        "outdir": outdir,
    }


def accuracy(inputs: list[Path], outdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    scores = []
    for i, path in enumerate(inputs):
        model = read_image(outdir / f"{path.stem}_background.xisf").pixels
        scores.append(score_model(sky(i, args), model))
    rms = [s["residual_rms_pct"] for s in scores]
    absorbed = [s["absorbed_pct"] for s in scores]
    return {
        "median_residual_rms_pct": round(float(np.median(rms)), 3),
        "worst_residual_rms_pct": round(float(np.max(rms)), 3),
        "median_absorbed_pct": round(float(np.median(absorbed)), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--width", type=int, default=6000)
    parser.add_argument("--height", type=int, default=4000)
    parser.add_argument("--noise", type=float, default=6.0, help="noise scale (1 = a master)")
    parser.add_argument("--modes", default=",".join(MODES), help=f"any of {', '.join(MODES)}")
    parser.add_argument("--workdir", type=Path, help="where subs and outputs go (default: temp)")
    parser.add_argument("params", nargs="*", help="fit flags after --, e.g. -- -N 16")
    args = parser.parse_args()
    modes = args.modes.split(",")
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bgopt-batch-"))
    t0 = time.perf_counter()
    inputs = make_subs(work / "subs", args)
    result: dict[str, Any] = {
        "count": args.count,
        "size": f"{args.width}x{args.height}",
        "megapixels": round(args.width * args.height / 1e6, 1),
        "noise": args.noise,
        "params": args.params,
        "cpus": os.cpu_count(),
        "make_subs_s": round(time.perf_counter() - t0, 1),
        "modes": {},
    }
    for mode in modes:
        figures = run_mode(mode, inputs, work, args)
        outdir = figures.pop("outdir")
        if "accuracy" not in result:
            result["accuracy"] = accuracy(inputs, outdir, args)
        shutil.rmtree(outdir)  # 670 MB a 24 MP sub
        result["modes"][mode] = figures
    if args.workdir is None:
        shutil.rmtree(work)
    json.dump(result, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
