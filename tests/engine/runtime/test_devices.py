"""Device choice: names, the CPU fallback, and a clear error for a GPU that is not there."""

from __future__ import annotations

import numpy as np
import pytest

from bgoptimizer.engine.fit.driver import fit_spline
from bgoptimizer.engine.model import model_image, through_samples
from bgoptimizer.engine.runtime.devices import describe_devices, gpu_names, resolve_device
from bgoptimizer.exceptions import ParameterError
from bgoptimizer.params import FitParams

no_gpu = pytest.mark.skipif(bool(gpu_names()), reason="this machine has a GPU")


def test_cpu_is_always_available() -> None:
    assert resolve_device("cpu") == "/CPU:0"
    assert describe_devices("cpu") == "CPU"


@no_gpu
def test_auto_falls_back_to_the_cpu() -> None:
    assert resolve_device("auto") == "/CPU:0"
    assert describe_devices() == "CPU"


@no_gpu
def test_gpu_without_a_gpu_is_a_parameter_error() -> None:
    with pytest.raises(ParameterError, match="no GPU"):
        resolve_device("gpu")
    flat = through_samples([[0, 0], [0, 1], [1, 0]], [[0.1], [0.1], [0.1]])
    with pytest.raises(ParameterError, match="no GPU"):
        model_image(flat, 4, 4, device="gpu")
    image = np.full((4, 4, 1), 0.1, np.float32)
    coords = np.zeros((4, 4, 2), np.float32)
    with pytest.raises(ParameterError, match="no GPU"):
        fit_spline(image, image, coords, FitParams(), device="gpu")


def test_unknown_device_name() -> None:
    with pytest.raises(ParameterError, match="device must be one of auto, cpu, gpu"):
        resolve_device("tpu")


def test_the_reported_versions_are_those_running() -> None:
    import tensorflow as tf

    from bgoptimizer.versions import versions

    assert versions()["tensorflow"] == tf.__version__
    assert versions()["numpy"] == np.__version__


def test_tensorflow_is_frozen_out_of_the_collector() -> None:
    """Its objects (this module imported it through ``devices``) skip every later
    collection, the interpreter's exit one included."""
    import gc

    assert gc.get_freeze_count() > 100_000
