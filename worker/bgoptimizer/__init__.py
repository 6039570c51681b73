"""bgoptimizer: sky-background removal by a gradient-descent-fitted polyharmonic spline."""

__all__ = ["__version__"]

__version__ = "0.1.0"
