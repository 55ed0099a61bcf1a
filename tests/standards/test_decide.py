"""The two decision rules, the sample that decides, and the planned sample's power."""

from __future__ import annotations

import numpy as np
import pytest

from tianping.standards import (
    confident_rule,
    interval,
    literal_rule,
    n_to_decide,
    plan_sample,
)
from tianping.standards._decide import _power


def test_literal_rule() -> None:
    assert literal_rule(0.96, 300, 0.95, "at_least", 300) == "conforms"
    assert literal_rule(0.95, 300, 0.95, "at_least", 300) == "conforms"  # "not below" 95 %
    assert literal_rule(0.94, 300, 0.95, "at_least", 300) == "does_not_conform"
    assert literal_rule(0.99, 299, 0.95, "at_least", 300) == "inconclusive"  # too few
    assert literal_rule(0.05, 300, 0.05, "at_most", 300) == "conforms"
    assert literal_rule(0.06, 300, 0.05, "at_most", 300) == "does_not_conform"
    assert literal_rule(None, 0, 0.05, "at_most", 0) == "inconclusive"


def test_confident_rule() -> None:
    assert confident_rule(0.951, 0.99, 300, 0.95, "at_least", 300) == "conforms"
    assert confident_rule(0.94, 0.99, 300, 0.95, "at_least", 300) == "inconclusive"
    assert confident_rule(0.90, 0.949, 300, 0.95, "at_least", 300) == "does_not_conform"
    assert confident_rule(0.01, 0.049, 300, 0.05, "at_most", 300) == "conforms"
    assert confident_rule(0.051, 0.2, 300, 0.05, "at_most", 300) == "does_not_conform"
    # A clear interval on too small a sample cannot conform, but can fail.
    assert confident_rule(0.96, 1.0, 100, 0.95, "at_least", 300) == "inconclusive"
    assert confident_rule(0.5, 0.9, 100, 0.95, "at_least", 300) == "does_not_conform"


@pytest.mark.parametrize("method", ["wilson", "clopper-pearson"])
def test_n_to_decide_is_the_smallest_deciding_sample(method: str) -> None:
    n = n_to_decide(0.97, 0.95, "at_least", 0.95, method)  # type: ignore[arg-type]
    assert n is not None

    def decided(m: int) -> bool:
        low, high = interval(round(0.97 * m), m, 0.95, method)  # type: ignore[arg-type]
        return confident_rule(low, high, m, 0.95, "at_least", 0) != "inconclusive"

    assert decided(n)
    assert not decided(n - 1)
    assert n_to_decide(0.95, 0.95, "at_least", 0.95, method) is None  # type: ignore[arg-type]


def test_plan_gives_the_stated_power_checked_by_simulation() -> None:
    plan = plan_sample(0.95, "at_least", margin=0.02, power=0.8)
    assert plan.n is not None
    assert plan.power is not None
    assert plan.power >= 0.8
    assert plan.n - 1 >= 8
    assert _power(plan.n - 1, 0.97, 0.95, "at_least", 0.95, "wilson")[0] < 0.8
    rng = np.random.default_rng(11)
    ks = rng.binomial(plan.n, 0.97, size=20_000)
    assert plan.critical is not None
    simulated = float(np.mean(ks >= plan.critical))
    assert simulated == pytest.approx(plan.power, abs=0.015)
    # at_most mirrors at_least
    low = plan_sample(0.05, "at_most", margin=0.02, power=0.8)
    assert low.n == plan.n


@pytest.mark.parametrize("method", ["wilson", "clopper-pearson"])
@pytest.mark.parametrize(
    ("threshold", "direction", "n"),
    [(0.95, "at_least", 300), (0.05, "at_most", 300), (0.9, "at_least", 1000)],
)
def test_confident_rule_error_rate_is_what_it_claims(
    method: str, threshold: float, direction: str, n: int
) -> None:
    """A model exactly on the threshold (the worst case of a non-conforming one)
    is called `conforms` at most alpha/2 of the time: 2.5 % at 95 % confidence.
    Wilson's coverage is approximate, so it gets a small allowance."""
    rng = np.random.default_rng(3)
    ks = rng.binomial(n, threshold, size=40_000)
    decided = {}
    for k in set(ks.tolist()):
        low, high = interval(k, n, 0.95, method)  # type: ignore[arg-type]
        decided[k] = confident_rule(low, high, n, threshold, direction, n)  # type: ignore[arg-type]
    false_conform = float(np.mean([decided[k] == "conforms" for k in ks.tolist()]))
    limit = 0.025 if method == "clopper-pearson" else 0.035
    assert false_conform <= limit + 0.003  # simulation noise on 40k draws
    # The literal rule, by contrast, passes such a model about half the time.
    literal = (
        np.mean(ks >= threshold * n) if direction == "at_least" else np.mean(ks <= threshold * n)
    )
    assert literal > 0.4
