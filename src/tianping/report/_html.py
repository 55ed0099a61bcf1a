"""HTML rendering: one Jinja2 environment over the package's templates, autoescape on."""

from __future__ import annotations

from functools import cache, partial
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from ..standards._results import AssessmentResult
from ._filing import FilingView
from ._labels import label
from ._view import build


def css_string(value: object) -> Markup:
    """``value`` as a quoted CSS string that cannot close its rule or the <style> element."""
    out = []
    for c in str(value):
        if c in '"\\<>&' or ord(c) < 0x20 or ord(c) == 0x7F:
            out.append(f"\\{ord(c):x} ")
        else:
            out.append(c)
    return Markup('"' + "".join(out) + '"')


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("tianping.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["css_string"] = css_string
    return env


def _render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def report_html(result: AssessmentResult, lang: str) -> str:
    """The self-contained HTML report of ``result`` in ``lang``."""
    view = build(result, lang)
    return _render("report.html.j2", v=view, t=partial(label, lang=lang))


def filing_html(view: FilingView) -> str:
    """The filing self-assessment report as HTML (always Chinese)."""
    return _render("filing.html.j2", f=view, t=partial(label, lang="zh"))
