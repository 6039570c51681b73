"""One router per resource: health, jobs, results."""

from . import health, jobs, results

__all__ = ["health", "jobs", "results"]
