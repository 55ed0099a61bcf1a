"""The public surface of ``tianping.review``: exactly the intended names."""

from __future__ import annotations

import tianping.review

EXPECTED = {
    "EarlierLabel",
    "HumanEvidence",
    "PPIEstimate",
    "ReviewError",
    "ReviewStatus",
    "ReviewTask",
    "draw_review",
    "export_rows",
    "human_evidence",
    "human_labels",
    "next_task",
    "ppi_mean",
    "redecide",
    "review_status",
    "submit_label",
}


def test_all_is_exactly_the_public_names() -> None:
    assert set(tianping.review.__all__) == EXPECTED
    assert len(tianping.review.__all__) == len(EXPECTED)
    for name in EXPECTED:
        assert getattr(tianping.review, name) is not None


def test_review_errors_are_configuration_errors() -> None:
    from tianping.core import ConfigError

    assert issubclass(tianping.review.ReviewError, ConfigError)
    assert tianping.review.ReviewError("x").exit_code == 2
