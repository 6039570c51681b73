"""bgoptimizer: sky-background removal by a gradient-descent-fitted polyharmonic spline."""

import os

__all__ = ["__version__"]

__version__ = "0.1.0"

# TensorFlow reads this once, at its own import: set it before any entry point imports TF so
# that users see our progress, not pages of C++ logging. 3 also hides C++ "errors" that are
# not: "failed call to cuInit" on every machine without a GPU, and a text-format parse error
# each time the XLA cache loads an entry (TensorFlow tries text before binary). Real failures
# still reach us as Python exceptions. The package is imported before any of its modules (the
# engine process too), so this one line covers them all; an explicit setting wins.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
