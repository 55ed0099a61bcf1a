"""Every built-in suite passes its own lint: no errors, near-duplicate rate under 2 %."""

from __future__ import annotations

import pytest

from tianping.suites import builtin_suites, lint_suite

MAX_NEAR_RATE = 0.02


@pytest.mark.parametrize("name", sorted(builtin_suites()))
def test_builtin_bank_lints_clean(name: str) -> None:
    report = lint_suite(name)
    assert report.items > 0
    assert [str(f) for f in report.errors] == []
    near = [str(f) for f in report.findings if f.check == "near-duplicate"]
    assert report.near_rate < MAX_NEAR_RATE, "\n".join(near[:20])


def test_the_sample_is_among_them() -> None:
    assert "sample" in builtin_suites()
