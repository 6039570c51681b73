"""Speed benchmark of the fit: time per step, steps to convergence, accuracy, peak memory.

Each case builds a synthetic full-resolution sky with a known truth (a smooth gradient, stars
and noise), block-median downscales it as the pipeline does (by the default, automatic
factor: ~128 blocks on the long side; ``--factor`` to choose), fits it twice in a fresh
process, evaluates the model at full resolution, and reports the residual against the truth.
Each case runs twice, in two fresh processes sharing a new XLA cache folder: in the first the
first fit pays tracing and XLA compilation (a working size never seen before), in the second
it loads the compiled code from the cache (a new process, same size: a CLI run after the
first); the second fit of a process reuses everything in memory (a worker's next job). Peak
memory is the process's high-water mark over the fits alone (reset after the synthetic
image is made; TensorFlow's runtime included), with the resident memory after the fits
split into anonymous and file-backed pages. A "reference-like" full-batch XLA step over
all working pixels is timed for comparison. JSON on stdout.

    .venv/bin/python bench/speed.py                          # the whole matrix
    .venv/bin/python bench/speed.py --sizes 3000x2000 --channels 1 --samples 32
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

import numpy as np

from peak_memory import peak_rss_mib, reset_peak, rss_split_mib


def synthetic(height: int, width: int, channels: int, seed: int = 0):
    """Full-res image and its smooth truth: a tilted, curved glow plus stars and noise."""
    rng = np.random.default_rng(seed)
    scale = max(height, width)
    y = (np.arange(height, dtype=np.float32)[:, None] + 0.5) / scale
    x = (np.arange(width, dtype=np.float32)[None, :] + 0.5) / scale
    sky = 0.18 + 0.08 * x - 0.05 * y + 0.06 * np.exp(-((x - 1.1) ** 2 + (y + 0.1) ** 2) / 0.3)
    tint = np.array([1.0, 0.92, 1.08][:channels], np.float32)
    truth = sky[..., None] * tint
    image = truth + rng.normal(0, 0.01, truth.shape).astype(np.float32)
    count = height * width // 2000
    rows, cols = rng.integers(0, height, count), rng.integers(0, width, count)
    image[rows, cols] += rng.exponential(0.3, (count, 1)).astype(np.float32)
    return image, truth


def downscale(a: np.ndarray, factor: int) -> np.ndarray:
    h, w = a.shape[0] // factor, a.shape[1] // factor
    blocks = a[: h * factor, : w * factor].reshape(h, factor, w, factor, -1)
    return np.median(blocks, axis=(1, 3)).astype(np.float32)


def working_coords(h: int, w: int, scale: int, factor: int) -> np.ndarray:
    yy, xx = np.meshgrid(
        (np.arange(h) * factor + factor / 2) / scale,
        (np.arange(w) * factor + factor / 2) / scale,
        indexing="ij",
    )
    return np.stack([yy, xx], -1).astype(np.float32)


def full_batch_step_ms(image, coords, samples: int) -> float:
    """ms per step of one XLA step over all working pixels: the reference's way."""
    import tensorflow as tf

    from bgoptimizer.engine.fit.loss import LossWeights, pixel_loss
    from bgoptimizer.engine.spline import evaluate, solve
    from bgoptimizer.params import FitParams

    weights = LossWeights.from_params(FitParams())
    x = tf.constant(coords.reshape(-1, 2))
    y = tf.constant(image.reshape(len(x), -1))
    centres = tf.constant(np.random.default_rng(0).random((samples, 2)).astype(np.float32) * 0.6)
    values = tf.fill((samples, y.shape[1]), 0.2)

    @tf.function(jit_compile=True)
    def step(c, v):
        with tf.GradientTape() as tape:
            tape.watch([c, v])
            model = evaluate(solve(c, v, 2), x)
            loss = tf.reduce_mean(pixel_loss(model, y, tf.ones_like(y), weights))
        gc, gv = tape.gradient(loss, [c, v])
        return c - 1e-3 * gc, v - 1e-3 * gv

    centres, values = step(centres, values)
    start = time.perf_counter()
    for _ in range(20):
        centres, values = step(centres, values)
    values.numpy()
    return (time.perf_counter() - start) / 20 * 1e3


def _peak_rss_mb() -> float:
    return round(peak_rss_mib(), 1)


def run_case(height: int, width: int, channels: int, samples: int, factor: int) -> dict[str, Any]:
    from bgoptimizer.engine.fit.driver import fit_spline
    from bgoptimizer.engine.model import model_at, model_image
    from bgoptimizer.params import FitParams

    rss_import = _peak_rss_mb()
    image, truth = synthetic(height, width, channels)
    small, small_truth = downscale(image, factor), downscale(truth, factor)
    coords = working_coords(*small.shape[:2], max(height, width), factor)
    del image
    weight = np.ones_like(small)
    params = FitParams(samples=samples)
    runs = []
    reset_peak()
    rss_fit_start = _peak_rss_mb()
    for _ in range(2):
        start = time.perf_counter()
        fit = fit_spline(small, weight, coords, params, device="cpu")
        runs.append(time.perf_counter() - start)
    rss_fit = _peak_rss_mb()
    split = rss_split_mib()  # ~ the fits' anonymous peak: the allocator keeps what they used
    start = time.perf_counter()
    model = model_image(fit, height, width, device="cpu")
    full_eval = time.perf_counter() - start
    residual = model - truth
    residual -= residual.mean(axis=(0, 1))
    span = float(truth.max() - truth.min())
    steps = fit.timings["steps_per_epoch"]
    return {
        "size": f"{width}x{height}",
        "channels": channels,
        "samples": samples,
        "factor": factor,
        "working": f"{small.shape[1]}x{small.shape[0]}",
        "learning_rate": params.learning_rate,
        "regularisation": params.regularisation,
        "fit_s_first": round(runs[0], 3),  # from the cache, when it has this size
        "fit_s_warm": round(runs[1], 3),
        "per_step_ms": round(fit.timings["per_step_ms"], 3),
        "steps_per_epoch": int(steps),
        "epochs_run": fit.epochs_run,
        "steps_run": int(fit.epochs_run * steps),
        "best_epoch": fit.best_epoch,
        "steps_to_best": int(fit.best_epoch * steps),
        "final_loss": round(fit.best_loss, 6),
        "residual_rms_pct": round(100 * float(np.sqrt(np.mean(residual**2))) / span, 3),
        "residual_max_pct": round(100 * float(np.abs(residual).max()) / span, 3),
        "working_rms_pct": round(
            100
            * float(np.std(model_at(fit, coords) - small_truth))
            / float(small_truth.max() - small_truth.min()),
            3,
        ),
        "full_eval_s": round(full_eval, 3),
        "reference_like_full_batch_step_ms": round(full_batch_step_ms(small, coords, samples), 2),
        "peak_rss_mb_after_import": rss_import,
        "rss_mb_before_fits": rss_fit_start,
        "peak_rss_mb_fits": rss_fit,
        "rss_mb_after_fits_anon": round(split["anon"], 1),
        "rss_mb_after_fits_file": round(split["file"], 1),
    }


Case = tuple[int, int, int, int, int]
"""height, width, channels, samples, block size"""


def matrix(args: argparse.Namespace) -> list[Case]:
    from bgoptimizer.engine.downscale import auto_factor

    cases = []
    for size in args.sizes or [f"{w}x{h}" for h, w, _, _ in DEFAULT]:
        width, height = map(int, size.split("x"))
        factor = args.factor or auto_factor(height, width)
        if args.sizes:
            combos = [(c, n) for c in args.channels for n in args.samples]
        else:
            combos = [(c, n) for h, w, c, n in DEFAULT if (h, w) == (height, width)]
        cases += [(height, width, c, n, factor) for c, n in combos]
    return list(dict.fromkeys(cases))


DEFAULT = [
    (2000, 3000, 1, 16),
    (2000, 3000, 1, 32),
    (2000, 3000, 1, 64),
    (2000, 3000, 3, 32),
    (1000, 1500, 1, 32),
    (4000, 6000, 1, 32),
    (4000, 6000, 3, 32),
]


def run_child(case: Case, xla_cache: str) -> dict[str, Any]:
    """One case in a fresh process using ``xla_cache`` as its XLA cache folder."""
    out = subprocess.run(
        [sys.executable, __file__, "--case", *map(str, case)],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ | {"BGOPT_XLA_CACHE": xla_cache},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", help="WxH sizes (default: the standard matrix)")
    parser.add_argument("--channels", nargs="+", type=int, default=[1])
    parser.add_argument("--samples", nargs="+", type=int, default=[32])
    parser.add_argument("--factor", type=int, help="block size (default: the automatic one)")
    parser.add_argument("--case", nargs=5, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:  # one case in this (fresh) process: its peak RSS is the case's own
        print(json.dumps(run_case(*args.case)))
        return 0
    cases = matrix(args)
    results = []
    for case in cases:
        with tempfile.TemporaryDirectory() as cache:
            compiling, cached = (run_child(case, cache) for _ in range(2))
        cached["fit_s_first_compiling"] = compiling["fit_s_first"]
        cached["peak_rss_mb_fits_compiling"] = compiling["peak_rss_mb_fits"]
        cached["rss_mb_after_fits_anon_compiling"] = compiling["rss_mb_after_fits_anon"]
        results.append(cached)
        print(json.dumps(results[-1]), file=sys.stderr)
    print(
        json.dumps({"machine_note": "see docs/notes/engine-speed.md", "cases": results}, indent=1)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
