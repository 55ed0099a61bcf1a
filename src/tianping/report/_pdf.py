"""PDF: the HTML report laid out by WeasyPrint (A4, page numbers, repeated table headers).

WeasyPrint is imported only when a PDF is asked for: it is slow to import and
needs Pango from the system. Chinese needs a CJK font that fontconfig knows;
the stylesheet names Debian's ``fonts-noto-cjk`` first (``scripts/setup``
installs it where it can).
"""

from __future__ import annotations

from typing import Any

from ..core import ConfigError

_INSTALL_HINT = (
    "PDF reports need WeasyPrint and its system libraries (Pango): on Debian or Ubuntu "
    "`apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk`, then "
    "`pip install 'weasyprint>=62'`; or ask for formats without pdf"
)


def weasyprint_problem() -> str | None:
    """Why PDF output is unavailable here, or None when WeasyPrint loads."""
    try:
        import weasyprint  # noqa: F401
    except ImportError as exc:
        return f"{_INSTALL_HINT} ({exc})"
    except OSError as exc:  # the Python package is there, Pango is not
        return f"{_INSTALL_HINT} ({exc})"
    return None


def html_to_pdf(html: str) -> bytes:
    """``html`` (self-contained: no external resources are fetched) as PDF bytes."""
    try:
        import weasyprint
    except (ImportError, OSError) as exc:
        raise ConfigError(f"{_INSTALL_HINT} ({exc}).") from exc

    document = weasyprint.HTML(string=html, base_url=None, url_fetcher=_no_fetching(weasyprint))
    pdf: bytes = document.write_pdf()
    return pdf


def _no_fetching(weasyprint: Any) -> Any:
    """A URL fetcher that fetches nothing: a report is self-contained, so no URL may
    reach the network or the disk (user text is escaped; this is the second lock)."""
    fetcher = getattr(getattr(weasyprint, "urls", None), "URLFetcher", None)
    if fetcher is not None:  # WeasyPrint >= 66: a class; an empty tuple allows no scheme
        return fetcher(allowed_protocols=())

    def refuse(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        raise ValueError(f"external resource refused in a report: {url}")

    return refuse
