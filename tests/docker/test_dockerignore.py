""".dockerignore: the build context holds what the Dockerfile copies and nothing else.

Checked with a reader of Docker's ignore rules (tests/docker/dockerspec.py), itself pinned
to Docker's documented behaviour by the first test.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from dockerspec import ROOT, is_ignored, read_instructions


@pytest.mark.parametrize(
    ("rules", "path", "ignored"),
    [
        ("*\n", "a/b/c.py", True),  # a match on a parent directory covers its contents
        ("*\n!a\n", "a/b/c.py", False),  # the last matching rule wins
        ("*.md\n", "docs/x.md", False),  # '*' does not cross '/'
        ("**/*.md\n", "docs/x.md", True),  # '**' does, also for zero directories:
        ("**/*.md\n", "x.md", True),
        ("/tests/\n", "tests/t.py", True),  # leading and trailing '/' are cleaned away
        ("*.py[cod]\n", "m.pyc", True),
        ("# tests\n", "tests", False),
    ],
)
def test_reader_follows_docker_rules(rules: str, path: str, ignored: bool, tmp_path: Path) -> None:
    ignore_file = tmp_path / ".dockerignore"
    ignore_file.write_text(rules)
    assert is_ignored(path, ignore_file) is ignored


@pytest.mark.parametrize(
    "path",
    [
        "tests/conftest.py",
        "bench/bench_fit.py",
        "data/m51.xisf",
        "demo-out/corrected.xisf",
        ".venv/bin/python",
        "node_modules/eslint/package.json",
        ".git/HEAD",
        "docker/.env",
        "pjsr/BackgroundOptimizer/BackgroundOptimizer.js",
        "docs/API.md",
        "worker/bgoptimizer/__pycache__/params.cpython-311.pyc",
        "worker/bgoptimizer.egg-info/PKG-INFO",
    ],
)
def test_context_leaves_out(path: str) -> None:
    assert is_ignored(path)


def test_context_holds_every_file_the_dockerfile_copies() -> None:
    copies = [i.args.split() for i in read_instructions() if i.keyword == "COPY"]
    sources = sorted({src for args in copies if "--from=" not in args[0] for src in args[:-1]})
    assert sources == ["LICENSE", "README.md", "pyproject.toml", "worker/"]
    tracked = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", *sources],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout.split()
    assert "worker/bgoptimizer/cli/main.py" in tracked
    assert [p for p in tracked if is_ignored(p)] == []
