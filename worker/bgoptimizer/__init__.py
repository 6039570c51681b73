"""bgoptimizer: sky-background removal by a gradient-descent-fitted polyharmonic spline."""

import os

__all__ = ["__version__"]

__version__ = "0.1.0"

# TensorFlow reads this once, at its own import: set it before any entry point imports TF so
# that users see our progress, not pages of C++ start-up logging. An explicit setting wins.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
