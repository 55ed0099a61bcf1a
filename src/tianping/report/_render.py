"""The public entry points: render one format to bytes, or write a report folder."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Sequence
from pathlib import Path

from ..core import ConfigError, UnknownNameError
from ..standards._results import AssessmentResult
from ._filing import REPORT_FILES, build_filing
from ._html import filing_html, report_html
from ._labels import check_lang
from ._markdown import filing_md, report_md
from ._pdf import html_to_pdf, weasyprint_problem

FORMATS = ("html", "pdf", "json", "md", "filing")
# ``render`` also knows the second file of the filing export.
RENDER_FORMATS = (*FORMATS, "filing-html")


def _json(result: AssessmentResult) -> bytes:
    data = result.model_dump(mode="json")
    return (json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode()


def _render(
    result: AssessmentResult, fmt: str, lang: str, attached: Sequence[str] | None = None
) -> bytes:
    if fmt == "json":
        return _json(result)
    if fmt == "html":
        return report_html(result, lang).encode()
    if fmt == "pdf":
        return html_to_pdf(report_html(result, lang))
    if fmt == "md":
        return report_md(result, lang).encode()
    if fmt == "filing":
        return filing_md(build_filing(result, attached)).encode()
    if fmt == "filing-html":
        return filing_html(build_filing(result, attached)).encode()
    raise UnknownNameError("report format", fmt, RENDER_FORMATS)


def render(result: AssessmentResult, fmt: str, lang: str = "zh") -> bytes:
    """One report format as bytes (UTF-8 for the text formats).

    ``fmt`` is ``html``, ``pdf``, ``json``, ``md``, ``filing`` (the filing
    self-assessment report in Markdown) or ``filing-html``; ``lang`` is ``zh``
    or ``en`` (the filing export is Chinese whatever ``lang`` says, and JSON has
    no language). Raises ``UnknownNameError`` for an unknown format or language
    and ``ConfigError`` when PDF output cannot be produced here.
    """
    check_lang(lang)
    return _render(result, fmt, lang)


def _write(path: Path, data: bytes) -> None:
    """Write ``path`` atomically (a reader never sees half a report), with the umask's mode."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "xb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_reports(
    result: AssessmentResult,
    out_dir: Path,
    formats: Sequence[str] = FORMATS,
    lang: str = "zh",
) -> dict[str, Path]:
    """Write the report files of ``result`` into ``out_dir`` (created if missing).

    Returns the path written for each format: ``html`` → ``report.html``,
    ``pdf`` → ``report.pdf``, ``json`` → ``report.json``, ``md`` →
    ``report.md``, ``filing`` → ``self-assessment-zh.md`` and ``filing-html``
    → ``self-assessment-zh.html`` (both written when ``filing`` is asked for).
    Every format is checked before anything is written.
    """
    check_lang(lang)
    if isinstance(formats, str):
        formats = (formats,)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise UnknownNameError("report format", unknown[0], FORMATS)
    wanted = tuple(dict.fromkeys(formats))
    if "pdf" in wanted and (problem := weasyprint_problem()) is not None:
        raise ConfigError(problem + ".")
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"Cannot create the report folder {out_dir}: {exc}") from exc
    html: bytes | None = None
    written: dict[str, Path] = {}
    for fmt in wanted:
        if fmt == "filing":
            md_name, html_name = REPORT_FILES["filing"]
            parts = {
                "filing": (md_name, _render(result, "filing", lang, wanted)),
                "filing-html": (html_name, _render(result, "filing-html", lang, wanted)),
            }
        elif fmt == "pdf":
            html = html or _render(result, "html", lang)
            parts = {"pdf": (REPORT_FILES["pdf"][0], html_to_pdf(html.decode()))}
        else:
            data = _render(result, fmt, lang)
            if fmt == "html":
                html = data
            parts = {fmt: (REPORT_FILES[fmt][0], data)}
        for key, (name, data) in parts.items():
            path = out_dir / name
            try:
                _write(path, data)
            except OSError as exc:
                raise ConfigError(f"Cannot write {path}: {exc}") from exc
            written[key] = path
    return written
