"""A clause's trend across assessments: a small inline SVG (no script, every text escaped).

Each assessment is a dot at its estimate with its interval as a whisker, coloured
by its confident verdict with the report's colours; the threshold is a dashed
line. The per-group and capability charts are the report's own
(:mod:`tianping.report._charts`); only this time series is drawn here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from ..report._charts import COLOURS, Status
from ..report._format import pct

_W, _H = 260, 72
_PAD_L, _PAD_R, _PAD_T, _PAD_B = 34, 8, 8, 14

_STATUS: dict[str, Status] = {
    "conforms": "pass",
    "does_not_conform": "fail",
    "inconclusive": "open",
    "not_applicable": "none",
}


@dataclass(frozen=True)
class TrendPoint:
    label: str  # the assessment's date, for the tooltip and the axis
    estimate: float
    low: float | None
    high: float | None
    outcome: str


def trend_svg(
    points: Sequence[TrendPoint], *, title: str, threshold: float | None = None
) -> Markup:
    """An inline ``<svg>`` of ``points`` in time order (oldest first)."""
    values = [p.estimate for p in points]
    values += [x for p in points for x in (p.low, p.high) if x is not None]
    if threshold is not None:
        values.append(threshold)
    lo, hi = min(values, default=0.0), max(values, default=1.0)
    span = max(hi - lo, 0.05)
    lo, hi = max(0.0, lo - 0.1 * span), min(1.0, hi + 0.1 * span)
    if hi <= lo:
        lo, hi = max(0.0, lo - 0.05), min(1.0, hi + 0.05)
    x0, x1 = _PAD_L, _W - _PAD_R
    y0, y1 = _H - _PAD_B, _PAD_T

    def sx(i: int) -> float:
        if len(points) == 1:
            return (x0 + x1) / 2
        return round(x0 + i * (x1 - x0) / (len(points) - 1), 1)

    def sy(v: float) -> float:
        return round(y0 + (v - lo) / (hi - lo) * (y1 - y0), 1)

    e = escape
    out = [
        f'<svg class="trend" viewBox="0 0 {_W} {_H}" width="{_W}" height="{_H}" role="img" '
        f'aria-label="{e(title)}" font-size="9" font-family="sans-serif">',
        f"<title>{e(title)}</title>",
        f'<rect x="{x0}" y="{y1}" width="{x1 - x0}" height="{y0 - y1}" fill="#f8fafc"/>',
        f'<text x="{x0 - 3}" y="{y1 + 7}" text-anchor="end" fill="#475467">{e(pct(hi))}</text>',
        f'<text x="{x0 - 3}" y="{y0}" text-anchor="end" fill="#475467">{e(pct(lo))}</text>',
    ]
    if threshold is not None:
        y = sy(threshold)
        out.append(
            f'<line x1="{x0}" y1="{y}" x2="{x1}" y2="{y}" stroke="#101828" '
            f'stroke-width="1" stroke-dasharray="4 3"/>'
        )
    if len(points) > 1:
        path = " ".join(f"{sx(i)},{sy(p.estimate)}" for i, p in enumerate(points))
        out.append(f'<polyline points="{path}" fill="none" stroke="#98a2b3" stroke-width="1"/>')
    for i, p in enumerate(points):
        colour = COLOURS[_STATUS.get(p.outcome, "none")]
        x = sx(i)
        tip = f"{p.label}: {pct(p.estimate)}"
        if p.low is not None and p.high is not None:
            tip += f" [{pct(p.low)}, {pct(p.high)}]"
        out.append(f"<g><title>{e(tip)}</title>")
        if p.low is not None and p.high is not None:
            out.append(
                f'<line x1="{x}" y1="{sy(p.low)}" x2="{x}" y2="{sy(p.high)}" '
                f'stroke="{colour}" stroke-width="2"/>'
            )
        out.append(f'<circle cx="{x}" cy="{sy(p.estimate)}" r="3.5" fill="{colour}"/></g>')
    if len(points) == 1:
        out.append(
            f'<text x="{sx(0)}" y="{_H - 2}" text-anchor="middle" fill="#475467">'
            f"{e(points[0].label)}</text>"
        )
    elif points:
        out.append(
            f'<text x="{x0}" y="{_H - 2}" fill="#475467">{e(points[0].label)}</text>'
            f'<text x="{x1}" y="{_H - 2}" text-anchor="end" fill="#475467">'
            f"{e(points[-1].label)}</text>"
        )
    out.append("</svg>")
    return Markup("".join(out))
