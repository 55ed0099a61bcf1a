"""Hand-written inline SVG charts: one row per group or clause, interval whiskers, threshold lines.

One component, :func:`interval_chart`, draws every chart in a report: the
per-group rates of a clause, the clauses of a capability profile, and the
per-group counts of a bank clause against their floors. A rate row shows the
estimate as a dot and its interval as whiskers; a count row shows a bar from
zero. A threshold shared by every row is a vertical line across the chart;
thresholds that differ are a short vertical line in each row.

The SVG carries no script, no external reference and no ``xmlns`` URL (inline
SVG in HTML needs none); every text is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from markupsafe import Markup, escape

from ._format import count, pct, rate_threshold

Status = Literal["pass", "fail", "open", "none"]
Unit = Literal["rate", "count"]

COLOURS: dict[Status, str] = {
    "pass": "#1a7f37",
    "fail": "#b42318",
    "open": "#b54708",
    "none": "#475467",
}

_WIDTH = 680
_LABEL_W = 230  # label column (right-aligned at _LABEL_W - 8)
_VALUE_W = 120  # value column on the right
_ROW_H = 22
_TOP = 26  # room for the threshold label
_AXIS_H = 22
# One family and the generic fallback: WeasyPrint lays SVG text out letter by letter,
# and every extra family in the list costs each letter a font look-up (~20 % of a chart).
_FONT = "'Noto Sans CJK SC', sans-serif"


@dataclass(frozen=True)
class ChartRow:
    """One row: a label, and either a rate with its interval or a count."""

    label: str
    estimate: float | None = None  # rate in [0, 1]; or the count when unit is "count"
    low: float | None = None
    high: float | None = None
    threshold: float | None = None  # a rate, or a count floor
    direction: str | None = "at_least"
    value_text: str = ""  # printed on the right, after the estimate
    tooltip: str = ""


def status(row: ChartRow, unit: Unit = "rate") -> Status:
    """Whether the row's whole interval (a count: the count) clears its threshold."""
    if row.threshold is None or row.estimate is None:
        return "none"
    low = row.estimate if unit == "count" or row.low is None else row.low
    high = row.estimate if unit == "count" or row.high is None else row.high
    t = row.threshold
    if row.direction == "at_most":
        return "pass" if high <= t else "fail" if low > t else "open"
    return "pass" if low >= t else "fail" if high < t else "open"


def _text_width(text: str, size: float) -> float:
    """Rough rendered width: CJK and full-width characters 1 em, others 0.6 em."""
    return sum(size if ord(c) >= 0x2E80 else size * 0.6 for c in text)


def _fit(text: str, size: float, width: float) -> str:
    if _text_width(text, size) <= width:
        return text
    out = ""
    for c in text:
        if _text_width(out + c + "…", size) > width:
            break
        out += c
    return out + "…"


def _nice_step(span: float, target: int) -> float:
    raw = span / max(target, 1)
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    for m in (1, 2, 2.5, 5, 10):
        if m * mag >= raw:
            return m * mag
    return 10 * mag


def _domain(rows: Sequence[ChartRow], unit: Unit) -> tuple[float, float, float]:
    """Axis low, high and tick step: zoomed to the data for rates, from zero for counts."""
    values = [
        x
        for r in rows
        for x in (r.estimate, r.low, r.high, r.threshold)
        if x is not None and math.isfinite(x)
    ]
    if unit == "count":
        top = max(values, default=1.0) * 1.08 or 1.0
        step = _nice_step(top, 5)
        return 0.0, math.ceil(top / step) * step, step
    if not values:
        return 0.0, 1.0, 0.2
    lo, hi = min(values), max(values)
    span = max(hi - lo, 0.04)
    lo, hi = max(0.0, lo - 0.12 * span), min(1.0, hi + 0.12 * span)
    step = _nice_step(hi - lo, 5)
    lo = max(0.0, math.floor(lo / step + 1e-9) * step)
    hi = min(1.0, math.ceil(hi / step - 1e-9) * step)
    if hi <= lo:
        hi = min(1.0, lo + step)
    return lo, hi, step


def _tick_text(x: float, step: float, unit: Unit) -> str:
    if unit == "count":
        return count(x)
    p = step * 100
    decimals = 0 if abs(p - round(p)) < 1e-9 else 1 if p >= 0.1 else 2
    return f"{x * 100:.{decimals}f}%"


def _shared_threshold(rows: Sequence[ChartRow]) -> tuple[float, str | None] | None:
    marks = {(r.threshold, r.direction) for r in rows if r.threshold is not None}
    if len(marks) == 1 and all(r.threshold is not None for r in rows):
        (t, d) = marks.pop()
        assert t is not None
        return t, d
    return None


def interval_chart(
    rows: Sequence[ChartRow],
    *,
    title: str,
    unit: Unit = "rate",
    threshold_label: str = "",
) -> Markup:
    """An inline ``<svg>`` with one row per entry of ``rows`` (see the module docstring)."""
    lo, hi, step = _domain(rows, unit)
    x0, x1 = _LABEL_W, _WIDTH - _VALUE_W
    plot_h = _ROW_H * len(rows)
    height = _TOP + plot_h + _AXIS_H

    def sx(v: float) -> float:
        v = min(max(v, lo), hi)
        return round(x0 + (v - lo) / (hi - lo) * (x1 - x0), 1)

    e = escape
    parts: list[str] = [
        f'<svg class="chart" viewBox="0 0 {_WIDTH} {height}" width="100%" role="img" '
        f'aria-label="{e(title)}" font-family="{e(_FONT)}" font-size="11">',
        f"<title>{e(title)}</title>",
        f'<rect x="{x0}" y="{_TOP}" width="{x1 - x0}" height="{plot_h}" fill="#f8fafc"/>',
    ]
    n_ticks = round((hi - lo) / step)
    for i in range(n_ticks + 1):
        v = lo + i * step
        x = sx(v)
        parts.append(
            f'<line x1="{x}" y1="{_TOP}" x2="{x}" y2="{_TOP + plot_h}" stroke="#e4e7ec" '
            f'stroke-width="1"/>'
            f'<text x="{x}" y="{_TOP + plot_h + 15}" text-anchor="middle" fill="#475467">'
            f"{e(_tick_text(v, step, unit))}</text>"
        )
    shared = _shared_threshold(rows)
    if shared is not None:
        t, d = shared
        x = sx(t)
        mark = rate_threshold(t, d) if unit == "rate" else f"≥ {count(t)}"
        parts.append(
            f'<line x1="{x}" y1="{_TOP - 6}" x2="{x}" y2="{_TOP + plot_h}" stroke="#101828" '
            f'stroke-width="1.5" stroke-dasharray="4 3"/>'
            f'<text x="{x}" y="{_TOP - 10}" text-anchor="middle" fill="#101828">'
            f"{e(threshold_label)} {e(mark)}</text>"
        )
    for i, row in enumerate(rows):
        parts.append(_row(row, i, unit, sx, shared is None))
    parts.append("</svg>")
    return Markup("".join(parts))


def _row(
    row: ChartRow, i: int, unit: Unit, sx: Callable[[float], float], own_threshold: bool
) -> str:
    e = escape
    y = _TOP + i * _ROW_H + _ROW_H / 2
    colour = COLOURS[status(row, unit)]
    label = _fit(row.label, 11, _LABEL_W - 12)
    out = [f"<g><title>{e(row.tooltip or row.label)}</title>"]
    if i % 2:
        out.append(
            f'<rect x="{_LABEL_W}" y="{y - _ROW_H / 2}" width="{_WIDTH - _VALUE_W - _LABEL_W}" '
            f'height="{_ROW_H}" fill="#eef2f6" fill-opacity="0.6"/>'
        )
    out.append(
        f'<text x="{_LABEL_W - 8}" y="{y + 4}" text-anchor="end" fill="#101828">{e(label)}</text>'
    )
    if row.estimate is not None:
        if unit == "count":
            out.append(
                f'<rect x="{sx(0)}" y="{y - 6}" width="{max(sx(row.estimate) - sx(0), 1)}" '
                f'height="12" fill="{colour}" fill-opacity="0.85"/>'
            )
        else:
            if row.low is not None and row.high is not None:
                a, b = sx(row.low), sx(row.high)
                out.append(
                    f'<line x1="{a}" y1="{y}" x2="{b}" y2="{y}" stroke="{colour}" '
                    f'stroke-width="2"/>'
                    f'<line x1="{a}" y1="{y - 5}" x2="{a}" y2="{y + 5}" stroke="{colour}" '
                    f'stroke-width="2"/>'
                    f'<line x1="{b}" y1="{y - 5}" x2="{b}" y2="{y + 5}" stroke="{colour}" '
                    f'stroke-width="2"/>'
                )
            out.append(
                f'<circle cx="{sx(row.estimate)}" cy="{y}" r="4.5" fill="{colour}" '
                f'stroke="#ffffff" stroke-width="1"/>'
            )
    if own_threshold and row.threshold is not None:
        x = sx(row.threshold)
        out.append(
            f'<line x1="{x}" y1="{y - 9}" x2="{x}" y2="{y + 9}" stroke="#101828" '
            f'stroke-width="1.5" stroke-dasharray="3 2"/>'
        )
    value = pct(row.estimate) if unit == "rate" else count(row.estimate)
    if row.value_text:
        value = f"{value} {row.value_text}" if row.estimate is not None else row.value_text
    out.append(
        f'<text x="{_WIDTH - _VALUE_W + 8}" y="{y + 4}" fill="{colour}">'
        f"{e(_fit(value, 11, _VALUE_W - 10))}</text></g>"
    )
    return "".join(out)
