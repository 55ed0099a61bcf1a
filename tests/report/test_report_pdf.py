"""The PDF: WeasyPrint lays out the HTML; Chinese comes out as text (CJK fonts embedded).

Skipped, with the reason, only where WeasyPrint's system libraries (Pango) are
missing; a missing WeasyPrint package is a failure (it is a dependency).
"""

from __future__ import annotations

import io
from pathlib import Path

import _results as R
import pytest

from tianping.report import render, write_reports


def _system_libraries_missing() -> str | None:
    try:
        import weasyprint  # noqa: F401
    except OSError as exc:
        return (
            "WeasyPrint's system libraries are missing "
            f"(apt-get install libpango-1.0-0 libpangoft2-1.0-0): {exc}"
        )
    return None


pytestmark = pytest.mark.skipif(
    _system_libraries_missing() is not None, reason=str(_system_libraries_missing())
)

pypdf = pytest.importorskip("pypdf", reason="pypdf (the dev extra) reads the PDF back")


def _pdf(data: bytes) -> tuple[int, str, set[str]]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    fonts: set[str] = set()
    for page in reader.pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            fonts.add(str(font.get_object().get("/BaseFont")))
    return len(reader.pages), text, fonts


@pytest.fixture(scope="module")
def zh_pdf() -> bytes:
    return render(R.failing(), "pdf", "zh")


def test_chinese_pdf_has_pages_and_real_chinese_text(zh_pdf: bytes) -> None:
    assert zh_pdf.startswith(b"%PDF-")
    pages, text, fonts = _pdf(zh_pdf)
    assert pages >= 1
    assert "符合" in text
    assert "9.4a" in text
    assert "逐条评估结果" in text
    assert "第 1 页" in text  # page numbers from CSS counters
    assert any("NotoSansCJKSC" in f.replace("-", "").replace(" ", "") for f in fonts), fonts


def test_english_pdf(tmp_path: Path) -> None:
    paths = write_reports(R.inconclusive(), tmp_path, formats=("pdf",), lang="en")
    assert list(paths) == ["pdf"]
    assert paths["pdf"].name == "report.pdf"
    pages, text, _ = _pdf(paths["pdf"].read_bytes())
    assert pages >= 1
    assert "inconclusive" in text
    assert "9.4a" in text
    assert "Page 1 of" in text


def test_escaped_text_stays_text_in_the_pdf(zh_pdf: bytes) -> None:
    _, text, _ = _pdf(zh_pdf)
    assert "<script>alert('x')</script>" in text.replace("\n", "")
