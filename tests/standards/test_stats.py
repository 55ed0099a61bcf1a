"""Intervals against published values, and their coverage by simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tianping.standards import clopper_pearson, interval, wilson
from tianping.standards._stats import betainc, binom_sf, z_value

# Reference values: R's binom.test (Clopper-Pearson) and prop.test(correct=FALSE) (Wilson),
# the rest recomputed independently by summing the binomial pmf and bisecting.
CP_KNOWN = [
    (95, 100, 0.95, 0.8871651, 0.9835681),
    (0, 10, 0.95, 0.0, 0.3084971),
    (10, 10, 0.95, 0.6915029, 1.0),
    (1, 20, 0.95, 0.001265089, 0.2487328),
    (285, 300, 0.95, 0.9188726, 0.9717488),
    (5, 50, 0.99, 0.0222178, 0.2580497),
]
WILSON_KNOWN = [
    (95, 100, 0.95, 0.8882495, 0.9784563),
    (0, 10, 0.95, 0.0, 0.2775328),
    (285, 300, 0.95, 0.9191530, 0.9694684),
    (1, 20, 0.95, 0.008886, 0.236131),
]


@pytest.mark.parametrize(("k", "n", "conf", "low", "high"), CP_KNOWN)
def test_clopper_pearson_matches_published_values(
    k: int, n: int, conf: float, low: float, high: float
) -> None:
    got = clopper_pearson(k, n, conf)
    assert got[0] == pytest.approx(low, abs=5e-5)
    assert got[1] == pytest.approx(high, abs=5e-5)


@pytest.mark.parametrize(("k", "n", "conf", "low", "high"), WILSON_KNOWN)
def test_wilson_matches_published_values(
    k: int, n: int, conf: float, low: float, high: float
) -> None:
    got = wilson(k, n, conf)
    assert got[0] == pytest.approx(low, abs=5e-6)
    assert got[1] == pytest.approx(high, abs=5e-6)


def test_z_and_incomplete_beta_known_values() -> None:
    assert z_value(0.95) == pytest.approx(1.959964, abs=1e-6)
    assert betainc(2, 3, 0.5) == pytest.approx(0.6875)
    assert betainc(1, 1, 0.3) == pytest.approx(0.3)
    # P(X >= 3) for X ~ Bin(10, 0.2)
    exact = sum(math.comb(10, k) * 0.2**k * 0.8 ** (10 - k) for k in range(3, 11))
    assert binom_sf(3, 10, 0.2) == pytest.approx(exact, rel=1e-10)


def test_empty_sample_is_the_whole_range_and_bad_input_is_refused() -> None:
    assert wilson(0, 0) == (0.0, 1.0)
    assert clopper_pearson(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError, match="k <= n"):
        wilson(5, 4)
    with pytest.raises(ValueError, match="confidence"):
        wilson(1, 4, 1.5)
    with pytest.raises(ValueError, match="unknown interval method"):
        interval(1, 4, 0.95, "wald")  # type: ignore[arg-type]


@given(st.integers(1, 2000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_intervals_hold_the_estimate(kn: tuple[int, int]) -> None:
    k, n = kn
    for low, high in (wilson(k, n), clopper_pearson(k, n)):
        assert 0.0 <= low <= k / n <= high <= 1.0


@pytest.mark.parametrize("method", ["wilson", "clopper-pearson"])
@pytest.mark.parametrize(("n", "p"), [(300, 0.95), (1000, 0.9), (200, 0.5)])
def test_coverage_by_simulation_is_near_nominal(method: str, n: int, p: float) -> None:
    rng = np.random.default_rng(7)
    ks = rng.binomial(n, p, size=4000)
    table = {k: interval(int(k), n, 0.95, method) for k in set(ks.tolist())}  # type: ignore[arg-type]
    covered = np.mean([table[k][0] <= p <= table[k][1] for k in ks.tolist()])
    if method == "clopper-pearson":
        assert covered >= 0.94  # exact: at least nominal, up to simulation noise
    else:
        assert 0.925 <= covered <= 0.975
