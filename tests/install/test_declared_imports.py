"""Every third-party module the package imports is a declared runtime dependency.

A quick static companion to test_plain_install.py: it names the missing distribution
directly, where the install test can only show the ImportError of the first one it meets.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from shared_data import ROOT

PACKAGE = ROOT / "worker" / "bgoptimizer"


def imported_top_modules(package: Path, *, optional: bool = False) -> set[str]:
    """Top-level names of every absolute import in the package, in functions too: those a
    ``try: ... except ImportError`` guards (an extra's, ``optional=True``) or all the others."""
    names: set[str] = set()
    for path in package.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        guarded = {id(n) for t in ast.walk(tree) if _guards_import(t) for n in ast.walk(t)}
        for node in ast.walk(tree):
            if (id(node) in guarded) != optional:
                continue
            if isinstance(node, ast.Import):
                names |= {alias.name.partition(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.partition(".")[0])
    return names


def _guards_import(node: ast.AST) -> bool:
    """A ``try`` whose handler catches ImportError: what its body imports is optional."""
    return isinstance(node, ast.Try) and any(
        isinstance(h.type, ast.Name) and h.type.id in ("ImportError", "ModuleNotFoundError")
        for h in node.handlers
    )


def third_party(names: set[str]) -> set[str]:
    return {n for n in names if n not in sys.stdlib_module_names and n != PACKAGE.name}


def declared(pyproject: Path, *, extras: bool = False) -> set[str]:
    """Canonical distribution names in ``project.dependencies`` (or, with ``extras``, in
    the optional ones)."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    found = (
        [d for group in project["optional-dependencies"].values() for d in group]
        if extras
        else project["dependencies"]
    )
    return {canonicalize_name(Requirement(d).name) for d in found}


def undeclared(modules: set[str], dependencies: set[str]) -> dict[str, list[str]]:
    """Each module whose distributions (as installed here) are none of ``dependencies``."""
    owners = packages_distributions()
    missing = {}
    for module in sorted(modules):
        distributions = [canonicalize_name(d) for d in owners.get(module, [module])]
        if not set(distributions) & dependencies:
            missing[module] = distributions
    return missing


def test_package_imports_only_declared_distributions() -> None:
    modules = third_party(imported_top_modules(PACKAGE))
    assert {"numpy", "tensorflow", "scipy"} <= modules  # the walk does see the imports
    assert undeclared(modules, declared(ROOT / "pyproject.toml")) == {}


def test_optional_imports_are_guarded_and_declared_in_an_extra() -> None:
    """``--cluster`` imports Dask inside ``try/except ImportError``: the ``cluster`` extra."""
    optional = third_party(imported_top_modules(PACKAGE, optional=True))
    assert "distributed" in optional
    assert undeclared(optional, declared(ROOT / "pyproject.toml", extras=True)) == {}


def test_a_module_declared_only_in_an_extra_is_caught(tmp_path: Path) -> None:
    """The bug this guards against: scipy listed under the ``test`` extra only."""
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[project]\nname = "x"\ndependencies = ["numpy>=1.26", "Pillow"]\n'
        '[project.optional-dependencies]\ntest = ["scipy"]\n'
    )
    source = tmp_path / "pkg"
    source.mkdir()
    (source / "m.py").write_text(
        "import numpy as np\nfrom PIL import Image\n\ndef f():\n    from scipy import ndimage\n"
    )
    missing = undeclared(third_party(imported_top_modules(source)), declared(pyproject))
    assert missing == {"scipy": ["scipy"]}
