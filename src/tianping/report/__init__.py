"""Reports of an assessment: HTML, PDF, JSON, Markdown, and the filing self-assessment report.

>>> from tianping.report import write_reports
>>> paths = write_reports(result, Path("out"), lang="zh")   # doctest: +SKIP
>>> paths["pdf"]                                            # doctest: +SKIP
PosixPath('out/report.pdf')

The HTML is one self-contained file (inline CSS and SVG, no script, no
external URL); the PDF is the same HTML laid out by WeasyPrint; the JSON is
``AssessmentResult`` in canonical form (sorted keys, UTF-8, indent 2).
"""

from ._render import FORMATS, RENDER_FORMATS, render, write_reports

__all__ = ["FORMATS", "RENDER_FORMATS", "render", "write_reports"]
