"""``bgoptimizer info``: text and JSON descriptions, exit code 2 with one line on a bad file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bgoptimizer.cli.main import main
from shared_data import REAL_DATA as REAL

RICH = (
    REAL
    / "xisf/pixinsight"
    / ("xisfsharp_200x150-u16-zstd-shuffle-process-history-display-function-icc-sha1.xisf")
)


def test_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(RICH), "--verify"]) == 0
    out = capsys.readouterr().out
    assert "image 0: 200x150x1 UInt16 Gray" in out
    assert "compression:   zstd+sh:60000:2" in out
    assert "checksum:      sha1 (verified)" in out
    assert "PixInsight:ProcessingHistory (String) = <?xml" in out


def test_text_unverified_and_keywords(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(REAL / "fits/seestar_M94_10s_20250326-212046.fit")]) == 0
    out = capsys.readouterr().out
    assert "image 0: 1080x1920x1 UInt16 Gray" in out
    assert "BAYERPAT = 'GRBG' /" in out
    assert main(["info", str(REAL / "xisf/pixinsight/xisfsharp_400x300-u16-sha1.xisf")]) == 0
    assert "sha1 (not verified)" in capsys.readouterr().out


def test_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(REAL / "xisf/pixinsight/wrenby_2ch.xisf"), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    (image,) = doc["images"]
    assert (image["width"], image["height"], image["channels"]) == (4, 10, 2)
    assert image["location"] == "embedded" and len(image["keywords"]) == 53


def test_bad_file_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.xisf"
    bad.write_bytes(b"XISF0100" + bytes(8) + b"<")
    assert main(["info", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("bgoptimizer info: error:") and "broken XML header" in err[0]
