"""Compiled once per shape: repeated fits of one working size must not retrace (STYLE 9).

The worker fits image after image of the same size; a retrace costs seconds of XLA
compilation each time. The epochs functions the fit asks for are recorded (the real ones are
called) and their trace counts read back.
"""

from __future__ import annotations

import numpy as np
import pytest

from bgoptimizer.engine.fit import driver as fit_module
from bgoptimizer.engine.fit.driver import fit_spline
from bgoptimizer.params import FitParams


def _problem(h: int = 30, w: int = 45) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    scale = max(h, w)
    yy, xx = np.meshgrid((np.arange(h) + 0.5) / scale, (np.arange(w) + 0.5) / scale, indexing="ij")
    coords = np.stack([yy, xx], -1).astype(np.float32)
    image = (0.2 + 0.1 * xx - 0.05 * yy)[..., None].astype(np.float32)
    return image, np.ones_like(image), coords


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list:
    functions: list = []
    real = fit_module.epochs_function
    real.cache_clear()

    def recording(*args, **kwargs):
        fn = real(*args, **kwargs)
        functions.append(fn)
        return fn

    monkeypatch.setattr(fit_module, "epochs_function", recording)
    return functions


def test_fits_of_one_shape_trace_once(recorded: list) -> None:
    image, weight, coords = _problem()
    settings = [
        {"seed": 1, "alpha": 5.0, "learning_rate": 0.01, "regularisation": 0.1},
        {"seed": 2, "alpha": 1.0, "learning_rate": 0.002, "regularisation": 0.5},
    ]
    for extra in settings:  # refits included: every pass has the same working shape
        params = FitParams.from_mapping({"samples": 9, "epochs": 6, "rejection_passes": 1, **extra})
        fit_spline(image, weight, coords, params, execution="graph")
    assert len(recorded) >= 4
    assert all(fn is recorded[0] for fn in recorded)
    assert recorded[0].experimental_get_tracing_count() == 1


@pytest.mark.parametrize("channels", [1, 3])
def test_compiling_ahead_is_the_trace_the_fit_uses(recorded: list, channels: int) -> None:
    """compile_ahead's dummy call must have the fit's exact signature: one trace for both."""
    from bgoptimizer.engine.fit.driver import compile_ahead

    image, _, coords = _problem()
    image = np.repeat(image, channels, axis=2)
    params = FitParams.from_mapping({"samples": 9, "epochs": 4, "rejection_passes": 1})
    compile_ahead(image.shape, params, execution="graph")
    fit_spline(image, np.ones_like(image), coords, params, execution="graph")
    assert len(recorded) >= 2 and all(fn is recorded[0] for fn in recorded)
    assert recorded[0].experimental_get_tracing_count() == 1
