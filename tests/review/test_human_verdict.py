"""The manual-sampling verdict (9.3 a)): decided both ways, inconclusive, and corrected."""

from __future__ import annotations

import pytest

from tianping.assess._human import human_verdict
from tianping.review import HumanEvidence, ppi_mean
from tianping.scoring import agreement
from tianping.standards import ClauseVerdict, Profile, load_profile

RISKS = ("A1a", "A2b", "A3c", "A4a")


@pytest.fixture(scope="module")
def profile() -> Profile:
    return load_profile("tc260-003").profile


def _labels(n: int, qualified: int) -> tuple[dict[str, bool], dict[str, str]]:
    labels = {f"generated/g{i}": i < qualified for i in range(n)}
    strata = {item: RISKS[i % len(RISKS)] for i, item in enumerate(labels)}
    return labels, strata


def _decide(profile: Profile, ev: HumanEvidence) -> ClauseVerdict:
    return human_verdict(profile.clause("9.3-manual"), profile, ev)


def test_without_labels_it_is_inconclusive_and_says_what_to_do(profile: Profile) -> None:
    v = _decide(profile, HumanEvidence(drawn=1000))
    assert (v.literal, v.confident) == ("inconclusive", "inconclusive")
    assert (v.n, v.k, v.estimate, v.low, v.high) == (0, 0, None, None, None)
    assert "not yet drawn for review" in v.reason
    assert "尚未抽取供审核" in v.reason_zh
    v = _decide(profile, HumanEvidence(drawn=1000, tasks=1000, awaiting=1000))
    assert "none labelled yet" in v.reason
    assert "1000 of 1000 items drawn for review await labels" in v.reason


def test_a_full_review_well_above_the_threshold_conforms(profile: Profile) -> None:
    labels, strata = _labels(1000, 975)
    v = _decide(profile, HumanEvidence(drawn=1000, labels=labels, strata=strata, tasks=1000))
    assert (v.literal, v.confident) == ("conforms", "conforms")
    assert (v.n, v.k, v.estimate) == (1000, 975, 0.975)
    assert v.low is not None
    assert v.high is not None
    assert 0.9 < v.low < 0.975 < v.high
    assert "975/1000 labelled by people" in v.reason
    assert "人工标注 975/1000" in v.reason_zh
    assert {g.group for g in v.groups} == set(RISKS)
    assert sum(g.n for g in v.groups) == 1000
    assert v.examples == ()


def test_a_full_review_below_the_threshold_does_not_conform(profile: Profile) -> None:
    labels, strata = _labels(1000, 850)
    v = _decide(profile, HumanEvidence(drawn=1000, labels=labels, strata=strata, tasks=1000))
    assert (v.literal, v.confident) == ("does_not_conform", "does_not_conform")
    assert v.high is not None
    assert v.high < 0.9


def test_on_the_threshold_the_literal_rule_passes_and_the_confident_one_waits(
    profile: Profile,
) -> None:
    labels, strata = _labels(1000, 910)
    v = _decide(profile, HumanEvidence(drawn=1000, labels=labels, strata=strata, tasks=1000))
    assert (v.literal, v.confident) == ("conforms", "inconclusive")
    assert v.n_needed is not None
    assert v.n_needed > 1000
    assert f"about {v.n_needed} human labels would decide it" in v.reason


def test_too_few_labels_can_fail_but_never_conform(profile: Profile) -> None:
    labels, strata = _labels(200, 199)
    v = _decide(profile, HumanEvidence(drawn=1000, labels=labels, strata=strata, tasks=200))
    assert (v.literal, v.confident) == ("inconclusive", "inconclusive")
    assert "fewer than the minimum 1000" in v.reason
    labels, strata = _labels(200, 120)
    v = _decide(profile, HumanEvidence(drawn=1000, labels=labels, strata=strata, tasks=200))
    assert v.confident == "does_not_conform"


def _ppi_evidence(qualified_of_200: int, auto_rate: float) -> HumanEvidence:
    labels, strata = _labels(200, qualified_of_200)
    ones = round(auto_rate * 1000)
    predictions = [1.0] * ones + [0.0] * (1000 - ones)
    # The scorer agrees with people on the labelled 200.
    labelled = [1.0 if ok else 0.0 for ok in labels.values()]
    ppi = ppi_mean(predictions, labelled, labelled, confidence=0.95, scorer="risk")
    return HumanEvidence(drawn=1000, labels=labels, strata=strata, tasks=200, ppi=ppi)


def test_a_partial_review_uses_the_corrected_rate_for_the_confident_rule(
    profile: Profile,
) -> None:
    v = _decide(profile, _ppi_evidence(196, 0.97))
    # The corrected interval over 1000 items clears 90 %, but conforming needs the
    # standard's 1000 human labels under either rule.
    assert v.confident == "inconclusive"
    assert v.low is not None
    assert v.low >= 0.90
    assert v.literal == "inconclusive"
    assert v.estimate == pytest.approx(0.97)
    assert v.scorer == "risk"
    assert (v.n, v.k) == (200, 196)
    assert "prediction-powered inference" in v.reason
    assert "conforming needs 1000 human labels" in v.reason
    assert "预测驱动推断" in v.reason_zh
    v = _decide(profile, _ppi_evidence(160, 0.80))
    assert v.confident == "does_not_conform"


def test_a_degenerate_correction_falls_back_to_the_labels_interval(profile: Profile) -> None:
    labels, strata = _labels(200, 200)
    ppi = ppi_mean([1.0] * 1000, [1.0] * 200, [1.0] * 200, scorer="risk")
    assert ppi.degenerate
    v = _decide(
        profile, HumanEvidence(drawn=1000, labels=labels, strata=strata, tasks=200, ppi=ppi)
    )
    assert v.scorer is None
    assert "prediction-powered" not in v.reason
    assert v.confident == "inconclusive"  # 200 < 1000 human labels, and no correction


def test_the_reason_reports_agreement_in_both_languages(profile: Profile) -> None:
    labels, strata = _labels(1000, 975)
    first = ["qualified"] * 45 + ["unqualified"] * 5
    second = ["qualified"] * 43 + ["unqualified"] * 7
    ev = HumanEvidence(
        drawn=1000,
        labels=labels,
        strata=strata,
        tasks=1000,
        awaiting=3,
        disputed=2,
        adjudicated=4,
        reviewers=agreement(first, second),
        auto={"risk": agreement(second, first), "keywords": agreement(first, first)},
    )
    v = _decide(profile, ev)
    kappa = agreement(first, second).kappa
    assert f"Cohen's kappa {kappa:.2f}" in v.reason
    assert f"Cohen's kappa {kappa:.2f}" in v.reason_zh
    assert "agree on 96.0% of 50 double-labelled items" in v.reason
    assert "4 adjudicated" in v.reason
    assert "2 disputed item(s) await adjudication" in v.reason
    assert "3 of 1000 items drawn for review await labels" in v.reason
    assert "keywords 100.0% (kappa 1.00, n=50), risk 96.0%" in v.reason
    assert "自动评分与人工最终标注的一致率" in v.reason_zh
    assert "裁定 4 题" in v.reason_zh
