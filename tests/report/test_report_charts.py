"""The one chart component: rows, whiskers, threshold lines, escaping."""

from __future__ import annotations

import re

import pytest

from tianping.report._charts import ChartRow, interval_chart, status


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (ChartRow("a", 0.97, 0.96, 0.98, 0.95, "at_least"), "pass"),
        (ChartRow("a", 0.90, 0.88, 0.92, 0.95, "at_least"), "fail"),
        (ChartRow("a", 0.95, 0.93, 0.97, 0.95, "at_least"), "open"),
        (ChartRow("a", 0.02, 0.01, 0.04, 0.05, "at_most"), "pass"),
        (ChartRow("a", 0.08, 0.06, 0.10, 0.05, "at_most"), "fail"),
        (ChartRow("a", 0.05, 0.03, 0.07, 0.05, "at_most"), "open"),
        (ChartRow("a", 0.05, 0.03, 0.07, None), "none"),
        (ChartRow("a", None, None, None, 0.9), "none"),
    ],
)
def test_status(row: ChartRow, expected: str) -> None:
    assert status(row) == expected


def test_count_status_compares_the_count_with_its_floor() -> None:
    assert status(ChartRow("A1a", 20.0, threshold=20.0), "count") == "pass"
    assert status(ChartRow("A1a", 19.0, threshold=20.0), "count") == "fail"


def test_shared_threshold_is_one_line_with_a_label() -> None:
    rows = [ChartRow(f"g{i}", 0.9 + i / 100, 0.85, 0.99, 0.95) for i in range(4)]
    svg = str(interval_chart(rows, title="t", threshold_label="阈值"))
    assert svg.startswith('<svg class="chart"')
    assert svg.endswith("</svg>")
    assert svg.count('stroke-dasharray="4 3"') == 1
    assert "阈值 ≥ 95%" in svg
    assert svg.count("<circle") == 4


def test_different_thresholds_get_a_mark_per_row() -> None:
    rows = [ChartRow("a", 0.8, 0.75, 0.85, 0.7), ChartRow("b", 0.6, 0.5, 0.7, 0.9)]
    svg = str(interval_chart(rows, title="t"))
    assert svg.count('stroke-dasharray="3 2"') == 2
    assert 'stroke-dasharray="4 3"' not in svg


def test_coordinates_stay_inside_the_plot() -> None:
    rows = [ChartRow("a", 0.0, 0.0, 0.02, 0.05, "at_most"), ChartRow("b", 1.0, 0.97, 1.0, 0.95)]
    svg = str(interval_chart(rows, title="t"))
    xs = [float(x) for x in re.findall(r'\bc?x[12]?="([-\d.]+)"', svg)]
    width = float(re.search(r'viewBox="0 0 ([\d.]+)', svg).group(1))  # type: ignore[union-attr]
    assert all(0 <= x <= width for x in xs)


def test_labels_are_escaped_and_long_ones_shortened() -> None:
    rows = [ChartRow("<script>x</script>" + "长" * 60, 0.5, 0.4, 0.6, 0.5)]
    svg = str(interval_chart(rows, title="<b>"))
    assert "<script>" not in svg
    assert "<b>" not in svg
    assert "&lt;script&gt;" in svg
    assert "…" in svg
    assert "长" * 60 in svg  # the full label stays in the tooltip


def test_rows_without_data_draw_no_marks() -> None:
    svg = str(interval_chart([ChartRow("empty")], title="t"))
    assert "<circle" not in svg
    assert "—" in svg
