"""Command-line front end: ``bgoptimizer fit|preview|demo|info|serve``."""
