"""The batch's inputs: files, glob patterns and folders of XISF and FITS images."""

from __future__ import annotations

import glob
from collections.abc import Iterable
from pathlib import Path

from ..exceptions import ParameterError
from ..files import OutputPaths
from ..io.dispatch import FITS_SUFFIXES

__all__ = ["IMAGE_SUFFIXES", "find_inputs"]

IMAGE_SUFFIXES = (".xisf", *FITS_SUFFIXES)
"""What a folder or a pattern contributes (case-insensitive)."""


def find_inputs(specs: Iterable[str], outdir: Path) -> list[Path]:
    """Every image named by ``specs``, absolute, sorted, once each.

    A spec is a file (taken whatever its suffix, so a wrong one fails as that file), a glob
    pattern (``**`` recurses) or a folder (searched recursively: WBPP writes its subs in
    folders per filter and exposure). Images under ``outdir`` are left out, so a rerun into
    a folder among the inputs never takes its own results for subs.

    Raises
    ------
    ParameterError
        When a spec matches nothing, or two inputs would write the same outputs (same stem).

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> for name in ("a.xisf", "night/b.FITS", "night/notes.txt"):
    ...     (root / name).parent.mkdir(exist_ok=True)
    ...     (root / name).touch()
    >>> [p.name for p in find_inputs([str(root)], root / "out")]
    ['a.xisf', 'b.FITS']
    """
    outdir = outdir.resolve()
    found: dict[Path, None] = {}
    for spec in specs:
        matches = _expand(spec)
        if not matches:
            raise ParameterError(f"{spec}: no XISF or FITS image found")
        found.update(dict.fromkeys(p.resolve() for p in matches))
    inputs = sorted(p for p in found if not p.is_relative_to(outdir))
    _refuse_collisions(inputs, outdir)
    return inputs


def _expand(spec: str) -> list[Path]:
    path = Path(spec)
    if path.is_file():
        return [path]
    if path.is_dir():
        candidates: Iterable[Path] = path.rglob("*")
    else:
        candidates = (Path(p) for p in glob.glob(spec, recursive=True))
    return [p for p in candidates if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()]


def _refuse_collisions(inputs: list[Path], outdir: Path) -> None:
    """Two inputs with the same outputs (``a/x.xisf``, ``b/x.xisf``) would overwrite each other."""
    owner: dict[Path, Path] = {}
    for path in inputs:
        target = OutputPaths.for_input(path, outdir).report
        if target in owner:
            raise ParameterError(
                f"{owner[target]} and {path} would write the same outputs in {outdir}: "
                "run them into different folders"
            )
        owner[target] = path
