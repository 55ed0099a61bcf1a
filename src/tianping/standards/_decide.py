"""Deciding a rate clause: the literal rule, the confident rule, and sample sizes."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ._results import Direction, Outcome
from ._stats import Method, binom_sf, interval

_N_CAP = 10_000_000


def _meets(value: float, threshold: float, direction: Direction) -> bool:
    return value >= threshold if direction == "at_least" else value <= threshold


def literal_rule(
    estimate: float | None, n: int, threshold: float, direction: Direction, min_n: int
) -> Outcome:
    """The standard's rule: the estimate against the threshold on at least ``min_n`` items."""
    if estimate is None or n == 0 or n < min_n:
        return "inconclusive"
    return "conforms" if _meets(estimate, threshold, direction) else "does_not_conform"


def confident_rule(
    low: float, high: float, n: int, threshold: float, direction: Direction, min_n: int
) -> Outcome:
    """``conforms`` when the whole interval clears the threshold, ``does_not_conform``
    when the whole interval misses it, otherwise ``inconclusive``. Below ``min_n``
    a clause cannot conform, however clear the interval."""
    if n == 0:
        return "inconclusive"
    clears = low >= threshold if direction == "at_least" else high <= threshold
    misses = high < threshold if direction == "at_least" else low > threshold
    if misses:
        return "does_not_conform"
    if clears and n >= min_n:
        return "conforms"
    return "inconclusive"


def n_to_decide(
    estimate: float,
    threshold: float,
    direction: Direction,
    confidence: float,
    method: Method,
    min_n: int = 0,
) -> int | None:
    """The smallest sample at which this estimate, if it held, would decide the clause.

    None when the estimate sits on the threshold (no sample decides it) or
    the sample needed exceeds ten million.
    """
    if math.isclose(estimate, threshold, abs_tol=1e-12):
        return None

    def decided(n: int) -> bool:
        k = round(estimate * n)
        low, high = interval(k, n, confidence, method)
        outcome = confident_rule(low, high, n, threshold, direction, min_n)
        return outcome != "inconclusive"

    hi = max(1, min_n)
    while not decided(hi):
        hi *= 2
        if hi > _N_CAP:
            return None
    lo = hi // 2
    while lo + 1 < hi:
        mid = (lo + hi) // 2
        if decided(mid):
            hi = mid
        else:
            lo = mid
    return hi


@dataclass(frozen=True)
class Plan:
    """How many items a clause needs for a model ``margin`` past the threshold to pass."""

    n: int | None
    true_rate: float
    power: float | None
    critical: int | None  # successes needed (at_least) or most failures allowed (at_most)


def _power(
    n: int, p: float, threshold: float, direction: Direction, confidence: float, method: Method
) -> tuple[float, int | None]:
    """Probability that the confident rule conforms at ``n``, and the critical count."""

    def clears(k: int) -> bool:
        low, high = interval(k, n, confidence, method)
        return low >= threshold if direction == "at_least" else high <= threshold

    if direction == "at_least":
        if not clears(n):
            return 0.0, None
        lo, hi = -1, n  # clears(hi) holds; find the smallest k that clears
        while lo + 1 < hi:
            mid = (lo + hi) // 2
            if clears(mid):
                hi = mid
            else:
                lo = mid
        return binom_sf(hi, n, p), hi
    if not clears(0):
        return 0.0, None
    lo, hi = 0, n + 1  # clears(lo) holds; find the largest k that clears
    while lo + 1 < hi:
        mid = (lo + hi) // 2
        if clears(mid):
            lo = mid
        else:
            hi = mid
    return 1.0 - binom_sf(lo + 1, n, p), lo


def plan_sample(
    threshold: float,
    direction: Direction,
    *,
    margin: float = 0.02,
    power: float = 0.8,
    confidence: float = 0.95,
    method: Method = "wilson",
    min_n: int = 0,
) -> Plan:
    """The sample for a model whose true rate is ``margin`` past the threshold to
    conform under the confident rule with probability ``power``.

    Power is not monotone in n (the binomial is discrete), so the answer is the
    smallest n found by bisection after doubling, at least ``min_n``.
    """
    p = threshold + margin if direction == "at_least" else threshold - margin
    if not 0.0 < p < 1.0:
        return Plan(None, p, None, None)

    def ok(n: int) -> bool:
        return _power(n, p, threshold, direction, confidence, method)[0] >= power

    hi = max(8, min_n)
    while not ok(hi):
        hi *= 2
        if hi > _N_CAP:
            return Plan(None, p, None, None)
    lo = max(min_n, hi // 2) - 1
    while lo + 1 < hi:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    got, critical = _power(hi, p, threshold, direction, confidence, method)
    return Plan(hi, p, got, critical)
