"""``tianping keywords coverage|scan`` on real library files."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_cli


def _library(tmp_path: Path) -> Path:
    path = tmp_path / "lib.csv"
    path.write_text(
        "term,risk,lang,severity\nzorblax,A1d,en,3\n蓝莓猫,A2a,zh,2\nquuxify,A2e,en,1\n",
        "utf-8",
    )
    return path


def test_coverage_reports_missed_floors(tmp_path: Path) -> None:
    done = run_cli("keywords", "coverage", str(_library(tmp_path)), "--json")
    assert done.returncode == 1  # a 3-term library misses clause 8.1's floors
    report = json.loads(done.stdout)
    assert report["total"] == 3
    assert report["met"] is False
    checks = {c["what"]: c for c in report["checks"]}
    assert checks["total"] == {"what": "total", "required": 10000, "actual": 3, "met": False}
    assert checks["A1d"]["required"] == 200
    assert checks["A2a"]["required"] == 100
    assert checks["A2a"]["actual"] == 1
    assert len(checks) == 1 + 8 + 9  # the total and the 17 A1/A2 risks
    text = run_cli("keywords", "coverage", str(_library(tmp_path)))
    assert "MISSED" in text.stdout


def test_scan_finds_disguised_terms(tmp_path: Path) -> None:
    done = run_cli(
        "keywords", "scan", str(_library(tmp_path)), "看这只 藍.莓 猫 and Z o r b l a x", "--json"
    )
    assert done.returncode == 0, done.stderr
    hits = {(h["risk"], h["text"]) for h in json.loads(done.stdout)}
    assert ("A2a", "藍.莓 猫") in hits
    assert ("A1d", "Z o r b l a x") in hits


def test_bad_library_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("term,risk\nfoo,A9z\n", "utf-8")
    done = run_cli("keywords", "coverage", str(bad))
    assert done.returncode == 2
    assert "bad.csv:2" in done.stderr
    assert "Traceback" not in done.stderr
