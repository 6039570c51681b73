"""The CPU code generator XLA is asked for: set before the first compilation, so XLA really
uses it (seen in its own dump of what it compiled), and never over the user's own choice.

XLA reads its flags once per process, so the compilations run in child processes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bgoptimizer.engine.runtime import xla_cpu

COMPILE = """
from bgoptimizer.engine.runtime.xla_cache import recovering
import tensorflow as tf

compiled = recovering(lambda: tf.function(lambda x: tf.reduce_sum(tf.exp(x) * 2), jit_compile=True))
print(float(compiled(tf.ones(64))))
"""


def _compile(tmp_path: Path, flags: str) -> tuple[str, list[str]]:
    """The debug options XLA compiled with and the files it dumped, for ``XLA_FLAGS=flags``."""
    dump = tmp_path / "dump"
    env = {k: v for k, v in os.environ.items() if k != "TF_XLA_FLAGS"}  # no parent's cache
    env |= {"XLA_FLAGS": f"{flags} --xla_dump_to={dump}".strip(), "BGOPT_XLA_CACHE": "off"}
    done = subprocess.run(
        [sys.executable, "-c", COMPILE], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert float(done.stdout.split()[-1]) == pytest.approx(2 * 64 * 2.718281828, rel=1e-5)
    options = "".join(p.read_text() for p in dump.glob("*debug_options"))
    return options, sorted(p.name for p in dump.iterdir())


def test_the_first_compilation_uses_the_elemental_emitters(tmp_path: Path) -> None:
    options, files = _compile(tmp_path, "")
    assert "xla_cpu_use_fusion_emitters: false" in options
    assert not [name for name in files if name.endswith(".mlir")]  # no MLIR fusion kernels


def test_a_choice_in_xla_flags_is_kept(tmp_path: Path) -> None:
    options, files = _compile(tmp_path, f"{xla_cpu.FLAG}=true")
    assert "xla_cpu_use_fusion_emitters" not in options  # true is XLA's default
    assert [name for name in files if name.endswith(".mlir")]


def test_configure_appends_once_and_skips_unchecked_releases(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XLA_FLAGS", "--xla_cpu_enable_fast_math=false")
    assert xla_cpu.configure("2.21.0")
    assert not xla_cpu.configure("2.21.0")  # idempotent
    assert os.environ["XLA_FLAGS"] == f"--xla_cpu_enable_fast_math=false {xla_cpu.FLAG}=false"

    monkeypatch.delenv("XLA_FLAGS")
    assert xla_cpu.configure("2.22.0-dev20260101")
    monkeypatch.delenv("XLA_FLAGS")
    for old in ("2.16.1", "2.20.0", "1.15.5"):
        assert not xla_cpu.configure(old)
    assert "XLA_FLAGS" not in os.environ
