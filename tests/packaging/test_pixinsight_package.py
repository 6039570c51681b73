"""scripts/pixinsight-package, run as a maintainer runs it: what PixInsight's update system
reads (updates.xri) must agree with the zip it downloads, byte for byte (SHA-1), and the zip
must unpack into the folders PixInsight installs scripts and their documentation from."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGER = REPO / "scripts" / "pixinsight-package"
SCRIPT = REPO / "pjsr" / "BackgroundOptimizer"


def build(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """Run the packager in a fresh process (the way the README tells a maintainer to)."""
    return subprocess.run(
        [sys.executable, str(PACKAGER), "-o", str(out), "--date", "20261204", *extra],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def repo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One built repository for the module's checks."""
    out = tmp_path_factory.mktemp("pi-repo")
    result = build(out)
    assert result.returncode == 0, result.stderr
    return out


def script_version() -> str:
    entry = (SCRIPT / "BackgroundOptimizer.js").read_text()
    return re.search(r'BGX\.VERSION = "([^"]+)"', entry)[1]


def test_updates_xri_is_xml_with_the_repository_elements(repo_dir: Path) -> None:
    root = ET.parse(repo_dir / "updates.xri").getroot()
    assert root.tag == "xri" and root.get("version") == "1.0"  # no namespace: see README
    assert root.find("description/p") is not None
    platforms = root.findall("platform")
    assert [(p.get("os"), p.get("arch")) for p in platforms] == [("all", "noarch")]
    assert re.fullmatch(r"1\.9\.4:\d+\.\d+\.\d+", platforms[0].get("version"))
    (package,) = platforms[0].findall("package")
    assert package.get("type") == "script"
    assert package.get("releaseDate") == "20261204"
    assert re.fullmatch(r"[0-9a-f]{40}", package.get("sha1"))
    assert package.findtext("title") == f"BackgroundOptimizer {script_version()}"
    notes = [li.text for li in package.findall("description/ul/li")]
    assert notes and all(notes), "the release notes of this version are the description"
    assert root.find(".//Signature") is None, "signing is the maintainer's step"


def test_zip_layout_version_and_sha1_match_updates_xri(repo_dir: Path) -> None:
    package = ET.parse(repo_dir / "updates.xri").getroot().find("platform/package")
    zip_path = repo_dir / package.get("fileName")
    assert zip_path.name == f"BackgroundOptimizer-{script_version()}.zip"
    assert hashlib.sha1(zip_path.read_bytes()).hexdigest() == package.get("sha1")
    with zipfile.ZipFile(zip_path) as zf:
        assert zf.testzip() is None
        names = set(zf.namelist())
        entry = zf.read("src/scripts/BackgroundOptimizer/BackgroundOptimizer.js").decode()
        notes = zf.read("src/scripts/BackgroundOptimizer/RELEASE_NOTES.md").decode()
        doc = zf.read("doc/scripts/BackgroundOptimizer/BackgroundOptimizer.html").decode()
    on_disk = {
        "src/scripts/BackgroundOptimizer/" + p.relative_to(SCRIPT).as_posix()
        for p in SCRIPT.rglob("*")
        if p.is_file()
    }
    assert on_disk <= names, "every file of the script is packaged"
    roots = ("src/scripts/BackgroundOptimizer/", "doc/scripts/BackgroundOptimizer/")
    assert all(n.startswith(roots) for n in names)
    for include in re.findall(r'^#include "([^"]+)"', entry, re.M):
        assert f"src/scripts/BackgroundOptimizer/{include}" in names, include
    assert f'BGX.VERSION = "{script_version()}"' in entry
    assert f"## {script_version()}" in notes
    assert doc.encode() == (SCRIPT / "doc" / "BackgroundOptimizer.html").read_bytes()


def test_documentation_page_is_where_the_help_button_looks(repo_dir: Path) -> None:
    """Dialog.browseScriptDocumentation("BackgroundOptimizer") opens PixInsight's
    doc/scripts/<name>/<name>.html (the PIDoc layout); the page must parse as XHTML there and
    find PixInsight's documentation style sheets two folders up."""
    package = ET.parse(repo_dir / "updates.xri").getroot().find("platform/package")
    with zipfile.ZipFile(repo_dir / package.get("fileName")) as zf:
        page = zf.read("doc/scripts/BackgroundOptimizer/BackgroundOptimizer.html")
        assert "src/scripts/BackgroundOptimizer/doc/BackgroundOptimizer.html" in zf.namelist()
    root = ET.fromstring(page)
    ns = {"h": "http://www.w3.org/1999/xhtml"}
    assert root.findtext("h:head/h:title", namespaces=ns).endswith("| BackgroundOptimizer")
    sheets = [
        link.get("href")
        for link in root.iterfind("h:head/h:link", ns)
        if link.get("rel") == "stylesheet"
    ]
    assert "../../pidoc/css/pidoc-tool.css" in sheets
    params = root.findall(".//h:div[@class='pidoc_parameter']/h:h4", ns)
    assert {"Samples N", "Stretch quantile", "Run on", "Output folder"} <= {p.text for p in params}


def test_same_release_same_bytes(repo_dir: Path, tmp_path: Path) -> None:
    """A rebuild of one release gives one SHA-1, so updates.xri never lies about a re-upload."""
    assert build(tmp_path).returncode == 0
    first = ET.parse(repo_dir / "updates.xri").getroot().find("platform/package").get("sha1")
    again = ET.parse(tmp_path / "updates.xri").getroot().find("platform/package").get("sha1")
    assert first == again


@pytest.mark.parametrize(
    ("extra", "message"),
    [(("--date", "2026-12-04"), "YYYYMMDD"), (("--pi-versions", "1.9.4:"), "MIN:MAX")],
)
def test_bad_options_are_refused_in_one_line(
    tmp_path: Path, extra: tuple[str, ...], message: str
) -> None:
    result = build(tmp_path, *extra)
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "updates.xri").exists()
