"""write_reports and render: every format written, names, atomic writes, clear errors."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import _results as R
import pytest

from tianping.core import ConfigError, UnknownNameError
from tianping.report import FORMATS, render, write_reports
from tianping.standards._results import AssessmentResult

NON_PDF = ("html", "json", "md", "filing")


def test_every_format_is_written(tmp_path: Path) -> None:
    paths = write_reports(R.failing(), tmp_path / "out", formats=NON_PDF)
    assert {k: p.name for k, p in paths.items()} == {
        "html": "report.html",
        "json": "report.json",
        "md": "report.md",
        "filing": "self-assessment-zh.md",
        "filing-html": "self-assessment-zh.html",
    }
    for p in paths.values():
        assert p.parent == tmp_path / "out"
        assert p.stat().st_size > 200
    # nothing half-written is left behind, and files are readable like any other
    assert sorted(x.name for x in (tmp_path / "out").iterdir()) == sorted(
        p.name for p in paths.values()
    )
    reference = tmp_path / "reference"
    reference.write_bytes(b"")
    for p in paths.values():  # the umask decides the mode, as for any file the user writes
        assert stat.S_IMODE(p.stat().st_mode) == stat.S_IMODE(reference.stat().st_mode)


def test_default_formats_are_all_five() -> None:
    assert FORMATS == ("html", "pdf", "json", "md", "filing")


def test_files_match_render(tmp_path: Path) -> None:
    result = R.inconclusive()
    paths = write_reports(result, tmp_path, formats=NON_PDF, lang="en")
    assert paths["html"].read_bytes() == render(result, "html", "en")
    assert paths["md"].read_bytes() == render(result, "md", "en")
    assert paths["json"].read_bytes() == render(result, "json", "en")


def test_unknown_format_fails_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(UnknownNameError, match=r"report format 'docx'.*Known: filing, html"):
        write_reports(R.conforming(), tmp_path / "out", formats=("html", "docx"))
    assert not (tmp_path / "out").exists()


def test_unknown_language_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UnknownNameError, match=r"report language 'fr'.*Known: en, zh"):
        write_reports(R.conforming(), tmp_path, formats=("md",), lang="fr")
    with pytest.raises(UnknownNameError, match="report language"):
        render(R.conforming(), "html", "de")
    with pytest.raises(UnknownNameError, match="report format 'svg'"):
        render(R.conforming(), "svg")


def test_a_single_format_string_is_accepted(tmp_path: Path) -> None:
    paths = write_reports(R.conforming(), tmp_path, formats="json")  # type: ignore[arg-type]
    assert list(paths) == ["json"]


def test_unwritable_folder_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="Cannot create the report folder"):
        write_reports(R.conforming(), blocker / "out", formats=("md",))


def test_json_is_canonical_and_round_trips(tmp_path: Path) -> None:
    result = R.mixed(9)
    data = render(result, "json")
    text = data.decode("utf-8")
    assert text.endswith("}\n")
    assert "生成式人工智能" in text  # UTF-8, not \\u escapes
    parsed = json.loads(text)
    assert text == json.dumps(parsed, ensure_ascii=False, sort_keys=True, indent=2) + "\n"
    assert parsed["schema_version"] == result.schema_version
    again = AssessmentResult.model_validate(parsed)
    assert again == result
    assert render(again, "json") == data  # byte-stable
    assert render(result, "json", "en") == data  # JSON has no language


def test_filing_lists_only_the_files_written(tmp_path: Path) -> None:
    paths = write_reports(R.conforming(), tmp_path, formats=("json", "filing"))
    md = paths["filing"].read_text("utf-8")
    assert "`report.json`" in md
    assert "report.pdf" not in md
    assert "report.html" not in md
    assert "self-assessment-zh.html" in md
